<?php
/*
 * rsmemcache demo app: a tiny "shop" whose sessions live in memcached
 * (session.save_handler = rsmemcache). Two PHP web servers run this same
 * file; scripts/demo.sh walks a browser through both of them.
 *
 * Routes (app.php?action=...), every answer is JSON:
 *   health          GET   which server this is and how sessions are configured
 *   whoami          GET   server name, session id, user (or null) and cart;
 *                         visitors without a session cookie get no session
 *   login           POST  user=<name>: logs in, regenerates the session id
 *   cart_add        POST  item=<name>: adds one item to the cart (login required);
 *                         optional work_ms=<0-1000>: the page then works that
 *                         long (like a database query) while the session is
 *                         open, between reading the cart and writing it back
 *   logout          POST  destroys the session and deletes the cookie
 *   visit           GET   counts visits in the session (started, or created
 *                         for a visitor without a cookie) and writes it: one
 *                         session start + one write, the page scripts/tier-bench.sh
 *                         measures
 *
 * The server name (A or B) comes from the FARM_NODE environment variable
 * scripts/farm.sh sets in each php-fpm pool (or DEMO_NODE, if set).
 */
declare(strict_types=1);

/* Warnings (e.g. "rsmemcache: server ... connect failed") are collected and
 * returned in the JSON answer, and still logged (the handler returns false). */
$warnings = [];
set_error_handler(function (int $no, string $msg) use (&$warnings): bool {
    $warnings[] = $msg;
    return false;
});

function node(): string {
    $n = getenv('DEMO_NODE');
    if ($n === false || $n === '') {
        $n = getenv('FARM_NODE'); // set by scripts/farm.sh in each php-fpm pool
    }
    return $n === false || $n === '' ? 'port ' . ($_SERVER['SERVER_PORT'] ?? '?') : $n;
}

function reply(int $status, array $body): never {
    global $warnings;
    http_response_code($status);
    header('Content-Type: application/json');
    $body = ['node' => node(), 'pid' => getmypid()] + $body + ['warnings' => $warnings];
    echo json_encode($body, JSON_UNESCAPED_SLASHES), "\n";
    exit;
}

function fail(int $status, string $error): never {
    if (session_status() === PHP_SESSION_ACTIVE) {
        session_abort(); // leave the stored session as it was
    }
    reply($status, ['error' => $error]);
}

function require_post(): void {
    if (($_SERVER['REQUEST_METHOD'] ?? '') !== 'POST') {
        header('Allow: POST');
        fail(405, 'use POST');
    }
}

/* True when the browser sent a session cookie. Anonymous visitors without one
 * get no session at all: nothing is created in memcached for them. */
function has_session_cookie(): bool {
    return isset($_COOKIE[session_name()]) && is_string($_COOKIE[session_name()]);
}

/* Starts the session or answers 503 if the save handler cannot. */
function start(array $options = []): void {
    if (!session_start($options)) {
        fail(503, 'session_start() failed');
    }
}

/* Writes the session now, so a failed write is reported in this answer
 * instead of after the response has gone out. (session_write_close() returns
 * true even when the save handler's write failed; the warning tells.) */
function save(): void {
    global $warnings;
    $before = count($warnings);
    if (!session_write_close() || count($warnings) > $before) {
        fail(503, 'the session was not saved');
    }
}

function cart(): array {
    return is_array($_SESSION['cart'] ?? null) ? $_SESSION['cart'] : [];
}

$action = $_GET['action'] ?? 'whoami';
switch ($action) {
    case 'health':
        reply(200, [
            'php' => PHP_VERSION,
            'extension_loaded' => extension_loaded('rsmemcache'),
            // The conf.d files this PHP read ([] under php-fpm -n).
            'scanned_ini' => array_values(array_filter(array_map('trim', explode(',', (string) php_ini_scanned_files())))),
            'save_handler' => ini_get('session.save_handler'),
            'save_path' => ini_get('session.save_path'),
            'strict_mode' => (bool) ini_get('session.use_strict_mode'),
            'key_prefix' => ini_get('rsmemcache.prefix'),
        ]);

    case 'whoami':
        $sent = has_session_cookie() ? $_COOKIE[session_name()] : null;
        if ($sent === null) {
            reply(200, ['session_id' => null, 'cookie_sent' => null, 'user' => null, 'cart' => (object) []]);
        }
        start();
        $user = $_SESSION['user'] ?? null;
        $cart = cart();
        $sid = session_id();
        if ($user === null) {
            session_abort(); // nobody logged in: store nothing for this visitor
        } else {
            save(); // unchanged data: lazy_write only refreshes the TTL
        }
        reply(200, ['session_id' => $sid, 'cookie_sent' => $sent, 'user' => $user, 'cart' => (object) $cart]);

    case 'login':
        require_post();
        $user = $_POST['user'] ?? '';
        if (!is_string($user) || !preg_match('/^[A-Za-z0-9_.-]{1,32}$/', $user)) {
            fail(400, 'user must be 1-32 characters of [A-Za-z0-9_.-]');
        }
        start();
        $before = session_id();
        // A new id on every privilege change (defeats session fixation); true
        // deletes the old session from memcached. PHP throws an Error when the
        // new session cannot be created or read.
        try {
            $regenerated = session_regenerate_id(true);
        } catch (\Error $e) {
            $warnings[] = $e->getMessage();
            $regenerated = false;
        }
        if (!$regenerated) {
            fail(503, 'session_regenerate_id() failed');
        }
        $_SESSION['user'] = $user;
        $_SESSION['cart'] = cart();
        $_SESSION['login_time'] = time();
        $after = session_id();
        save();
        reply(200, ['previous_session_id' => $before, 'session_id' => $after, 'user' => $user, 'cart' => (object) cart()]);

    case 'cart_add':
        require_post();
        $item = $_POST['item'] ?? '';
        if (!is_string($item) || !preg_match('/^[A-Za-z0-9_.-]{1,32}$/', $item)) {
            fail(400, 'item must be 1-32 characters of [A-Za-z0-9_.-]');
        }
        $work_ms = $_POST['work_ms'] ?? '0';
        if (!is_string($work_ms) || !preg_match('/^[0-9]{1,4}$/', $work_ms) || (int) $work_ms > 1000) {
            fail(400, 'work_ms must be an integer from 0 to 1000');
        }
        $work_ms = (int) $work_ms;
        if (!has_session_cookie()) {
            fail(401, 'not logged in');
        }
        start();
        if (!isset($_SESSION['user'])) {
            fail(401, 'not logged in');
        }
        $cart = cart();
        if ($work_ms > 0) {
            usleep($work_ms * 1000);
        }
        $cart[$item] = ($cart[$item] ?? 0) + 1;
        $_SESSION['cart'] = $cart;
        $sid = session_id();
        save();
        reply(200, ['session_id' => $sid, 'user' => $_SESSION['user'], 'cart' => (object) $cart]);

    case 'visit':
        start();
        $_SESSION['visits'] = (int) ($_SESSION['visits'] ?? 0) + 1;
        $sid = session_id();
        $visits = $_SESSION['visits'];
        save();
        reply(200, ['session_id' => $sid, 'visits' => $visits]);

    case 'logout':
        require_post();
        if (!has_session_cookie()) {
            reply(200, ['destroyed_session_id' => null, 'user_was' => null]);
        }
        start();
        $sid = session_id();
        $user = $_SESSION['user'] ?? null;
        $_SESSION = [];
        if (!session_destroy()) {
            fail(503, 'session_destroy() failed');
        }
        // Delete the cookie in the browser too.
        $p = session_get_cookie_params();
        setcookie(session_name(), '', [
            'expires' => 1, 'path' => $p['path'], 'domain' => $p['domain'],
            'secure' => $p['secure'], 'httponly' => $p['httponly'], 'samesite' => $p['samesite'],
        ]);
        reply(200, ['destroyed_session_id' => $sid, 'user_was' => $user]);

    default:
        fail(404, 'unknown action');
}
