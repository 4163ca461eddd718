# Build, test and install the rsmemcache PHP extension. See README.md.
# The PHP to build for: PHP_CONFIG (or PHP) from the environment or the
# command line, else php-config on PATH (scripts/lib.sh php_resolve, which
# exports both for build.rs and ext-php-rs).
SHELL := /bin/bash
ifdef PHP_CONFIG
export PHP_CONFIG
endif
ifdef PHP
export PHP
endif
export PATH := $(HOME)/.cargo/bin:$(PATH)
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)

.PHONY: all build test test-threads test-matrix demo bench bench-tier install deb clean

all: build

build:
	source scripts/lib.sh && php_resolve && cargo build --release
	mkdir -p build
	cp $(TARGET_DIR)/release/librsmemcache.so build/rsmemcache.so

test:
	bash scripts/run-tests.sh

# The extension in a threaded host (ZTS PHP with the embed SAPI, many
# threads, many requests each; see tests/threads/run.sh).
test-threads:
	bash tests/threads/run.sh

# The suite on the host and in chroots with PHP 8.4, 8.5 and a ZTS 8.2, the
# threaded host on that ZTS 8.2, and the Debian package in a fresh chroot (root; see scripts/matrix.sh).
test-matrix:
	bash scripts/matrix.sh

demo:
	bash scripts/demo.sh

bench:
	bash scripts/bench.sh
	bash scripts/bench-durable.sh

bench-tier:
	bash scripts/tier-bench.sh

install: build
	bash scripts/install.sh

# build/php<ver>-rsmemcache_<version>_<arch>.deb for the Debian PHP in use.
deb: build
	bash scripts/deb.sh

clean:
	cargo clean
	rm -rf build
