<?php
/* Router script for lock_web_tier.phpt, run by `php -S 127.0.0.1:<port> -t
 * <dir> lock_web_app.php` with the rsmemcache extension and
 * session.save_path given on the command line.
 *
 *   /ping  answers "pong" (no session): readiness probe
 *   /inc   starts the session named by the PHPSESSID cookie (it must exist:
 *          strict mode), increments $_SESSION['n'], writes it back and
 *          answers 200 "n=<new value> pid=<worker pid>"; any warning or
 *          failure answers 500 with the warnings' text
 */
$path = parse_url($_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH);
header('Content-Type: text/plain');
if ($path === '/ping') {
    echo "pong\n";
    return true;
}
if ($path !== '/inc') {
    http_response_code(404);
    echo "no such path\n";
    return true;
}
ini_set('session.save_handler', 'rsmemcache');
ini_set('session.use_cookies', '1');
ini_set('session.use_only_cookies', '1');
ini_set('session.use_strict_mode', '1');
ini_set('session.cache_limiter', '');
$warnings = [];
set_error_handler(static function (int $no, string $str) use (&$warnings): bool {
    $warnings[] = $str;
    return true;
});
$cookie = $_COOKIE[session_name()] ?? '';
if (!session_start() || session_id() !== $cookie) {
    http_response_code(500);
    echo 'session_start failed or changed the id: ', implode(' | ', $warnings), "\n";
    return true;
}
$n = ($_SESSION['n'] ?? 0) + 1;
$_SESSION['n'] = $n;
$closed = session_write_close();
if (!$closed || $warnings) {
    http_response_code(500);
    echo 'write failed: ', implode(' | ', $warnings), "\n";
    return true;
}
echo "n=$n pid=", getmypid(), "\n";
return true;
