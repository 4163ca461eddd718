# Makefile rules of the phpize build (config.m4): cargo builds the crate in
# RSMEMCACHE_CRATE for the PHP configure found, and the module is copied to
# modules/rsmemcache.so, where PHP's install-modules takes it from. The rule
# depends on the crate's files and on this Makefile (configure run again, for
# another PHP, rebuilds), so `make install` after `make` (as root, by sudo)
# finds the module up to date and does not run cargo again.
RSMEMCACHE_INPUTS = $(RSMEMCACHE_CRATE)/Cargo.toml $(RSMEMCACHE_CRATE)/Cargo.lock $(RSMEMCACHE_CRATE)/build.rs \
	$(shell find "$(RSMEMCACHE_CRATE)/src" -name '*.rs')

$(phplibdir)/rsmemcache.so: Makefile $(RSMEMCACHE_INPUTS)
	PHP_CONFIG="$(RSMEMCACHE_PHP_CONFIG)" PHP="$(PHP_EXECUTABLE)" "$(CARGO)" build --release --locked \
		--manifest-path "$(RSMEMCACHE_CRATE)/Cargo.toml" --target-dir "$(RSMEMCACHE_TARGET_DIR)"
	@mkdir -p "$(phplibdir)"
	cp "$(RSMEMCACHE_TARGET_DIR)/release/librsmemcache.so" "$@"
