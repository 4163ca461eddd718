--TEST--
contention: 16 processes incrementing 4 sessions for ~10 s with one copy per session (the default) and locking lose no update, see no false "another request changed it" conflict, and leave no lock behind
--SKIPIF--
<?php require __DIR__ . '/lib/skipif.inc'; ?>
--INI--
session.save_handler=rsmemcache
session.use_cookies=0
session.cache_limiter=
session.use_strict_mode=0
session.serialize_handler=php
rsmemcache.locking=1
rsmemcache.session_redundancy=1
rsmemcache.lock_wait_time=10000
rsmemcache.retry_interval=0
--FILE--
<?php
require __DIR__ . '/lib/hostile.inc';
$ids = [];
for ($i = 0; $i < 4; $i++) { $ids[] = hp_sid("c1$i"); }
hp_contention_report($ids, fn ($id) => mc_key($id), fn ($id) => mc_lock_key($id));
?>
--EXPECTF--
children that failed: 0
cycles > 0: yes
increments confirmed: %d; sum of final counters: %d; LOST UPDATES: 0; unconfirmed writes that landed anyway: 0
"another request changed it" warnings (false conflicts): 0
sessions unreadable at the end: 0
lock items left on the servers: 0
