<?php
/**
 * rsmemcache: functions the extension defines (IDE / static-analysis stub;
 * never include it at runtime).
 *
 * Both read session.save_path and the rsmemcache.* directives as they are
 * now (ini_set() before the call changes what they report) and build the
 * process's pool for that save_path if needed, without connecting. A bad
 * save_path, directive or session id gives an E_WARNING starting
 * "rsmemcache:" and the function returns false.
 */

/**
 * The servers of this PHP process's pool for $save_path (default:
 * session.save_path), in save_path order, each with its state. Failure state
 * (failed until, failures, the last error's kind) is shared by every worker
 * of a php-fpm master (or Apache prefork parent, or a CLI process and its
 * pcntl_fork() children): it lives in shared memory mapped at module
 * startup, keyed by the server's address ("shared" => true). Without that
 * table (it could not be mapped, or is full) it is kept per process
 * ("shared" => false). Idle connections are always per process.
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
 *     shared: bool               // whether the state is shared by the workers of the master
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
