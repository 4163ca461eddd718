//! Build script: generates bindings for PHP's `ext/session/php_session.h`.
//!
//! ext-php-rs has no bindings for the session extension, so `src/php/sys.rs`
//! declares `ps_module` by hand. The bindings generated here are used only to
//! prove, at compile time, that the hand-written struct has the same size and
//! field offsets as the C header of the PHP we build against (see the `const`
//! assertions in `src/php/sys.rs`): if PHP ever changes the struct, the
//! build fails instead of the extension crashing.
//!
//! It also sets `cfg(php86)` when the PHP API version (`php-config
//! --phpapi`) is PHP 8.6's 20260924 or later: PHP 8.6 passes `save_path`
//! and the session name to a save handler's `open` as `zend_string *`
//! (`PS_OPEN_ARGS` in `ext/session/php_session.h`), where earlier versions
//! pass `const char *`.

use std::{env, path::PathBuf, process::Command};

fn php_config() -> String {
    env::var("PHP_CONFIG")
        .ok()
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "php-config".to_owned())
}

/// PHP 8.6's API version (`PHP_API_VERSION` in PHP 8.6's `main/php.h`).
const PHP86_API: u32 = 20_260_924;

/// Output of `php-config ARG`, trimmed; `None` when it fails.
fn php_config_out(arg: &str) -> Option<String> {
    Command::new(php_config())
        .arg(arg)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|v| v.trim().to_owned())
}

/// The PHP API version: `php-config --phpapi` (Debian's php-config), else
/// `#define PHP_API_VERSION` in `<include-dir>/main/php.h` (upstream's
/// php-config, as a PHP built from source has, has no `--phpapi`).
fn php_api() -> Option<u32> {
    if let Some(v) = php_config_out("--phpapi").and_then(|v| v.parse().ok()) {
        return Some(v);
    }
    let dir = php_config_out("--include-dir")?;
    let header = std::fs::read_to_string(PathBuf::from(dir).join("main/php.h")).ok()?;
    header.lines().find_map(|l| {
        let rest = l.trim().strip_prefix("#define PHP_API_VERSION")?;
        rest.trim().parse().ok()
    })
}

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-env-changed=PHP_CONFIG");
    println!("cargo::rustc-check-cfg=cfg(php86)");

    let api = php_api().expect(
        "rsmemcache build: no PHP API version from php-config --phpapi or PHP_API_VERSION in main/php.h (install php<version>-dev or set PHP_CONFIG)",
    );
    if api >= PHP86_API {
        println!("cargo::rustc-cfg=php86");
    }

    let includes = Command::new(php_config())
        .arg("--includes")
        .output()
        .expect(
            "rsmemcache build: cannot run php-config (install php<version>-dev or set PHP_CONFIG)",
        );
    assert!(
        includes.status.success(),
        "rsmemcache build: php-config --includes failed"
    );
    let includes = String::from_utf8(includes.stdout).expect("php-config output is UTF-8");

    let bindings = bindgen::Builder::default()
        .header_contents(
            "session_wrapper.h",
            "#include \"php.h\"\n#include \"ext/session/php_session.h\"\n",
        )
        .clang_args(includes.split_whitespace())
        .allowlist_type("ps_module_struct")
        .layout_tests(false)
        .generate()
        .expect("rsmemcache build: bindgen over ext/session/php_session.h failed");
    let out = PathBuf::from(env::var("OUT_DIR").expect("OUT_DIR is set by cargo"));
    bindings
        .write_to_file(out.join("php_session.rs"))
        .expect("rsmemcache build: cannot write php_session.rs");
}
