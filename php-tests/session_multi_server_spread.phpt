--TEST--
session lifecycle: with three servers in save_path each session lives on exactly one server (its consistent-hash home) and all servers get some
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
session.gc_maxlifetime=1440
--FILE--
<?php
require __DIR__ . '/lib/lifecycle.inc';
ob_start();

function spread(string $savePath, array $ring, string $tag): void {
    ini_set('session.save_path', $savePath);
    $ids = [];
    for ($i = 0; $i < 60; $i++) {
        $id = lc_sid("$tag$i");
        $ids[] = $id;
        session_id($id);
        session_start();
        $_SESSION['i'] = $i;
        session_write_close();
    }
    $count = array_fill_keys(array_keys($ring), 0);
    $onOne = $atHome = $readBack = 0;
    foreach ($ids as $i => $id) {
        $where = lc_holders(lc_key($id));
        if (count($where) === 1) { $onOne++; $count[$where[0]]++; }
        if ($where === [lc_home($ring, lc_key($id))]) { $atHome++; }
        if (mc_get($where[0] ?? MC1, lc_key($id)) === "i|i:$i;") { $readBack++; }
        session_id($id);
        session_start();
        if (($_SESSION['i'] ?? null) === $i) { $readBack++; }
        session_abort();
    }
    echo "$tag: on exactly one server: $onOne/60, at the pecl-memcache home: $atHome/60, data intact: $readBack/120\n";
    echo "$tag: every server has some: ", var_export(min($count) > 0, true), "\n";
    lc_forget(...$ids);
}

spread(MC1 . ',' . MC2 . ',' . MC3, [MC1 => 1, MC2 => 1, MC3 => 1], 'spreadplain');
spread("tcp://" . MC1 . "?weight=1&timeout=2, tcp://" . MC2 . "?weight=2, tcp://" . MC3,
       [MC1 => 1, MC2 => 2, MC3 => 1], 'spreadurl');
?>
--EXPECT--
spreadplain: on exactly one server: 60/60, at the pecl-memcache home: 60/60, data intact: 120/120
spreadplain: every server has some: true
spreadurl: on exactly one server: 60/60, at the pecl-memcache home: 60/60, data intact: 120/120
spreadurl: every server has some: true
