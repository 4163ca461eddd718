<?php
/**
 * rsmemcache: functions the extension defines (IDE / static-analysis stub;
 * never include it at runtime).
 *
 * rsmemcache_servers() and rsmemcache_locate() read session.save_path and the rsmemcache.* directives as they are
 * now (ini_set() before the call changes what they report) and build the
 * process's pool for that save_path if needed, without connecting. A bad
 * save_path, directive or session id gives an E_WARNING starting
 * "rsmemcache:" and the function returns false.
 */

/**
 * The servers of this PHP process's pool for $save_path (default:
 * session.save_path), in save_path order, each with its state. Failure state
 * (when it failed, failures, the last error's kind) is shared by every worker
 * of a php-fpm master (or Apache prefork parent, or a CLI process and its
 * pcntl_fork() children) that runs as the same user: it lives in shared
 * memory mapped at module startup, keyed by the effective uid and the
 * server's address ("shared" => true), claimed once the server has answered
 * a request of that uid. Each caller applies its own retry interval to the
 * failure time (capped by php.ini's). Before the server's first answer, or
 * without that table (it could not be mapped, or is full) it is kept per
 * process ("shared" => false). Idle connections are always per process.
 *
 * @param string|null $save_path a save_path (either grammar); null: session.save_path
 * @return list<array{
 *     server: string,            // "host:port", "[v6]:port" or "unix:///path"
 *     weight: int,               // from save_path
 *     state: string,             // "up" | "failed" (skipped) | "retry due" (failed, the next request tries it)
 *     failed_until: float|null,  // while failed: unix time (seconds) when it is tried again
 *     retry_in_ms: int|null,     // while failed: milliseconds until then
 *     failures: int,             // errors seen from it (by every worker sharing the state)
 *     last_error: string|null,   // the last one's text as this process saw it; from another
 *                                // worker only its kind: "server <label>: no answer (seen by another process)"
 *     idle_connections: int,     // pooled connections this process keeps for reuse
 *     shared: bool,              // whether the state is shared by the workers of the master (same user)
 *     role: string               // "current": in session.save_path; "current+previous": also in
 *                                // rsmemcache.previous_save_path; "previous": only there (a resize:
 *                                // read for sessions not moved yet, never a session's home)
 * }>|false
 */
function rsmemcache_servers(?string $save_path = null): array|false {}

/**
 * Where session $id lives under the current directives (rsmemcache.compat,
 * prefix, hash_strategy, hash_function, max_failover_attempts), regardless of
 * server health: its key, its probe order (home server first; with
 * rsmemcache.session_redundancy = N the copies go to the first N reachable
 * ones), its lock key and the lock's server.
 *
 * @param string      $id        a session id
 * @param string|null $save_path a save_path; null: session.save_path
 * @return array{key: string, servers: list<string>, lock_key: string, lock_server: string}|false
 */
function rsmemcache_locate(string $id, ?string $save_path = null): array|false {}

/**
 * Counters since the php-fpm master (or Apache parent, or this CLI process)
 * started the module, added up by all its workers that run as the caller's
 * user (they live in the same shared memory as the failure state, per
 * effective uid: another pool user's servers and counters are never listed;
 * "shared" => false when they are this process's own). A failover is a session read or write served by other
 * servers than the first rsmemcache.session_redundancy of its probe order;
 * a request that failed over for both its read and its write counts 2.
 *
 * With $format 'prometheus', the same as Prometheus text (exposition format
 * 0.0.4, with # HELP and # TYPE lines): rsmemcache_<key>_total counters for
 * the session-level keys (rsmemcache_lock_wait_ms_total keeps its name,
 * rsmemcache_lock_wait_ms_max is a gauge), and per server
 * rsmemcache_requests_total{server="host:port"},
 * rsmemcache_errors_total{server="…",kind="connect|connect_timeout|timeout|io|protocol|server_error"}
 * and rsmemcache_timeouts_total{server="…"}. Any other $format: E_WARNING
 * and false.
 *
 * @param string|null $format null or 'array': the array; 'prometheus': text
 * @return array{
 *     shared: bool,
 *     locks_acquired: int,         // session locks taken (at once or after a wait)
 *     lock_waits: int,             // requests that found the lock held and waited
 *     lock_wait_ms_total: int,     // milliseconds spent in those waits
 *     lock_wait_ms_max: int,       // the longest one, in milliseconds
 *     lock_wait_timeouts: int,     // waits that gave up (rsmemcache.lock_wait_time)
 *     lost_lock_refusals: int,     // writes/destroys refused: the session was opened read-only
 *     read_repairs: int,           // reads that rewrote stale or missing copies
 *     write_conflicts: int,        // writes refused because a copy changed since it was read
 *     failovers: int,              // reads and writes served away from their home servers
 *     sessions_moved: int,         // sessions read where rsmemcache.previous_save_path placed them and moved to their new home
 *     requests: int,               // pipelines sent, all servers
 *     errors_connect: int, errors_connect_timeout: int, errors_timeout: int,
 *     errors_io: int, errors_protocol: int, errors_server: int,   // errors by kind, all servers
 *     timeouts: int,               // errors_connect_timeout + errors_timeout
 *     servers: list<array{server: string, requests: int, errors_connect: int,
 *         errors_connect_timeout: int, errors_timeout: int, errors_io: int,
 *         errors_protocol: int, errors_server: int, timeouts: int}>
 * }|string|false
 */
function rsmemcache_stats(?string $format = null): array|string|false {}
