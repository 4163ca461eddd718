//! Tests of the directive table and its validation.

use super::*;

#[test]
fn defaults_are_valid() {
    let c = Config::load(|_| None).unwrap();
    assert_eq!(c.prefix, "rsmemcache.sess.");
    assert_eq!(c.pool.connect_timeout_ms, 1000);
    assert_eq!(c.pool.strategy, Strategy::Consistent);
    assert_eq!(c.pool.function, HashFunction::Crc32);
    assert_eq!(c.compat, Compat::None);
    assert_eq!((c.key_hash, c.key_hash_migrate), (KeyHash::Sha256, false));
    assert_eq!(
        c.placement,
        Placement {
            allow_failover: true,
            max_attempts: 20,
            redundancy: 1
        }
    );
    assert!(c.lock.enabled);
    assert_eq!(
        (c.lock.wait.as_millis(), c.lock.expire_s, c.lock.failure),
        (30_000, 20, LockFailure::Error)
    );
}

#[test]
fn bad_values_name_the_directive() {
    let with = |n: &'static CStr, v: &str| {
        let v = v.to_owned();
        Config::load(move |name| (name == n).then(|| v.clone()))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        with(TIMEOUT, "0"),
        "invalid value '0' for rsmemcache.timeout: expected an integer from 1 to 600000"
    );
    assert!(with(CONNECT_TIMEOUT, "abc").contains("rsmemcache.connect_timeout"));
    assert!(with(HASH_STRATEGY, "ring").contains("'ring' for rsmemcache.hash_strategy"));
    assert!(with(HASH_FUNCTION, "md5").contains("rsmemcache.hash_function"));
    assert!(with(PREFIX, "a b").contains("rsmemcache.prefix"));
    assert!(with(RETRY_INTERVAL, "-1").contains("rsmemcache.retry_interval"));
    assert!(
        with(LOCK_EXPIRE, "0")
            .contains("rsmemcache.lock_expire: expected an integer from 1 to 86400")
    );
    assert!(with(LOCKING, "maybe").contains("rsmemcache.locking"));
    assert!(with(LOCK_FAILURE, "ignore").contains("rsmemcache.lock_failure"));
    assert!(with(LOCK_WAIT_TIME, "-5").contains("rsmemcache.lock_wait_time"));
    assert_eq!(
        with(COMPAT, "redis"),
        "invalid value 'redis' for rsmemcache.compat: expected none, memcache or memcached"
    );
    assert!(
        with(SESSION_REDUNDANCY, "0")
            .contains("rsmemcache.session_redundancy: expected an integer from 1 to 16")
    );
    assert!(with(MAX_FAILOVER_ATTEMPTS, "0").contains("rsmemcache.max_failover_attempts"));
    assert!(with(ALLOW_FAILOVER, "perhaps").contains("rsmemcache.allow_failover"));
    assert_eq!(
        with(KEY_HASH, "md5"),
        "invalid value 'md5' for rsmemcache.key_hash: expected sha256 or none"
    );
    assert!(
        with(KEY_HASH_MIGRATE, "soon").contains("rsmemcache.key_hash_migrate: expected 0 or 1")
    );
}

/// The config with the directives of `pairs` set, the rest at their
/// defaults.
fn load_with(pairs: &'static [(&'static CStr, &'static str)]) -> Config {
    Config::load(move |n| {
        pairs
            .iter()
            .find(|(k, _)| *k == n)
            .map(|(_, v)| (*v).to_owned())
    })
    .unwrap()
}

#[test]
fn key_hash_applies_to_compat_none_only() {
    let load = load_with;
    let c = load(&[(KEY_HASH, "SHA256"), (KEY_HASH_MIGRATE, "1")]);
    assert_eq!((c.key_hash, c.key_hash_migrate), (KeyHash::Sha256, true));
    // php.ini reads a bare `none` as "".
    let c = load(&[(KEY_HASH, ""), (KEY_HASH_MIGRATE, "1")]);
    assert_eq!(c.key_hash, KeyHash::None);
    let c = load(&[(KEY_HASH, "none"), (KEY_HASH_MIGRATE, "1")]);
    assert_eq!(
        (c.key_hash, c.key_hash_migrate),
        (KeyHash::None, false),
        "nothing to move"
    );
    for c in [
        load(&[
            (COMPAT, "memcache"),
            (KEY_HASH, "sha256"),
            (KEY_HASH_MIGRATE, "1"),
        ]),
        load(&[
            (COMPAT, "memcached"),
            (KEY_HASH, "sha256"),
            (KEY_HASH_MIGRATE, "1"),
        ]),
    ] {
        assert_eq!((c.key_hash, c.key_hash_migrate), (KeyHash::None, false));
    }
}

/// `validate` (used by `ini_set()`) and `load` (used at session open)
/// apply one rule set: the same values pass, with the same error text.
#[test]
fn validate_agrees_with_load_for_every_directive() {
    let samples = [
        "",
        " ",
        "0",
        "1",
        "-1",
        "16",
        "17",
        "20",
        "1000",
        "1001",
        "600000",
        "600001",
        "86400",
        "86401",
        " 300 ",
        "1.5",
        "abc",
        "0x10",
        "99999999999999999999999",
        "on",
        "Off",
        "yes",
        "maybe",
        "none",
        "memcache",
        "memcached",
        "redis",
        "consistent",
        " Standard ",
        "ketama",
        "ring",
        "crc32",
        "FNV",
        "fnv1a",
        "md5",
        "error",
        "readonly",
        "ignore",
        "rsmemcache.sess.",
        "app.",
        "a b",
        " \n",
        "h4\tpfx.",
        "p\0x",
        "é",
    ];
    let long = "p".repeat(201);
    for d in DIRECTIVES {
        for v in samples.iter().copied().chain([long.as_str()]) {
            let owned = v.to_owned();
            let loaded = Config::load(|n| (n == d.name).then(|| owned.clone()));
            let checked = validate(d.name, v);
            assert_eq!(
                loaded.as_ref().err().map(ToString::to_string),
                checked.as_ref().err().map(ToString::to_string),
                "{:?} = {v:?}",
                d.name
            );
        }
        let default = d.default.to_str().unwrap();
        assert!(validate(d.name, default).is_ok(), "default of {:?}", d.name);
    }
    assert!(validate(c"session.save_path", "anything").is_ok());
    assert_eq!(
        validate(PREFIX, " \n").unwrap_err().to_string(),
        "invalid value ' \\n' for rsmemcache.prefix: only printable ASCII without spaces is allowed in a memcached key"
    );
    assert_eq!(
        validate(SESSION_REDUNDANCY, "0").unwrap_err().to_string(),
        "invalid value '0' for rsmemcache.session_redundancy: expected an integer from 1 to 16"
    );
}

#[test]
fn compat_presets_fill_in_directives_left_at_their_defaults() {
    let load = load_with;
    let c = load(&[(COMPAT, "memcached")]);
    assert_eq!(
        (c.prefix.as_str(), c.pool.strategy),
        ("memc.sess.key.", Strategy::Ketama)
    );
    let c = load(&[(COMPAT, "memcache")]);
    assert_eq!(
        (c.prefix.as_str(), c.pool.strategy),
        ("", Strategy::Consistent)
    );
    assert_eq!(c.placement.redundancy, 2);
    // Explicit values win.
    let c = load(&[
        (COMPAT, "memcached"),
        (PREFIX, "app."),
        (HASH_STRATEGY, "standard"),
    ]);
    assert_eq!(
        (c.prefix.as_str(), c.pool.strategy),
        ("app.", Strategy::Standard)
    );
    let c = load(&[(COMPAT, "memcache"), (SESSION_REDUNDANCY, "3")]);
    assert_eq!(c.placement.redundancy, 3);
    assert_eq!(
        load(&[(HASH_STRATEGY, "ketama")]).pool.strategy,
        Strategy::Ketama
    );
}

/// docs/directives.md's directive table and `stubs/rsmemcache.ini` agree with the code.
#[test]
fn docs_list_every_directive_with_its_default() {
    let root = env!("CARGO_MANIFEST_DIR");
    let readme =
        std::fs::read_to_string(format!("{root}/docs/directives.md")).expect("docs/directives.md");
    let stub = std::fs::read_to_string(format!("{root}/stubs/rsmemcache.ini"))
        .expect("stubs/rsmemcache.ini");
    for d in DIRECTIVES {
        let (name, default) = (d.name.to_str().unwrap(), d.default.to_str().unwrap());
        let row = format!(
            "| `{name}` | `{default}` | {} | {} |",
            d.unit,
            d.access.label()
        );
        assert!(
            readme.contains(&row),
            "docs/directives.md lacks the row starting {row}"
        );
        let line = format!("{name} = {default}\n");
        assert!(
            stub.contains(&line),
            "stubs/rsmemcache.ini lacks the line {line:?}"
        );
    }
    let count = |text: &str, start: &str| text.lines().filter(|l| l.starts_with(start)).count();
    assert_eq!(
        count(&stub, "rsmemcache."),
        DIRECTIVES.len(),
        "stub lists a directive the code lacks"
    );
    assert_eq!(
        count(&readme, "| `rsmemcache."),
        DIRECTIVES.len(),
        "docs/directives.md lists a directive the code lacks"
    );
}

#[test]
fn retry_interval_cap_is_the_longest_interval_php_ini_sets() {
    assert_eq!(retry_interval_cap("15", "", ""), 15);
    assert_eq!(retry_interval_cap("2", "127.0.0.1:1", ""), 2);
    // A save_path parameter in php.ini raises the cap for every server.
    assert_eq!(
        retry_interval_cap("2", "tcp://127.0.0.1:1?retry_interval=60, 127.0.0.1:2", ""),
        60
    );
    assert_eq!(
        retry_interval_cap("2", "", "tcp://127.0.0.1:3?retry_interval=30"),
        30
    );
    // A bad value counts as the default; the range's top bounds the rest.
    assert_eq!(retry_interval_cap("junk", "::bad::", ""), 15);
    assert_eq!(retry_interval_cap("86400", "", ""), MAX_RETRY_INTERVAL_S);
    let c = Config::load(|_| None).unwrap();
    assert_eq!(c.pool.retry_interval_cap_s, MAX_RETRY_INTERVAL_S);
}
