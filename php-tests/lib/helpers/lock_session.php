<?php
/* A scriptable session process for the lock_*.phpt tests.
 *
 * Usage: php lock_session.php <save_path> <id> [ini.name=value ...]
 *
 * Applies the ini settings (session.save_handler etc. come from the test's
 * ini via php_child_cmd), then executes commands read one per line from
 * stdin, in order, and answers each with one line on stdout (flushed at once):
 *   start [read_and_close]  session_id(<id>); session_start()
 *                           -> "start <bool> ms=<duration> t0=<hrtime before> t1=<hrtime after>"
 *   set <k> <v>             $_SESSION[k] = v                -> "set"
 *   data                    -> "data <json of $_SESSION>"
 *   close                   session_write_close()           -> "close <bool> t=<hrtime after>"
 *   abort                   session_abort()                 -> "abort <bool> t=<hrtime after>"
 *   destroy                 session_destroy()               -> "destroy <bool>"
 *   regen 0|1               session_regenerate_id(delete_old) -> "regen <bool> <new id>"
 *   sleep <ms>              usleep                          -> "slept"
 *   fatal                   calls an undefined function (fatal error; PHP shuts down)
 *   exit                    exit(0), with the session still open if it is
 * End of stdin behaves as exit. Every warning is printed as "warning: <text>"
 * (before the answer of the command that raised it) instead of PHP's display.
 */
[, $savePath, $id] = $argv;
ini_set('session.save_path', $savePath);
foreach (array_slice($argv, 3) as $setting) {
    [$name, $value] = explode('=', $setting, 2);
    ini_set($name, $value);
}
ob_start(); // keep headers unsent (session_regenerate_id refuses after output)
function say(string $line): void {
    fwrite(STDOUT, $line . "\n");
    fflush(STDOUT);
}
set_error_handler(static function (int $no, string $str): bool {
    say('warning: ' . $str);
    return true;
});
$b = static fn ($v) => var_export($v, true);

while (($line = fgets(STDIN)) !== false) {
    $args = explode(' ', rtrim($line, "\r\n"));
    switch ($args[0]) {
        case 'start':
            session_id($id);
            $t0 = hrtime(true);
            $ok = session_start(($args[1] ?? '') === 'read_and_close' ? ['read_and_close' => true] : []);
            $t1 = hrtime(true);
            say(sprintf('start %s ms=%d t0=%d t1=%d', $b($ok), intdiv($t1 - $t0, 1000000), $t0, $t1));
            break;
        case 'set':
            $_SESSION[$args[1]] = $args[2];
            say('set');
            break;
        case 'data':
            say('data ' . json_encode($_SESSION ?? null));
            break;
        case 'close':
            $ok = session_write_close();
            say(sprintf('close %s t=%d', $b($ok), hrtime(true)));
            break;
        case 'abort':
            $ok = session_abort();
            say(sprintf('abort %s t=%d', $b($ok), hrtime(true)));
            break;
        case 'destroy':
            say('destroy ' . $b(session_destroy()));
            break;
        case 'regen':
            $ok = session_regenerate_id($args[1] === '1');
            say('regen ' . $b($ok) . ' ' . session_id());
            break;
        case 'sleep':
            usleep((int)$args[1] * 1000);
            say('slept');
            break;
        case 'fatal':
            say('calling an undefined function');
            lk_this_function_does_not_exist();
            break;
        case 'exit':
            exit(0);
        default:
            say('unknown command ' . $args[0]);
    }
}
