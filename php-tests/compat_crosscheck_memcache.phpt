--TEST--
compat: placement equals pecl-memcache's: rsmemcache_locate's home server and probe order match MemcachePool::findServer("K-N") for 5 weighted server lists x consistent/standard x crc32/fnv, 500 random ids each, and the pinned reference vector
--SKIPIF--
<?php require __DIR__ . '/lib/compat.inc'; cp_skipif(['memcache'], false); ?>
--INI--
rsmemcache.key_hash=none
session.save_handler=rsmemcache
session.use_strict_mode=0
--FILE--
<?php
require __DIR__ . '/lib/compat.inc';
cp_load('memcache');
const IDS = 500;
const PROBES = 20;   // memcache.max_failover_attempts = rsmemcache.max_failover_attempts = 20 (both defaults)

// Fake hosts: neither side connects. [host, port, weight]; compat: which
// rsmemcache key layout the list is checked with (memcache: prefix "";
// none: the default prefix "rsmemcache.sess.", placed by the same rules).
$lists = [
    1 => ['compat' => 'memcache', 'servers' => [['10.0.0.1', 11211, 1], ['10.0.0.2', 11211, 1], ['cache-c.local', 11212, 2]]],
    2 => ['compat' => 'none', 'servers' => [['cache-a.local', 11212, 1], ['cache-b.local', 11211, 3]]],
    3 => ['compat' => 'memcache', 'servers' => [['192.168.1.10', 11211, 1], ['192.168.1.11', 11211, 2],
                                               ['192.168.1.12', 11213, 1], ['mc-4.example.com', 11211, 1]]],
    4 => ['compat' => 'none', 'servers' => [['m1', 11211, 1], ['m2', 11212, 2], ['m3', 11213, 3], ['10.1.0.4', 11211, 1],
                                           ['10.1.0.5', 21211, 2], ['cache-f.local', 11211, 1]]],
    5 => ['compat' => 'memcache', 'servers' => [['10.2.0.1', 11211, 5], ['10.2.0.2', 11211, 1], ['10.2.0.3', 11212, 1],
                                               ['cache-e.local', 11211, 2], ['cache-f.local', 11212, 1]]],
];
$configs = [['consistent', 'crc32'], ['consistent', 'fnv'], ['standard', 'crc32'], ['standard', 'fnv']];

/** A pecl-memcache pool of $servers built under the given memcache.hash_* (both are read when the pool is created). */
function pecl_pool(array $servers, string $strategy, string $function): MemcachePool {
    ini_set('memcache.hash_strategy', $strategy);
    ini_set('memcache.hash_function', $function);
    $old = error_reporting(E_ALL & ~E_DEPRECATED);   // pecl-memcache 8.x on PHP 8.2: "Creation of dynamic property MemcachePool::$connection"
    $pool = new MemcachePool();
    foreach ($servers as [$host, $port, $weight]) {
        $pool->addServer($host, $port, 0, false, $weight);
    }
    error_reporting($old);
    return $pool;
}

/** pecl-memcache's probe order for key $k: the distinct servers of findServer("$k-N"), N = 0 .. PROBES-1 (mmc_pool_find_next). */
function pecl_order(MemcachePool $pool, string $k): array {
    $order = [];
    for ($n = 0; $n < PROBES; $n++) {
        $s = $pool->findServer("$k-$n");
        if (!in_array($s, $order, true)) { $order[] = $s; }
    }
    return $order;
}

/** A random session id in one of PHP's formats (sid_bits_per_character 4, 5, 6; various lengths). */
function random_id(): string {
    static $alphabets = ['0123456789abcdef', '0123456789abcdefghijklmnopqrstuv',
                         '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-,'];
    $a = $alphabets[mt_rand(0, 2)];
    $len = [22, 26, 32, 40, 48, 64][mt_rand(0, 5)];
    $id = '';
    for ($i = 0; $i < $len; $i++) { $id .= $a[mt_rand(0, strlen($a) - 1)]; }
    return $id;
}

function rs_ini(string $compat, string $strategy, string $function): void {
    ini_set('rsmemcache.compat', $compat);
    ini_restore('rsmemcache.prefix');   // left at its default, so the preset supplies its own
    ini_set('rsmemcache.hash_strategy', $strategy);
    ini_set('rsmemcache.hash_function', $function);
    ini_set('rsmemcache.max_failover_attempts', (string)PROBES);
}

$seed = random_int(1, 0x7fffffff);
mt_srand($seed);
$failed = false;

foreach ($lists as $li => $list) {
    $savePath = implode(', ', array_map(static fn ($s) => "tcp://$s[0]:$s[1]?weight=$s[2]", $list['servers']));
    $prefix = $list['compat'] === 'memcache' ? '' : 'rsmemcache.sess.';
    $ids = [];
    while (count($ids) < IDS) { $ids[random_id()] = true; }
    $ids = array_keys($ids);
    $homes = [];   // config => pecl homes of $ids
    foreach ($configs as [$strategy, $function]) {
        $tag = "$strategy/$function";
        $pool = pecl_pool($list['servers'], $strategy, $function);
        rs_ini($list['compat'], $strategy, $function);
        $bad = [];
        foreach ($ids as $id) {
            $loc = rsmemcache_locate($id, $savePath);
            $k = $prefix . $id;
            $order = pecl_order($pool, $k);
            $homes[$tag][] = $order[0];
            if (!is_array($loc)) { $bad[] = "$id: rsmemcache_locate returned " . var_export($loc, true); continue; }
            $home = $pool->findServer("$k-0");
            $why = [];
            if ($loc['key'] !== $k) { $why[] = "key '{$loc['key']}', want '$k'"; }
            if (($loc['servers'][0] ?? null) !== $home) { $why[] = 'home ' . ($loc['servers'][0] ?? '-') . ", pecl findServer(K-0) $home"; }
            if ($loc['servers'] !== $order) { $why[] = 'order ' . implode(' ', $loc['servers']) . ', pecl ' . implode(' ', $order); }
            if ($loc['lock_key'] !== "$k.lock" || $loc['lock_server'] !== $home) {
                $why[] = "lock '{$loc['lock_key']}' on {$loc['lock_server']}, want '$k.lock' on $home";
            }
            if ($why) { $bad[] = "$id: " . implode('; ', $why); }
        }
        echo "$tag list $li: ", count($ids), " ids, ", count($bad), " mismatches\n";
        if ($bad) {
            $failed = true;
            echo "  save_path: $savePath, compat=", $list['compat'], ", mt_srand seed $seed\n";
            foreach (array_slice($bad, 0, 5) as $b) { echo "  $b\n"; }
        }
    }
    // pecl-memcache's placement really changes with the directives (so the four rows above test four different placements).
    $same = [];
    foreach ($homes as $a => $ha) {
        foreach ($homes as $b => $hb) { if ($a < $b && $ha === $hb) { $same[] = "$a = $b"; } }
    }
    echo "list $li: pecl homes differ between all four configurations: ", $same ? 'NO (' . implode(', ', $same) . ')' : 'yes', "\n";
}

echo "-- reference vector --\n";
$ref = [['10.0.0.1', 11211, 1], ['10.0.0.2', 11211, 1], ['cache-c.local', 11212, 2]];
$refPath = 'tcp://10.0.0.1:11211, tcp://10.0.0.2:11211, tcp://cache-c.local:11212?weight=2';
$sid = 'Zyxwvutsrqponmlkjihgfedcba987654';
ini_restore('rsmemcache.hash_strategy');
ini_restore('rsmemcache.hash_function');
ini_restore('rsmemcache.max_failover_attempts');
ini_set('rsmemcache.compat', 'memcache');
$loc = rsmemcache_locate($sid, $refPath);
echo "rsmemcache (compat=memcache): key '{$loc['key']}', home {$loc['servers'][0]}, order ", implode(' ', $loc['servers']),
    ", lock '{$loc['lock_key']}' on {$loc['lock_server']}\n";
$pool = pecl_pool($ref, 'consistent', 'crc32');
echo "pecl-memcache (consistent/crc32): home ", $pool->findServer("$sid-0"), ", order ", implode(' ', pecl_order($pool, $sid)), "\n";
echo $failed ? "MISMATCHES FOUND\n" : "done\n";
?>
--EXPECT--
consistent/crc32 list 1: 500 ids, 0 mismatches
consistent/fnv list 1: 500 ids, 0 mismatches
standard/crc32 list 1: 500 ids, 0 mismatches
standard/fnv list 1: 500 ids, 0 mismatches
list 1: pecl homes differ between all four configurations: yes
consistent/crc32 list 2: 500 ids, 0 mismatches
consistent/fnv list 2: 500 ids, 0 mismatches
standard/crc32 list 2: 500 ids, 0 mismatches
standard/fnv list 2: 500 ids, 0 mismatches
list 2: pecl homes differ between all four configurations: yes
consistent/crc32 list 3: 500 ids, 0 mismatches
consistent/fnv list 3: 500 ids, 0 mismatches
standard/crc32 list 3: 500 ids, 0 mismatches
standard/fnv list 3: 500 ids, 0 mismatches
list 3: pecl homes differ between all four configurations: yes
consistent/crc32 list 4: 500 ids, 0 mismatches
consistent/fnv list 4: 500 ids, 0 mismatches
standard/crc32 list 4: 500 ids, 0 mismatches
standard/fnv list 4: 500 ids, 0 mismatches
list 4: pecl homes differ between all four configurations: yes
consistent/crc32 list 5: 500 ids, 0 mismatches
consistent/fnv list 5: 500 ids, 0 mismatches
standard/crc32 list 5: 500 ids, 0 mismatches
standard/fnv list 5: 500 ids, 0 mismatches
list 5: pecl homes differ between all four configurations: yes
-- reference vector --
rsmemcache (compat=memcache): key 'Zyxwvutsrqponmlkjihgfedcba987654', home 10.0.0.2:11211, order 10.0.0.2:11211 cache-c.local:11212 10.0.0.1:11211, lock 'Zyxwvutsrqponmlkjihgfedcba987654.lock' on 10.0.0.2:11211
pecl-memcache (consistent/crc32): home 10.0.0.2:11211, order 10.0.0.2:11211 cache-c.local:11212 10.0.0.1:11211
done
