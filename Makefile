# Build, test and install the rsmemcache PHP extension. See README.md.
PHP_CONFIG ?= $(shell command -v php-config8.2 || command -v php-config)
export PATH := $(HOME)/.cargo/bin:$(PATH)
TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)

.PHONY: all build test demo bench install clean

all: build

build:
	cargo build --release
	mkdir -p build
	cp $(TARGET_DIR)/release/librsmemcache.so build/rsmemcache.so

test:
	bash scripts/run-tests.sh

demo:
	bash scripts/demo.sh

bench:
	bash scripts/bench.sh
	bash scripts/bench-durable.sh

install: build
	install -m 0644 build/rsmemcache.so "$$($(PHP_CONFIG) --extension-dir)/rsmemcache.so"
	mkdir -p /etc/php/8.2/mods-available
	printf '; priority=20\nextension=rsmemcache\n' > /etc/php/8.2/mods-available/rsmemcache.ini
	if command -v phpenmod >/dev/null 2>&1; then phpenmod -v 8.2 rsmemcache; fi

clean:
	cargo clean
	rm -rf build
