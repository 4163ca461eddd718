#!/usr/bin/env bash
# rsmemcache demo: one browser, two PHP web servers, sessions in memcached.
#
# Builds the extension and starts a private web farm (scripts/farm.sh): two
# memcached daemons, two PHP web servers ("A" and "B": two php-fpm masters,
# both running demo/app.php with session.save_handler = rsmemcache and the
# same two daemons in session.save_path) and one nginx in front of them. Then
# walks a browser-like client (curl with ONE cookie jar, talking to nginx)
# through a login on A, a cart on B, a burst of parallel requests to A and B
# that the session lock must serialise, and a logout, checking every answer
# and where the session lives in memcached. nginx balances round robin over A
# and B; the demo picks the server of each request through nginx's paths
# /_node/A/... and /_node/B/... so that every step says which one answered.
# Everything runs on 127.0.0.1; everything started is stopped by PID on exit,
# on failure and on Ctrl-C.
#
# Usage: bash scripts/demo.sh      (or: make demo)
# Environment (all optional):
#   DEMO_MC1_PORT, DEMO_MC2_PORT     memcached ports      (21411, 21412)
#   DEMO_WEB_PORT                    nginx port           (21480; with
#                                    FARM_WEB=apache the Apaches listen on
#                                    this +2 and +4)
#   DEMO_SKIP_DEPS=1                 do not run scripts/deps.sh
#   DEMO_EXTENSION=installed         do not build: use the extension PHP's own
#                                    configuration loads (e.g. the Debian
#                                    package's conf.d link; php-fpm runs with
#                                    its php.ini and conf.d, FARM_SO=system),
#                                    and check both web servers loaded it
#                                    through a conf.d file *rsmemcache.ini.
#                                    Implies DEMO_SKIP_DEPS=1. scripts/deb-test.sh
#                                    runs it so against the installed package.
#   DEMO_EXTENSION=/path/rsmemcache.so  do not build: load this built
#                                    extension (tests/e2e/apache.sh)
#   FARM_WEB=apache                  web servers A and B are two Apache httpd
#                                    with prefork + mod_php instead of php-fpm
#                                    (scripts/farm.sh; tests/e2e/apache.sh)
#   PHP_CONFIG                       php-config of the PHP to build and run against
#   CARGO_TARGET_DIR                 where cargo puts the build (default: target)
# Exit status: 0 when every step passed, 1 on the first failed step.
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
ROOT=$PWD

MC_PORTS=("${DEMO_MC1_PORT:-21411}" "${DEMO_MC2_PORT:-21412}")
WEB_PORT=${DEMO_WEB_PORT:-21480}
WORKERS=4
SESSION_NAME=PHPSESSID
KEY_PREFIX=rsmemcache.sess.

# ---------------------------------------------------------------- processes

BURST_PIDS=()   # curl processes of the parallel step while they run
TMP=""

# shellcheck source=scripts/farm.sh
source "$ROOT/scripts/farm.sh"

# Sends signal $1 to the listed PIDs that are still alive, then waits (at
# most $2 tenths of a second) until they are gone. Returns 1 if some remain.
signal_and_wait() {
  local sig=$1 tenths=$2 p left
  shift 2
  for p in "$@"; do pid_alive "$p" && kill "-$sig" "$p" 2>/dev/null; done
  local i
  for ((i = 0; i < tenths; i++)); do
    left=0
    for p in "$@"; do pid_alive "$p" && left=1; done
    ((left)) || return 0
    sleep 0.1
  done
  return 1
}

# Stops every process this script started (each recorded by PID).
stop_all() {
  local p
  # curl processes of an interrupted parallel step first: they talk to the
  # web servers.
  if ((${#BURST_PIDS[@]})); then
    signal_and_wait TERM 20 "${BURST_PIDS[@]}" || signal_and_wait KILL 20 "${BURST_PIDS[@]}"
    for p in "${BURST_PIDS[@]}"; do wait "$p" 2>/dev/null; done
    echo "demo: stopped ${#BURST_PIDS[@]} curl processes (${BURST_PIDS[*]})"
    BURST_PIDS=()
  fi
  if [[ -n $FARM_DIR ]]; then
    local what="nginx $FARM_NGINX_PID; $FARM_WEB_NAME ${FARM_FPM_PIDS[*]} + workers; memcached ${FARM_MC_PIDS[*]}"
    farm_stop
    echo "demo: stopped the farm ($what)"
  fi
}

cleanup() {
  local rc=$?
  trap - EXIT INT TERM HUP
  stop_all
  [[ -n $TMP ]] && rm -rf -- "$TMP"
  exit "$rc"
}
trap cleanup EXIT
trap 'echo; echo "demo: interrupted" >&2; exit 130' INT
trap 'echo "demo: terminated" >&2; exit 143' TERM
trap 'echo "demo: hangup" >&2; exit 129' HUP

# ------------------------------------------------------------------ output

STEP=""
STEPS_PASSED=0

show_logs() {
  local f
  [[ -n $FARM_DIR && -d $FARM_DIR ]] || return 0
  for f in "$FARM_DIR"/*.log; do
    [[ -s $f ]] || continue
    echo "---- ${f##*/} (last lines, without connection noise) ----" >&2
    grep -v -E ' (Accepted|Closing)$' "$f" | tail -n 12 >&2
  done
}

fail() {
  echo "FAIL${STEP:+ (step $STEP)}: $*" >&2
  show_logs
  exit 1
}

step() {
  STEP=$1
  shift
  printf '\n[%s] %s\n' "$STEP" "$*"
}

line() { printf '    %-9s %s\n' "$1" "$2"; }

passed() {
  line "ok:" "$*"
  STEPS_PASSED=$((STEPS_PASSED + 1))
}

# expect WHAT ACTUAL EXPECTED
expect() {
  [[ $2 == "$3" ]] || fail "$1: expected '$3', got '$2'"
}

# ------------------------------------------------------------ memcached I/O

# True if something accepts TCP connections on 127.0.0.1:$1.
port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# True if the memcached on port $1 answers a meta no-op.
mc_ping() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf 'mn\r\n' >&3
    IFS= read -r -t 2 reply <&3 || exit 1
    [[ ${reply%$'\r'} == MN ]]
  ) 2>/dev/null
}

# mc_get PORT KEY: sends the raw meta command "mg KEY v t" and prints the
# reply line, then the value (if any) on a second line.
# Status 0 = hit, 1 = miss (EN), 2 = no or unexpected answer.
mc_get() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 2
    printf 'mg %s v t\r\n' "$2" >&3
    IFS= read -r -t 2 head <&3 || exit 2
    head=${head%$'\r'}
    printf '%s\n' "$head"
    case $head in
      EN) exit 1 ;;
      "VA "*)
        len=${head#VA }
        len=${len%% *}
        LC_ALL=C IFS= read -r -N "$len" -t 2 value <&3 || exit 2
        printf '%s\n' "$value"
        exit 0 ;;
      *) exit 2 ;;
    esac
  ) 2>/dev/null
}

# The memcached data key of session id $1: the prefix + base64url(SHA-256(id))
# without padding (rsmemcache.key_hash = sha256, the default): no key holds
# a session id.
session_key() {
  printf '%s%s' "$KEY_PREFIX" "$("$PHP" -n -r 'echo rtrim(strtr(base64_encode(hash("sha256", $argv[1], true)), "+/", "-_"), "=");' -- "$1")"
}

# Prints "host:port" of every daemon holding KEY; status 2 if a daemon does
# not answer.
mc_where() {
  local port
  for port in "${MC_PORTS[@]}"; do
    mc_get "$port" "$1" >/dev/null
    case $? in
      0) printf '127.0.0.1:%s ' "$port" ;;
      1) ;;
      *) return 2 ;;
    esac
  done
}

# ------------------------------------------------------------------ HTTP

# The session id in the browser's cookie jar (empty if none).
jar_sid() {
  local domain flag path secure expiry name value
  [[ -f $JAR ]] || return 0
  while IFS=$'\t' read -r domain flag path secure expiry name value; do
    [[ $domain == \#* && $domain != '#HttpOnly_'* ]] && continue
    [[ $name == "$SESSION_NAME" ]] && printf '%s' "$value"
  done <"$JAR"
  return 0
}

declare -A J     # top-level fields of the last JSON answer
CODE=""          # HTTP status of the last answer
BODY=""          # body of the last answer

# Parses $BODY into J (strings as is, everything else as compact JSON).
parse_json() {
  local out k v
  J=()
  out=$("$PHP" -n -r '
    $d = json_decode(stream_get_contents(STDIN));
    if (!is_object($d)) { exit(3); }
    foreach ($d as $k => $v) {
        $s = is_string($v) && !preg_match("/[\\x00-\\x1f]/", $v) ? $v : json_encode($v, JSON_UNESCAPED_SLASHES);
        echo $k, "\t", $s, "\n";
    }' <<<"$BODY") || return 1
  while IFS=$'\t' read -r k v; do [[ -n $k ]] && J[$k]=$v; done <<<"$out"
  return 0
}

# request NODE METHOD ACTION [FIELD=VALUE ...]
# Sends one request as the browser (cookie jar $JAR), prints what was sent
# and which server answered, and leaves the answer in CODE, BODY and J.
request() {
  local node=$1 method=$2 action=$3
  shift 3
  local url="http://127.0.0.1:$WEB_PORT/_node/$node/app.php?action=$action"
  local args=(-sS --noproxy '*' --max-time 10 -b "$JAR" -c "$JAR" -o "$TMP/body" -w '%{http_code}')
  local sent cookie f
  cookie=$(jar_sid)
  if [[ $method == POST ]]; then
    (($#)) || args+=(--data-raw '')
    for f in "$@"; do args+=(--data-urlencode "$f"); done
  fi
  sent="$method $url"
  (($#)) && sent+="  body: $*"
  line "sent:" "$sent"
  if [[ -n $cookie ]]; then line "" "cookie: $SESSION_NAME=$cookie"; else line "" "cookie: (none)"; fi
  CODE=$(curl "${args[@]}" "$url") || fail "web server $node (through nginx on port $WEB_PORT) did not answer $method $action"
  BODY=$(<"$TMP/body")
  parse_json || fail "web server $node answered HTTP $CODE with something that is not JSON: $BODY"
  line "answered:" "web server ${J[node]:-?} (worker pid ${J[pid]:-?}), HTTP $CODE"
  expect "answering server" "${J[node]:-}" "$node"
  [[ ${J[warnings]:-[]} == '[]' ]] || fail "PHP warnings on web server $node: ${J[warnings]}"
  [[ -z ${J[error]:-} ]] || line "error:" "${J[error]}"
  return 0
}

# ----------------------------------------------------------------- start-up

echo "== rsmemcache demo: one browser, two web servers, sessions in memcached =="

INSTALLED=0
BUILT=""
case ${DEMO_EXTENSION:-} in
  "") ;;
  installed) INSTALLED=1 ;;
  /*.so) BUILT=$DEMO_EXTENSION ;;
  *) fail "DEMO_EXTENSION must be empty, 'installed' or the absolute path of a built rsmemcache.so, not '$DEMO_EXTENSION'" ;;
esac
if [[ ${DEMO_SKIP_DEPS:-0} != 1 && -z $BUILT ]] && ((!INSTALLED)); then
  bash scripts/deps.sh || fail "scripts/deps.sh could not install the dependencies"
fi
if ((INSTALLED)); then
  # No build: the web servers must get the extension from PHP's own
  # configuration (php-fpm reads its php.ini and conf.d; farm.sh FARM_SO=system).
  php_resolve
  [[ -n $PHP ]] || fail "no php binary found"
  command -v curl >/dev/null || fail "curl is not installed"
  "$PHP" -r 'exit(extension_loaded("rsmemcache") ? 0 : 1);' ||
    fail "$PHP does not load rsmemcache from its configuration (is the package installed and enabled?)"
  SO=system
  echo "demo: using the installed extension ($PHP loads it from its configuration; no build)"
else
  if ! command -v cargo >/dev/null 2>&1 && [[ -x $HOME/.cargo/bin/cargo ]]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  fi

  if [[ -n $BUILT ]]; then
    SO=$BUILT
    [[ -f $SO ]] || fail "no extension at $SO"
    echo "demo: using the built extension $SO (no build)"
  else
    echo "demo: building the extension (cargo build --release)"
    cargo build --release || fail "cargo build --release failed"
    TARGET_DIR=${CARGO_TARGET_DIR:-target}
    [[ $TARGET_DIR == /* ]] || TARGET_DIR=$ROOT/$TARGET_DIR
    SO=$TARGET_DIR/release/librsmemcache.so
    [[ -f $SO ]] || fail "the build did not produce $SO"
  fi

  # Run the PHP the extension was built against (build.rs uses php-config).
  php_resolve
  [[ -n $PHP ]] || fail "no php binary found"
  command -v curl >/dev/null || fail "curl is not installed"
  "$PHP" -n -d "extension=$SO" -r 'exit(extension_loaded("rsmemcache") ? 0 : 1);' ||
    fail "$PHP cannot load $SO"
fi

for port in "${MC_PORTS[@]}" "$WEB_PORT"; do
  port_busy "$port" && fail "port $port on 127.0.0.1 is already in use (another demo still running?); set DEMO_*_PORT to use other ports"
done

TMP=$(mktemp -d "${TMPDIR:-/tmp}/rsmemcache-demo.XXXXXX") || fail "mktemp failed"
JAR=$TMP/cookies.txt
: >"$JAR"

# The farm: memcached on MC_PORTS, php-fpm (or Apache) A and B ($WORKERS workers each,
# FARM_NODE=A/B in their environment), nginx on WEB_PORT.
FARM_MC_PORTS=("${MC_PORTS[@]}")
FARM_HTTP_PORT=$WEB_PORT
FARM_APP_DIR=$ROOT/demo
FARM_SO=$SO
FARM_WORKERS=$WORKERS
FARM_INI=(
  session.use_strict_mode=1
  session.use_cookies=1
  session.use_only_cookies=1
  session.use_trans_sid=0
  session.cookie_httponly=1
  session.cookie_samesite=Lax
  "session.name=$SESSION_NAME"
  session.gc_maxlifetime=1440
  session.lazy_write=1
  "rsmemcache.prefix=$KEY_PREFIX"
)
farm_start || fail "the web farm did not start (see above)"
SAVE_PATH=$FARM_SAVE_PATH
for i in 0 1; do
  echo "demo: memcached 127.0.0.1:${MC_PORTS[$i]} up (pid ${FARM_MC_PIDS[$i]})"
done
i=0
for node in A B; do
  pid=${FARM_FPM_PIDS[$i]}
  i=$((i + 1))
  health=$(curl -sS --noproxy '*' --max-time 5 "http://127.0.0.1:$WEB_PORT/_node/$node/app.php?action=health") ||
    fail "web server $node did not answer its health check"
  read -r -a workers <<<"$(farm_children_of "$pid" | paste -sd ' ')"
  BODY=$health
  parse_json || fail "web server $node: health answer is not JSON: $health"
  expect "answering server" "${J[node]-}" "$node"
  expect "web server $node extension_loaded(rsmemcache)" "${J[extension_loaded]-}" true
  expect "web server $node session.save_handler" "${J[save_handler]-}" rsmemcache
  if ((INSTALLED)); then
    [[ ${J[scanned_ini]-} =~ \"(/[^\"]*/[^/\"]*rsmemcache\.ini)\" ]] ||
      fail "web server $node read no conf.d file *rsmemcache.ini: ${J[scanned_ini]-}"
    echo "demo: web server $node loaded rsmemcache through ${BASH_REMATCH[1]}"
  fi
  expect "web server $node session.save_path" "${J[save_path]-}" "$SAVE_PATH"
  echo "demo: web server $node ($FARM_WEB_NAME pid $pid, workers ${workers[*]}) up behind nginx http://127.0.0.1:$WEB_PORT/, PHP ${J[php]-}, save_handler=${J[save_handler]-}, save_path=${J[save_path]-}"
done

echo
echo "The browser keeps ONE cookie jar and talks to ONE address, nginx, which"
echo "forwards to web server A or B (round robin; here the path /_node/A or"
echo "/_node/B picks one, so each step shows which one answered). The same session"
echo "cookie goes to both. Neither web server keeps sessions itself: both read"
echo "and write them in memcached through rsmemcache."

# ---------------------------------------------------------------- scenario

USER_NAME=alice
BURST=20      # parallel requests in step 5
WORK_MS=20    # how long each of them keeps its session open (app.php work_ms)

step 1 "An anonymous visitor opens a page on web server A"
request A GET whoami
expect "HTTP status" "$CODE" 200
expect "user" "${J[user]-}" null
expect "session id" "${J[session_id]-}" null
line "result:" "user=${J[user]-} session=${J[session_id]-} cart=${J[cart]-}"
[[ -z $(jar_sid) ]] || fail "an anonymous page set a session cookie"
passed "anonymous on A; no session was created and no cookie was set"

step 2 "The visitor logs in as '$USER_NAME' on web server A"
request A POST login "user=$USER_NAME"
expect "HTTP status" "$CODE" 200
expect "user" "${J[user]-}" "$USER_NAME"
SID=${J[session_id]-}
[[ $SID =~ ^[A-Za-z0-9,-]+$ ]] || fail "login returned no usable session id: '$SID'"
[[ ${J[previous_session_id]-} != "$SID" ]] || fail "session_regenerate_id() kept the id $SID"
expect "session cookie in the jar" "$(jar_sid)" "$SID"
gone=$(mc_where "$(session_key "${J[previous_session_id]-}")") || fail "a memcached daemon did not answer"
[[ -z $gone ]] || fail "the pre-login session ${J[previous_session_id]-} is still stored on $gone"
line "result:" "user=${J[user]-} session=$SID (id regenerated from ${J[previous_session_id]-}, old one deleted)"
passed "logged in on A; the browser now holds cookie $SESSION_NAME=$SID"

step 3 "The same browser opens a page on web server B"
request B GET whoami
expect "HTTP status" "$CODE" 200
expect "user seen by B" "${J[user]-}" "$USER_NAME"
expect "session id seen by B" "${J[session_id]-}" "$SID"
line "result:" "user=${J[user]-} session=${J[session_id]-} cart=${J[cart]-}"
passed "B recognises $USER_NAME: same session id, read from memcached"

step 4 "The visitor adds items to the cart on web server B"
for item in apple pear apple; do
  request B POST cart_add "item=$item"
  expect "HTTP status" "$CODE" 200
  expect "session id" "${J[session_id]-}" "$SID"
  line "result:" "cart=${J[cart]-}"
done
expect "cart on B" "${J[cart]-}" '{"apple":2,"pear":1}'
passed "cart saved by B: ${J[cart]-}"

step 5 "The same browser fires $BURST requests at once, alternating between A and B, each adding one 'plum' to the cart"
line "why:" "PHP reads the whole session at session_start(), the page changes it, and"
line "" "the whole session is written back at the end. Without a lock, parallel"
line "" "requests of one user (AJAX calls, tabs, a double click) all read the same"
line "" "cart, each writes back its own copy, the last write wins: plums are lost."
line "" "rsmemcache serialises them: session_start() takes a lock in memcached"
line "" "(an atomic add of $KEY_PREFIX<SHA-256 of the id>.lock), the write releases it, and the"
line "" "next request waits for it, then reads the cart with the previous plum in it."
line "" "The lock lives in memcached, so it holds across A and B."
line "sent:" "$BURST x POST http://127.0.0.1:$WEB_PORT/_node/{A,B}/app.php?action=cart_add  body: item=plum work_ms=$WORK_MS"
line "" "all at once ($BURST curl processes in the background), odd ones to A, even ones to B;"
line "" "work_ms=$WORK_MS: each page works ${WORK_MS} ms (like a database query) while its session is open"
line "" "cookie: $SESSION_NAME=$(jar_sid) (each request)"
t0=${EPOCHREALTIME//[!0-9]/}
declare -A BURST_NODE=()
for ((i = 1; i <= BURST; i++)); do
  node=B
  ((i % 2)) && node=A
  BURST_NODE[$i]=$node
  # -b without -c: the requests read the jar; none writes it.
  curl -sS --noproxy '*' --max-time 30 -b "$JAR" \
    --data-urlencode item=plum --data-urlencode "work_ms=$WORK_MS" \
    -o "$TMP/burst-$i.body" -w '%{http_code}' \
    "http://127.0.0.1:$WEB_PORT/_node/$node/app.php?action=cart_add" \
    >"$TMP/burst-$i.code" 2>"$TMP/burst-$i.err" &
  BURST_PIDS+=("$!")
done
declare -A CURL_RC=()
for ((i = 1; i <= BURST; i++)); do
  wait "${BURST_PIDS[$((i - 1))]}"
  CURL_RC[$i]=$?
done
BURST_PIDS=()
t1=${EPOCHREALTIME//[!0-9]/}
# Every answer: HTTP 200 from the server it was sent to, same session, no
# warning. SEEN = the plum count each request found after adding its plum.
SEEN=()
declare -A ANSWERS=() WORKERS_SEEN=() CODES=()
bad=()
for ((i = 1; i <= BURST; i++)); do
  node=${BURST_NODE[$i]}
  if ((CURL_RC[$i] != 0)); then
    bad+=("request $i to $node: no answer (curl exit ${CURL_RC[$i]}: $(tr '\n' ' ' <"$TMP/burst-$i.err"))")
    continue
  fi
  CODE=$(<"$TMP/burst-$i.code")
  BODY=$(<"$TMP/burst-$i.body")
  CODES[$CODE]=$((${CODES[$CODE]:-0} + 1))
  if ! parse_json; then
    bad+=("request $i to $node: HTTP $CODE, not JSON: $BODY")
    continue
  fi
  if [[ $CODE != 200 || ${J[node]-} != "$node" || ${J[session_id]-} != "$SID" ||
    ${J[warnings]-} != '[]' || ! ${J[cart]-} =~ \"plum\":([0-9]+) ]]; then
    bad+=("request $i to $node: HTTP $CODE $BODY")
    continue
  fi
  SEEN+=("${BASH_REMATCH[1]}")
  ANSWERS[$node]=$((${ANSWERS[$node]:-0} + 1))
  [[ " ${WORKERS_SEEN[$node]:-} " == *" ${J[pid]} "* ]] || WORKERS_SEEN[$node]+=" ${J[pid]}"
done
codes=""
for c in "${!CODES[@]}"; do codes+="${codes:+, }${CODES[$c]} x HTTP $c"; done
line "answered:" "${codes:-nothing} in $(((t1 - t0) / 1000)) ms"
for node in A B; do
  pids=$(printf '%s\n' ${WORKERS_SEEN[$node]:-} | sort -n | paste -sd ' ')
  line "" "web server $node: ${ANSWERS[$node]:-0} good answers, from worker pids ${pids:-(none)}"
done
if ((${#bad[@]})); then
  for b in "${bad[@]}"; do line "error:" "$b"; done
  fail "${#bad[@]} of $BURST parallel requests did not answer HTTP 200 with the cart of session $SID"
fi
mapfile -t SEEN < <(printf '%s\n' "${SEEN[@]}" | sort -n)
line "result:" "plum counts the $BURST answers saw (sorted): ${SEEN[*]}"
lost=$(printf '%s\n' "${SEEN[@]}" | uniq -d | paste -sd ' ')
# Does the stored cart hold them all? B reads it back.
request B GET whoami
expect "HTTP status" "$CODE" 200
expect "session id seen by B" "${J[session_id]-}" "$SID"
line "result:" "cart=${J[cart]-}"
[[ ${J[cart]-} =~ \"plum\":([0-9]+) ]] || fail "the cart holds no plums at all after $BURST adds: ${J[cart]-}"
plums=${BASH_REMATCH[1]}
((plums == BURST)) || fail "lost updates: $BURST requests each added one plum, but the cart holds $plums ($((BURST - plums)) lost: parallel requests read the same cart and overwrote each other's writes; counts seen by more than one request: ${lost:-none}); the session lock did not serialise them"
[[ -z $lost && ${SEEN[*]} == "$(seq -s ' ' 1 "$BURST")" ]] ||
  fail "the answers did not see the counts 1..$BURST one each: ${SEEN[*]}"
expect "cart after the burst" "${J[cart]-}" "{\"apple\":2,\"pear\":1,\"plum\":$BURST}"
line "sent:" "mg $(session_key "$SID").lock v t   -> both daemons"
where=$(mc_where "$(session_key "$SID").lock") || fail "a memcached daemon did not answer"
[[ -z $where ]] || fail "the session lock is still held after all requests answered (on $where)"
line "answer:" "EN from both (every request released the lock)"
passed "$BURST of $BURST plums in the cart, no update lost: the requests took turns on the lock"

step 6 "The visitor looks at the cart on web server A"
request A GET whoami
expect "HTTP status" "$CODE" 200
expect "user seen by A" "${J[user]-}" "$USER_NAME"
expect "session id seen by A" "${J[session_id]-}" "$SID"
expect "cart seen by A" "${J[cart]-}" "{\"apple\":2,\"pear\":1,\"plum\":$BURST}"
line "result:" "user=${J[user]-} session=${J[session_id]-} cart=${J[cart]-}"
passed "A shows the cart B wrote and all $BURST plums from the parallel requests"

step 7 "Where does the session live? Both memcached daemons are asked directly"
KEY=$(session_key "$SID")
holders=()
for port in "${MC_PORTS[@]}"; do
  line "sent:" "mg $KEY v t   -> memcached 127.0.0.1:$port"
  reply=$(mc_get "$port" "$KEY")
  rc=$?
  ((rc == 2)) && fail "memcached 127.0.0.1:$port gave no usable answer: '$reply'"
  head=${reply%%$'\n'*}
  if ((rc == 0)); then
    value=${reply#*$'\n'}
    line "answer:" "$head   (value ${#value} bytes, TTL ${head##* t} s)"
    line "" "$value"
    holders+=("127.0.0.1:$port")
    HELD=$value
  else
    line "answer:" "$head   (not here)"
  fi
done
((${#holders[@]} == 1)) || fail "the session should be on exactly one daemon, found on ${#holders[@]}: ${holders[*]:-none}"
[[ $HELD == *"user|s:${#USER_NAME}:\"$USER_NAME\";"* ]] || fail "the stored session does not hold user $USER_NAME: $HELD"
[[ $HELD == *'s:5:"apple";i:2;'* && $HELD == *'s:4:"pear";i:1;'* && $HELD == *"s:4:\"plum\";i:$BURST;"* ]] || fail "the stored session does not hold the cart: $HELD"
passed "stored once, on ${holders[0]} (the daemon the key hashes to), in PHP's session format"

step 8 "The visitor logs out on web server A"
request A POST logout
expect "HTTP status" "$CODE" 200
expect "destroyed session" "${J[destroyed_session_id]-}" "$SID"
expect "user logged out" "${J[user_was]-}" "$USER_NAME"
[[ -z $(jar_sid) ]] || fail "the session cookie is still in the browser after logout"
line "result:" "session ${J[destroyed_session_id]-} of ${J[user_was]-} destroyed, cookie deleted"
passed "logged out on A"

step 9 "After logout the visitor is anonymous everywhere and the session is gone"
for node in A B; do
  request "$node" GET whoami
  expect "HTTP status" "$CODE" 200
  expect "user on $node" "${J[user]-}" null
  expect "session id on $node" "${J[session_id]-}" null
  line "result:" "user=${J[user]-} session=${J[session_id]-}"
done
line "sent:" "mg $KEY v t   -> both daemons"
where=$(mc_where "$KEY") || fail "a memcached daemon did not answer"
[[ -z $where ]] || fail "the destroyed session is still stored on $where"
line "answer:" "EN from both (key gone)"
# Someone who copied the old cookie before the logout tries it on B.
line "sent:" "GET http://127.0.0.1:$WEB_PORT/_node/B/app.php?action=whoami  with the old cookie $SESSION_NAME=$SID (no jar)"
stolen=$(curl -sS --noproxy '*' --max-time 10 -b "$SESSION_NAME=$SID" \
  "http://127.0.0.1:$WEB_PORT/_node/B/app.php?action=whoami") || fail "web server B did not answer"
BODY=$stolen
parse_json || fail "B answered with something that is not JSON: $stolen"
expect "answering server" "${J[node]-}" B
expect "warnings on B" "${J[warnings]-}" '[]'
expect "user for the old cookie" "${J[user]-}" null
[[ ${J[session_id]-} != "$SID" ]] || fail "B accepted the destroyed session id $SID"
line "answered:" "web server B: user=${J[user]-}, old id refused (strict mode), offered new id ${J[session_id]-}"
where=$(mc_where "$(session_key "${J[session_id]-}")") || fail "a memcached daemon did not answer"
[[ -z $where ]] || fail "a session was stored for an anonymous visitor (${J[session_id]-} on $where)"
passed "anonymous on A and B, key deleted from memcached, old cookie useless"

# No extension warning may have been logged by either web server.
if grep -h 'rsmemcache:' "${FARM_FPM_LOGS[@]}" >&2 2>/dev/null; then
  fail "the web servers logged rsmemcache warnings (above)"
fi
farm_check_logs || fail "a $FARM_WEB_NAME worker crashed or hit a fatal error (above)"

echo
stop_all
echo "demo: all $STEPS_PASSED steps passed"
