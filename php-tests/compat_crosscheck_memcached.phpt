--TEST--
compat: placement equals php-memcached's: live sessions of session.save_handler=memcached land (data and lock) where rsmemcache_locate says under rsmemcache.compat=memcached; then Memcached::getServerByKey (servers added first, then consistent distribution) agrees for 5 weighted fake lists, 500 random ids each
--SKIPIF--
<?php require __DIR__ . '/lib/compat.inc'; cp_skipif(['memcached']); ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
--FILE--
<?php
require __DIR__ . '/lib/compat.inc';
cp_load('memcached');
const LIVE_IDS = 50;
const IDS = 500;

/** [host, port, weight] of a php-memcached list entry "host[:port[:weight]]". */
function parse_entry(string $e): array {
    $p = explode(':', trim($e));
    return [$p[0], (int)($p[1] ?? 11211), (int)($p[2] ?? 1)];
}

/** getServerByKey's answer as a "host:port" label. */
function label(array|false $s): string {
    return is_array($s) ? "{$s['host']}:{$s['port']}" : 'false';
}

/**
 * Memcached objects for $servers set up three ways:
 *   add-then-consistent: addServers(), then OPT_DISTRIBUTION = DISTRIBUTION_CONSISTENT
 *     (the session handler's order: memcached_server_push, then the ketama behaviour);
 *   consistent-then-add: the distribution first, then addServers() (libmemcached
 *     switches to weighted ketama when a server of weight > 1 is added);
 *   libketama: addServers(), then OPT_LIBKETAMA_COMPATIBLE (md5, weighted).
 */
function setups(array $servers): array {
    $a = new Memcached();
    $a->addServers($servers);
    $a->setOption(Memcached::OPT_DISTRIBUTION, Memcached::DISTRIBUTION_CONSISTENT);
    $b = new Memcached();
    $b->setOption(Memcached::OPT_DISTRIBUTION, Memcached::DISTRIBUTION_CONSISTENT);
    $b->addServers($servers);
    $c = new Memcached();
    $c->addServers($servers);
    $c->setOption(Memcached::OPT_LIBKETAMA_COMPATIBLE, true);
    return ['add-then-consistent' => $a, 'consistent-then-add' => $b, 'libketama' => $c];
}

function random_id(): string {
    static $alphabets = ['0123456789abcdef', '0123456789abcdefghijklmnopqrstuv',
                         '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-,'];
    $a = $alphabets[mt_rand(0, 2)];
    $len = [22, 26, 32, 40, 48, 64][mt_rand(0, 5)];
    $id = '';
    for ($i = 0; $i < $len; $i++) { $id .= $a[mt_rand(0, strlen($a) - 1)]; }
    return $id;
}

ini_set('rsmemcache.compat', 'memcached');
$cleanup = [];
$failed = false;

echo "-- live: php-memcached's session handler on the test daemons --\n";
$live = [
    'plain' => MC1 . ',' . MC2 . ',' . MC3,
    'weighted' => MC1 . ':3,' . MC2 . ':1,' . MC3 . ':2',
];
foreach ($live as $name => $savePath) {
    $child = cp_spawn(['memcached'], [
        'session.save_handler' => 'memcached',
        'session.save_path' => $savePath,
        'memcached.sess_lock_expire' => '60',   // the lock of a killed child frees itself
    ], "memcached child ($name)");
    $truth = [];   // id => [data server, lock server]
    $problems = [];
    for ($i = 0; $i < LIVE_IDS; $i++) {
        $id = cp_sid("cpxmd$i");
        $cleanup[] = "memc.sess.key.$id";
        $cleanup[] = "memc.sess.key.lock.$id";
        $r = cp_call($child, "start $id");
        // The request holds the session now: its lock item exists on exactly one daemon.
        $lockAt = cp_where("memc.sess.key.lock.$id");
        $w = cp_call($child, 'load ' . base64_encode(serialize(cp_payload($i, $id))));
        $c = cp_call($child, 'close');
        $dataAt = cp_where("memc.sess.key.$id");
        $after = cp_where("memc.sess.key.lock.$id");
        $warnings = array_merge($r['warnings'], $w['warnings'], $c['warnings']);
        if ($r['answer'] !== 'start true' || $c['answer'] !== 'close true' || $warnings
            || count($lockAt) !== 1 || count($dataAt) !== 1 || $after) {
            $problems[] = "$id: {$r['answer']} / {$c['answer']} " . json_encode($warnings) . ' lock on ' . json_encode($lockAt)
                . ' data on ' . json_encode($dataAt) . ' lock after close on ' . json_encode($after);
            continue;
        }
        $truth[$id] = [$dataAt[0], $lockAt[0]];
    }
    $end = cp_end($child);
    echo "$name: ", count($truth), " sessions written, each on one daemon, locked on one daemon while open, unlocked after\n";
    cp_show($name, $problems);
    if ($end['code'] !== 0 || $end['stderr'] !== '') { echo "$name: child exit {$end['code']}, stderr ", var_export($end['stderr'], true), "\n"; }
    $servers = array_map('parse_entry', explode(',', $savePath));
    // The handler really spread them (data and locks not all on one daemon).
    echo "$name: data on ", count(array_unique(array_column($truth, 0))), " daemons, locks on ",
        count(array_unique(array_column($truth, 1))), " daemons\n";

    $bad = [];
    foreach ($truth as $id => [$dataAt, $lockAt]) {
        $loc = rsmemcache_locate($id, $savePath);
        if ($loc['key'] !== "memc.sess.key.$id" || $loc['lock_key'] !== "memc.sess.key.lock.$id"
            || $loc['servers'][0] !== $dataAt || $loc['lock_server'] !== $lockAt) {
            $bad[] = "$id: php-memcached put data on $dataAt, lock on $lockAt; rsmemcache_locate: "
                . json_encode($loc, JSON_UNESCAPED_SLASHES);
        }
    }
    echo "$name: rsmemcache_locate (compat=memcached) agrees for ", count($truth) - count($bad), "/", count($truth), "\n";
    cp_show($name, $bad);
    $failed = $failed || $bad || $problems;

    foreach (setups($servers) as $setup => $m) {
        $agree = 0;
        foreach ($truth as $id => [$dataAt, $lockAt]) {
            if (label($m->getServerByKey($id)) === $dataAt && label($m->getServerByKey("lock.$id")) === $lockAt) { $agree++; }
        }
        echo "$name: Memcached $setup reproduces the handler: ", $agree === count($truth) ? 'yes' : 'no', "\n";
    }
}
cp_forget($cleanup);

echo "-- fake lists: rsmemcache_locate vs Memcached::getServerByKey (add-then-consistent) --\n";
$lists = [
    1 => '10.0.0.1:11211:1,10.0.0.2:11211:1,cache-c.local:11212:2',
    2 => 'cache-a.local:11211:1,cache-b.local:11211:5',
    3 => '10.3.0.1:11212:2,10.3.0.2:11212:1,cache-x.local:11212:3,cache-y.local:11212:1',
    4 => 'm1:11211:1,m2:11212:2,m3:11213:3,10.1.0.4:11211:1,10.1.0.5:21211:2,cache-f.local',
    5 => '192.168.7.1:11212,192.168.7.2:11213,192.168.7.3:11214,192.168.7.4:11215,192.168.7.5:11216',
];
$seed = random_int(1, 0x7fffffff);
mt_srand($seed);
foreach ($lists as $li => $savePath) {
    $servers = array_map('parse_entry', explode(',', $savePath));
    $m = setups($servers)['add-then-consistent'];
    $unweighted = setups(array_map(static fn ($s) => [$s[0], $s[1], 1], $servers))['add-then-consistent'];
    $bad = [];
    $weightsIgnored = true;
    for ($n = 0; $n < IDS; $n++) {
        $id = random_id();
        $loc = rsmemcache_locate($id, $savePath);
        $home = label($m->getServerByKey($id));
        $lock = label($m->getServerByKey("lock.$id"));
        if ($home !== label($unweighted->getServerByKey($id))) { $weightsIgnored = false; }
        $why = [];
        if (!is_array($loc)) { $bad[] = "$id: rsmemcache_locate returned " . var_export($loc, true); continue; }
        if ($loc['key'] !== "memc.sess.key.$id") { $why[] = "key '{$loc['key']}'"; }
        if ($loc['lock_key'] !== "memc.sess.key.lock.$id") { $why[] = "lock key '{$loc['lock_key']}'"; }
        if ($loc['servers'][0] !== $home) { $why[] = "home {$loc['servers'][0]}, getServerByKey(id) $home"; }
        if ($loc['lock_server'] !== $lock) { $why[] = "lock server {$loc['lock_server']}, getServerByKey(lock.id) $lock"; }
        if (count(array_unique($loc['servers'])) !== count($loc['servers'])) { $why[] = 'servers repeat: ' . implode(' ', $loc['servers']); }
        if ($why) { $bad[] = "$id: " . implode('; ', $why); }
    }
    echo "ketama list $li (", count($servers), " servers): ", IDS, " ids, ", count($bad), " mismatches\n";
    if ($bad) {
        $failed = true;
        echo "  save_path: $savePath, mt_srand seed $seed\n";
        foreach (array_slice($bad, 0, 5) as $b) { echo "  $b\n"; }
    }
    if (!$weightsIgnored) { echo "  php-memcached did not ignore the weights of list $li\n"; }
}
echo $failed ? "MISMATCHES FOUND\n" : "done\n";
?>
--EXPECT--
-- live: php-memcached's session handler on the test daemons --
plain: 50 sessions written, each on one daemon, locked on one daemon while open, unlocked after
plain: data on 3 daemons, locks on 3 daemons
plain: rsmemcache_locate (compat=memcached) agrees for 50/50
plain: Memcached add-then-consistent reproduces the handler: yes
plain: Memcached consistent-then-add reproduces the handler: yes
plain: Memcached libketama reproduces the handler: no
weighted: 50 sessions written, each on one daemon, locked on one daemon while open, unlocked after
weighted: data on 3 daemons, locks on 3 daemons
weighted: rsmemcache_locate (compat=memcached) agrees for 50/50
weighted: Memcached add-then-consistent reproduces the handler: yes
weighted: Memcached consistent-then-add reproduces the handler: no
weighted: Memcached libketama reproduces the handler: no
-- fake lists: rsmemcache_locate vs Memcached::getServerByKey (add-then-consistent) --
ketama list 1 (3 servers): 500 ids, 0 mismatches
ketama list 2 (2 servers): 500 ids, 0 mismatches
ketama list 3 (4 servers): 500 ids, 0 mismatches
ketama list 4 (6 servers): 500 ids, 0 mismatches
ketama list 5 (5 servers): 500 ids, 0 mismatches
done
