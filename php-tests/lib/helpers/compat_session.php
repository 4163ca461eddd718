<?php
/* A scriptable session process for the compat_*.phpt tests (see compat.inc,
 * cp_spawn). The save handler and every other setting come from -d options
 * on its command line (the handler under test: memcache, memcached or
 * rsmemcache), so one process can serve many sessions, one after another.
 *
 * Commands, one per line on stdin; each is answered by exactly one line on
 * stdout (flushed at once). Every PHP warning/notice raised meanwhile is
 * printed before that answer as "warning: <text>" (never PHP's own display).
 *   start <id> [read_and_close]  session_id(<id>); session_start()   -> "start true|false"
 *   load <b64>                   $_SESSION = unserialize(base64)      -> "load"
 *   set <key> <b64>              $_SESSION[key] = base64-decoded string -> "set"
 *   dump                         -> "dump <base64(serialize($_SESSION))>" ("dump none" if unset)
 *   close                        session_write_close()               -> "close true|false"
 *   abort                        session_abort()                     -> "abort true|false"
 *   exit                         exit(0) (the session, if open, is written by PHP's shutdown)
 * End of stdin behaves as exit.
 */
ob_start();   // nothing is sent before session_start (no "headers already sent")
function cp_say(string $line): void {
    fwrite(STDOUT, $line . "\n");
    fflush(STDOUT);
}
set_error_handler(static function (int $no, string $str): bool {
    cp_say('warning: ' . str_replace(["\r", "\n"], ' ', $str));
    return true;
});
$b = static fn (bool $v): string => $v ? 'true' : 'false';

while (($line = fgets(STDIN)) !== false) {
    $args = explode(' ', rtrim($line, "\r\n"));
    switch ($args[0]) {
        case 'start':
            session_id($args[1]);
            cp_say('start ' . $b(session_start(($args[2] ?? '') === 'read_and_close' ? ['read_and_close' => true] : [])));
            break;
        case 'load':
            $_SESSION = unserialize(base64_decode($args[1]), ['allowed_classes' => false]);
            cp_say('load');
            break;
        case 'set':
            $_SESSION[$args[1]] = base64_decode($args[2]);
            cp_say('set');
            break;
        case 'dump':
            cp_say('dump ' . (isset($_SESSION) ? base64_encode(serialize($_SESSION)) : 'none'));
            break;
        case 'close':
            cp_say('close ' . $b(session_write_close()));
            break;
        case 'abort':
            cp_say('abort ' . $b(session_abort()));
            break;
        case 'exit':
            exit(0);
        default:
            cp_say('unknown command ' . $args[0]);
    }
}
