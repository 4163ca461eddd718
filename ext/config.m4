dnl config.m4 for rsmemcache: PHP's extension build (phpize, PECL's way and
dnl PIE's source build) drives cargo. The crate is one directory up; this
dnl directory only holds the phpize build, so the files phpize and configure
dnl generate (Makefile, build/, configure, modules/, ...) never meet the
dnl project's own Makefile and build/ directory in the repository root.
dnl
dnl   cd ext && phpize && ./configure [--with-php-config=PATH] && make && make install
dnl
dnl builds target/release/librsmemcache.so with `cargo build --release` for the
dnl PHP whose php-config configure uses (PHP_CONFIG and PHP are passed to
dnl cargo: build.rs and ext-php-rs read them), copies it to modules/rsmemcache.so,
dnl and `make install` puts it into that PHP's extension_dir.

PHP_ARG_ENABLE([rsmemcache],
  [whether to build rsmemcache (a Rust crate, built with cargo)],
  [AS_HELP_STRING([--enable-rsmemcache],
    [Build the rsmemcache session save handler (the default; needs cargo
     from Rust >= 1.85 and libclang)])],
  [yes])

if test "$PHP_RSMEMCACHE" != "no"; then
  AC_MSG_CHECKING([for the rsmemcache crate])
  RSMEMCACHE_CRATE=`cd "$abs_srcdir/.." && pwd`
  if test ! -f "$RSMEMCACHE_CRATE/Cargo.toml" || test ! -f "$RSMEMCACHE_CRATE/src/lib.rs"; then
    AC_MSG_ERROR([no Cargo.toml and src/lib.rs in $RSMEMCACHE_CRATE: run phpize in the ext directory of the rsmemcache source tree])
  fi
  AC_MSG_RESULT([$RSMEMCACHE_CRATE])

  dnl rustup installs cargo in ~/.cargo/bin, which a non-login shell may lack.
  AC_PATH_PROG([CARGO], [cargo], [no], [$PATH$PATH_SEPARATOR$HOME/.cargo/bin])
  if test "$CARGO" = "no"; then
    AC_MSG_ERROR([cargo not found: install Rust >= 1.85 (https://rustup.rs) or put cargo on PATH])
  fi

  dnl bindgen (ext-php-rs, build.rs) loads libclang at build time.
  AC_MSG_CHECKING([for libclang (bindgen)])
  if test -n "$LIBCLANG_PATH" || (ldconfig -p 2>/dev/null | grep -q 'libclang[[-.0-9]]*\.so'); then
    AC_MSG_RESULT([yes])
  else
    AC_MSG_ERROR([libclang not found: install clang and libclang-dev (Debian), or set LIBCLANG_PATH])
  fi

  dnl The PHP to build for: the php-config this configure uses (phpize.m4
  dnl set PHP_CONFIG from --with-php-config, default php-config on PATH).
  AC_MSG_CHECKING([for the PHP to build rsmemcache for])
  RSMEMCACHE_PHP_CONFIG=`command -v "$PHP_CONFIG" 2>/dev/null`
  if test -z "$RSMEMCACHE_PHP_CONFIG"; then
    AC_MSG_ERROR([cannot run php-config '$PHP_CONFIG'; use --with-php-config=PATH])
  fi
  rsmemcache_php_version=`$PHP_CONFIG --version`
  rsmemcache_php_api=`$PHP_CONFIG --phpapi`
  AC_MSG_RESULT([$PHP_EXECUTABLE $rsmemcache_php_version (API $rsmemcache_php_api, php-config $RSMEMCACHE_PHP_CONFIG)])

  dnl cargo's target directory: CARGO_TARGET_DIR as configure saw it, else
  dnl the crate's own target/ (shared with `make build` in the root).
  RSMEMCACHE_TARGET_DIR=${CARGO_TARGET_DIR:-$RSMEMCACHE_CRATE/target}

  dnl No C sources: the module is the file cargo builds (Makefile.frag);
  dnl PHP's install-modules copies modules/* into EXTENSION_DIR.
  PHP_ADD_BUILD_DIR([modules])
  PHP_MODULES='$(phplibdir)/rsmemcache.so'
  PHP_SUBST([CARGO])
  PHP_SUBST([RSMEMCACHE_CRATE])
  PHP_SUBST([RSMEMCACHE_PHP_CONFIG])
  PHP_SUBST([RSMEMCACHE_TARGET_DIR])
  PHP_ADD_MAKEFILE_FRAGMENT([$abs_srcdir/Makefile.frag])
fi
