/*
 * A threaded PHP host, the way FrankenPHP runs PHP: one process, a ZTS PHP
 * (libphp.so from --enable-zts --enable-embed) driven through its SAPI API
 * by a SAPI module of our own, N threads each running many requests
 * (php_request_startup, one script, php_request_shutdown) with sessions on
 * rsmemcache. Built and run by tests/threads/run.sh (`make test-threads`).
 *
 *   host -x DIR [-t threads] [-n requests] [-s sessions] [-w iterations]
 *        [-S seed] [-P prefix2] [-e extension.so] [-d name=value]...
 *
 * -e loads the extension here, dlopen(RTLD_NOW | RTLD_GLOBAL) and its
 * get_module(), and hands its module entry to php_module_startup() as the
 * additional module, instead of an "extension=" line: PHP's own loader
 * dlopen()s with RTLD_DEEPBIND (Zend/zend_portability.h DL_LOAD), which
 * ThreadSanitizer's runtime refuses
 * (https://github.com/google/sanitizers/issues/611).
 *
 * Phases:
 *   1. requests: each of -t threads runs -n requests of DIR/request.php, each
 *      with a session id (the PHPSESSID cookie, handed to PHP by the SAPI's
 *      read_cookies like a web server would) drawn from -s ids shared by all
 *      threads, and a case: increment and close, read only, increment and
 *      end without session_write_close(), exit(), increment under a second
 *      key prefix (ini_set in the request), or a fatal error (uncaught
 *      exception, E_USER_ERROR, memory exhausted, undefined function).
 *   2. worker mode: each thread runs DIR/worker.php once; that one script
 *      instance serves -w requests in a loop (session_id, session_start,
 *      increment, session_write_close), as a FrankenPHP worker does.
 *   3. verify, on the main thread: DIR/verify.php reads every session's
 *      counter under both prefixes, asks memcached whether its lock item is
 *      still there, and prints rsmemcache_stats().
 *
 * Every request's output line and log lines are checked here; the counters
 * are compared with what the requests reported as committed. Prints one
 * "CHECK <name>: pass|fail <detail>" line per property and exits 0 when all
 * pass. The session ids are "rsmt" + the seed + a number (-S, default: time
 * and pid), so runs never share sessions.
 */
#include <main/php.h>
#include <main/SAPI.h>
#include <main/php_main.h>
#include <main/php_variables.h>
#include <Zend/zend_stream.h>

#ifndef ZTS
#error "the threaded host needs a thread-safe PHP (configure --enable-zts --enable-embed)"
#endif

#include <dlfcn.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define MAX_SESSIONS 256
#define OUT_MAX 16384
#define LOG_MAX 2048
#define MAX_INI 64

/* The request cases (RSMT_CASE) and how often each is drawn (per 100). */
static const struct {
	const char *name;
	int weight;
	int fatal; /* ends in a fatal error (expected in the log) */
} CASES[] = {
	{"inc", 46, 0},     {"read", 12, 0},       {"noclose", 12, 0},
	{"exit", 6, 0},     {"prefix", 8, 0},      {"fatal_exception", 4, 1},
	{"fatal_error", 4, 1}, {"fatal_memory", 4, 1}, {"fatal_undefined", 4, 1},
};
#define NCASES (sizeof(CASES) / sizeof(CASES[0]))

/* One request in flight on a thread: what the SAPI callbacks read and fill. */
struct req {
	char cookie[128];
	const char *vars[16][2];
	int nvars;
	char out[OUT_MAX];
	size_t out_len;
	int out_truncated;
	char log[LOG_MAX];
	size_t log_len;
	int log_lines;
};

static __thread struct req *cur;

/* Tallies shared by the threads (under tally_mu). */
static pthread_mutex_t tally_mu = PTHREAD_MUTEX_INITIALIZER;
static long committed[2][MAX_SESSIONS]; /* increments reported, per prefix */
static long n_requests, n_ok, n_fatal, n_bad_other;
static long n_foreign, n_carried, n_unexpected_log, n_start_failed;
static int bad_shown;

static const char *dir = NULL;
static int threads = 8, requests = 5000, sessions = 24, worker_iters = 2000;
static char seed[32];
static const char *prefix2 = "rsmt.other.";
static char prefix1[128] = "rsmemcache.sess.";

static void note_bad(const char *what, const struct req *r)
{
	pthread_mutex_lock(&tally_mu);
	if (bad_shown < 12) {
		bad_shown++;
		fprintf(stderr, "threads: %s: output [%.*s] log [%.*s]\n", what,
			(int)(r->out_len > 300 ? 300 : r->out_len), r->out,
			(int)(r->log_len > 600 ? 600 : r->log_len), r->log);
	}
	pthread_mutex_unlock(&tally_mu);
}

/* --- the SAPI module --------------------------------------------------- */

static size_t host_ub_write(const char *str, size_t len)
{
	struct req *r = cur;
	if (r == NULL) {
		return fwrite(str, 1, len, stdout);
	}
	size_t room = OUT_MAX - 1 - r->out_len;
	if (len > room) {
		r->out_truncated = 1;
	}
	size_t n = len > room ? room : len;
	memcpy(r->out + r->out_len, str, n);
	r->out_len += n;
	r->out[r->out_len] = '\0';
	return len;
}

static void host_flush(void *server_context) { (void)server_context; }

static int host_send_headers(sapi_headers_struct *h)
{
	(void)h;
	return SAPI_HEADER_SENT_SUCCESSFULLY;
}

static char *host_read_cookies(void) { return cur ? cur->cookie : NULL; }

static void host_register_variables(zval *track_vars_array)
{
	if (cur == NULL) {
		return;
	}
	for (int i = 0; i < cur->nvars; i++) {
		php_register_variable((char *)cur->vars[i][0], (char *)cur->vars[i][1], track_vars_array);
	}
}

static void host_log_message(const char *msg, int syslog_type)
{
	(void)syslog_type;
	struct req *r = cur;
	if (r == NULL) {
		fprintf(stderr, "php: %s\n", msg);
		return;
	}
	r->log_lines++;
	size_t len = strlen(msg);
	size_t room = LOG_MAX - 2 - r->log_len;
	size_t n = len > room ? room : len;
	memcpy(r->log + r->log_len, msg, n);
	r->log_len += n;
	r->log[r->log_len++] = '\n';
	r->log[r->log_len] = '\0';
}

/* The module entry of -e's extension, or NULL (extensions from ini lines). */
static zend_module_entry *extra_module = NULL;

static int host_startup(sapi_module_struct *m) { return php_module_startup(m, extra_module); }

/* Loads -e's extension as PHP's php_load_extension() would, without
 * RTLD_DEEPBIND; exits on failure. */
static void load_extension(const char *path)
{
	void *handle = dlopen(path, RTLD_NOW | RTLD_GLOBAL);
	if (handle == NULL) {
		fprintf(stderr, "threads: cannot load %s: %s\n", path, dlerror());
		exit(1);
	}
	zend_module_entry *(*get_module)(void) = (zend_module_entry * (*)(void)) dlsym(handle, "get_module");
	if (get_module == NULL) {
		fprintf(stderr, "threads: %s has no get_module(): %s\n", path, dlerror());
		exit(1);
	}
	extra_module = get_module();
	if (extra_module == NULL || extra_module->zend_api != ZEND_MODULE_API_NO
	    || strcmp(extra_module->build_id, ZEND_MODULE_BUILD_ID) != 0) {
		fprintf(stderr, "threads: %s was not built for this PHP (API %d, build %s)\n", path,
			extra_module ? extra_module->zend_api : 0, extra_module ? extra_module->build_id : "?");
		exit(1);
	}
}

static sapi_module_struct host_module = {
	.name = "rsmt-threads",
	.pretty_name = "rsmemcache threaded test host",
	.startup = host_startup,
	.shutdown = php_module_shutdown_wrapper,
	.ub_write = host_ub_write,
	.flush = host_flush,
	.sapi_error = php_error,
	.send_headers = host_send_headers,
	.read_cookies = host_read_cookies,
	.register_server_variables = host_register_variables,
	.log_message = host_log_message,
};

/* Runs DIR/script as one request with the variables and cookie in r. */
static void run_request(struct req *r, const char *script)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s", dir, script);
	r->out_len = 0;
	r->out[0] = '\0';
	r->out_truncated = 0;
	r->log_len = 0;
	r->log[0] = '\0';
	r->log_lines = 0;
	cur = r;
	zend_first_try {
		SG(server_context) = r; /* non-NULL: PHP then reads cookies */
		SG(options) |= SAPI_OPTION_NO_CHDIR;
		SG(request_info).request_method = "GET";
		SG(request_info).request_uri = (char *)script;
		SG(request_info).query_string = NULL;
		SG(request_info).content_type = NULL;
		SG(request_info).content_length = 0;
		SG(request_info).path_translated = path;
		SG(sapi_headers).http_response_code = 200;
		if (php_request_startup() == SUCCESS) {
			zend_file_handle fh;
			zend_stream_init_filename(&fh, path);
			php_execute_script(&fh);
			zend_destroy_file_handle(&fh);
		} else {
			host_ub_write("bad start request startup failed\n", 33);
		}
		php_request_shutdown(NULL);
	} zend_end_try();
	SG(server_context) = NULL;
	cur = NULL;
}

static unsigned long long xorshift(unsigned long long *s)
{
	unsigned long long x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static void session_id_of(int i, char *buf, size_t len) { snprintf(buf, len, "rsmt%s%04d", seed, i); }

static void set_var(struct req *r, const char *name, const char *value)
{
	r->vars[r->nvars][0] = name;
	r->vars[r->nvars][1] = value;
	r->nvars++;
}

/* Counts one request's "bad <kind> ..." line. */
static void count_bad(const struct req *r)
{
	const char *p = r->out;
	pthread_mutex_lock(&tally_mu);
	if (strncmp(p, "bad foreign", 11) == 0) {
		n_foreign++;
	} else if (strncmp(p, "bad carried", 11) == 0) {
		n_carried++;
	} else if (strncmp(p, "bad start", 9) == 0) {
		n_start_failed++;
	} else {
		n_bad_other++;
	}
	pthread_mutex_unlock(&tally_mu);
	note_bad("request failed", r);
}

struct thread_arg {
	int index;
	pthread_t tid;
};

static void *request_thread(void *p)
{
	struct thread_arg *a = p;
	/* This thread's PHP globals (TSRM), as every SAPI thread does. */
	(void)ts_resource(0);
	struct req *r = calloc(1, sizeof *r);
	unsigned long long rng = 0x9e3779b97f4a7c15ULL * (unsigned long long)(a->index + 1);
	char sid[64], tag[64];
	for (int i = 0; i < requests; i++) {
		int s = (int)(xorshift(&rng) % (unsigned long long)sessions);
		int roll = (int)(xorshift(&rng) % 100), c = 0;
		while (roll >= CASES[c].weight) {
			roll -= CASES[c].weight;
			c++;
		}
		session_id_of(s, sid, sizeof sid);
		snprintf(tag, sizeof tag, "t%d.%d", a->index, i);
		snprintf(r->cookie, sizeof r->cookie, "PHPSESSID=%s", sid);
		r->nvars = 0;
		set_var(r, "RSMT_SID", sid);
		set_var(r, "RSMT_CASE", CASES[c].name);
		set_var(r, "RSMT_TAG", tag);
		set_var(r, "RSMT_PREFIX", prefix1);
		set_var(r, "RSMT_PREFIX2", prefix2);
		run_request(r, "request.php");

		int inc = 0, ok = strncmp(r->out, "ok ", 3) == 0 && !r->out_truncated;
		if (ok) {
			inc = r->out[3] == '1';
		}
		/* The log: a fatal case has its fatal error there and nothing
		 * else; any other case logs nothing. */
		int log_ok = CASES[c].fatal ? (r->log_lines == 1 && strstr(r->log, "rsmemcache") == NULL
					       && strstr(r->log, "Fatal error") != NULL)
					    : r->log_lines == 0;
		if (!ok) {
			count_bad(r);
		} else if (!log_ok) {
			pthread_mutex_lock(&tally_mu);
			n_unexpected_log++;
			pthread_mutex_unlock(&tally_mu);
			note_bad(CASES[c].fatal ? "fatal request logged something else" : "request logged", r);
		}
		pthread_mutex_lock(&tally_mu);
		n_requests++;
		if (ok) {
			n_ok++;
			committed[strcmp(CASES[c].name, "prefix") == 0][s] += inc;
		}
		n_fatal += CASES[c].fatal;
		pthread_mutex_unlock(&tally_mu);
	}
	free(r);
	ts_free_thread();
	return NULL;
}

static void *worker_thread(void *p)
{
	struct thread_arg *a = p;
	(void)ts_resource(0);
	struct req *r = calloc(1, sizeof *r);
	char iters[32], wseed[32], nsess[32];
	snprintf(iters, sizeof iters, "%d", worker_iters);
	snprintf(wseed, sizeof wseed, "%d", 1000 + a->index);
	snprintf(nsess, sizeof nsess, "%d", sessions);
	r->cookie[0] = '\0';
	set_var(r, "RSMT_ITERATIONS", iters);
	set_var(r, "RSMT_SEED", wseed);
	set_var(r, "RSMT_SESSIONS", nsess);
	set_var(r, "RSMT_SID_BASE", seed);
	set_var(r, "RSMT_PREFIX", prefix1);
	run_request(r, "worker.php");
	/* "worker <bad> <foreign> <carried>" then "w <session> <increments>" lines. */
	long bad = -1, foreign = 0, carried = 0;
	if (sscanf(r->out, "worker %ld %ld %ld", &bad, &foreign, &carried) != 3 || r->out_truncated) {
		bad = -1;
	}
	pthread_mutex_lock(&tally_mu);
	n_requests += worker_iters;
	if (bad < 0) {
		n_bad_other++;
	} else {
		n_foreign += foreign;
		n_carried += carried;
		n_bad_other += bad - foreign - carried;
		n_ok += worker_iters - bad;
		for (char *line = strchr(r->out, '\n'); line; line = strchr(line + 1, '\n')) {
			int s;
			long n;
			if (sscanf(line + 1, "w %d %ld", &s, &n) == 2 && s >= 0 && s < sessions) {
				committed[0][s] += n;
			}
		}
	}
	if (r->log_lines) {
		n_unexpected_log++;
	}
	pthread_mutex_unlock(&tally_mu);
	if (bad != 0 || r->log_lines) {
		note_bad("worker", r);
	}
	free(r);
	ts_free_thread();
	return NULL;
}

static int run_threads(void *(*fn)(void *))
{
	struct thread_arg *args = calloc((size_t)threads, sizeof *args);
	for (int i = 0; i < threads; i++) {
		args[i].index = i;
		if (pthread_create(&args[i].tid, NULL, fn, &args[i]) != 0) {
			fprintf(stderr, "threads: pthread_create failed\n");
			return -1;
		}
	}
	for (int i = 0; i < threads; i++) {
		pthread_join(args[i].tid, NULL);
	}
	free(args);
	return 0;
}

static double now_s(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static int failures;
static void check(const char *name, int pass, const char *fmt, ...)
{
	va_list ap;
	printf("CHECK %s: %s ", name, pass ? "pass" : "fail");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	failures += !pass;
}

static void usage(void)
{
	fprintf(stderr, "usage: host -x DIR [-t threads] [-n requests] [-s sessions] [-w iterations] "
			"[-S seed] [-P prefix2] [-e extension.so] [-d name=value]...\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *ini[MAX_INI];
	const char *ext_path = NULL;
	int nini = 0, opt;
	snprintf(seed, sizeof seed, "%lx%x", (unsigned long)time(NULL), (unsigned)getpid());
	while ((opt = getopt(argc, argv, "x:t:n:s:w:S:P:e:d:")) != -1) {
		switch (opt) {
		case 'x': dir = optarg; break;
		case 't': threads = atoi(optarg); break;
		case 'n': requests = atoi(optarg); break;
		case 's': sessions = atoi(optarg); break;
		case 'w': worker_iters = atoi(optarg); break;
		case 'S': snprintf(seed, sizeof seed, "%s", optarg); break;
		case 'P': prefix2 = optarg; break;
		case 'e': ext_path = optarg; break;
		case 'd':
			if (nini == MAX_INI) usage();
			ini[nini++] = optarg;
			if (strncmp(optarg, "rsmemcache.prefix=", 18) == 0) {
				snprintf(prefix1, sizeof prefix1, "%s", optarg + 18);
			}
			break;
		default: usage();
		}
	}
	if (dir == NULL || threads < 1 || requests < 0 || sessions < 1 || sessions > MAX_SESSIONS || worker_iters < 0) {
		usage();
	}

	/* The ini entries, as the CLI's -d options are: one "name=value" a line. */
	size_t len = 1;
	for (int i = 0; i < nini; i++) len += strlen(ini[i]) + 1;
	char *entries = malloc(len);
	entries[0] = '\0';
	for (int i = 0; i < nini; i++) {
		strcat(entries, ini[i]);
		strcat(entries, "\n");
	}

	php_tsrm_startup();
#ifdef ZEND_SIGNALS
	zend_signal_startup();
#endif
	sapi_startup(&host_module);
	host_module.ini_entries = entries;
	host_module.php_ini_ignore = 1;
	host_module.phpinfo_as_text = 1;
	if (ext_path != NULL) load_extension(ext_path);
	if (host_module.startup(&host_module) == FAILURE) {
		fprintf(stderr, "threads: PHP module startup failed\n");
		return 1;
	}

	printf("threads: %d threads x %d requests, %d shared session ids, worker mode %d x %d, seed %s\n",
	       threads, requests, sessions, threads, worker_iters, seed);
	fflush(stdout);
	double t0 = now_s();
	run_threads(request_thread);
	double t1 = now_s();
	printf("threads: request phase: %ld requests in %.1f s (%.0f/s)\n", n_requests, t1 - t0,
	       (double)n_requests / (t1 - t0));
	fflush(stdout);
	long before_worker = n_requests;
	if (worker_iters > 0) {
		run_threads(worker_thread);
	}
	double t2 = now_s();
	if (worker_iters > 0) {
		printf("threads: worker phase: %ld requests in %.1f s\n", n_requests - before_worker, t2 - t1);
	}

	/* Verify on the main thread (its PHP globals came with php_tsrm_startup). */
	struct req *r = calloc(1, sizeof *r);
	char nsess[32];
	snprintf(nsess, sizeof nsess, "%d", sessions);
	set_var(r, "RSMT_SESSIONS", nsess);
	set_var(r, "RSMT_SID_BASE", seed);
	set_var(r, "RSMT_PREFIX", prefix1);
	set_var(r, "RSMT_PREFIX2", prefix2);
	run_request(r, "verify.php");
	long found[2][MAX_SESSIONS] = {{0}};
	long locks_left = 0, lost = 0, extra = 0, verified = 0, total_committed = 0, total_found = 0;
	char stats[1024] = "", conns[512] = "";
	long lock_wait_timeouts = -1;
	for (char *line = r->out; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		int space, s, lock;
		long n;
		if (sscanf(line, "n %d %d %ld %d", &space, &s, &n, &lock) == 4 && space >= 0 && space < 2 && s >= 0
		    && s < sessions) {
			found[space][s] = n;
			locks_left += lock;
			verified++;
		} else if (strncmp(line, "connections ", 12) == 0) {
			char *end = strchr(line, '\n');
			snprintf(conns, sizeof conns, "%.*s", end ? (int)(end - line - 12) : (int)strlen(line + 12), line + 12);
		} else if (strncmp(line, "stats ", 6) == 0) {
			char *end = strchr(line, '\n');
			snprintf(stats, sizeof stats, "%.*s", end ? (int)(end - line - 6) : (int)strlen(line + 6), line + 6);
			char *t = strstr(line, "lock_wait_timeouts=");
			if (t) lock_wait_timeouts = atol(t + 19);
		}
	}
	for (int space = 0; space < 2; space++) {
		for (int s = 0; s < sessions; s++) {
			total_committed += committed[space][s];
			total_found += found[space][s];
			if (found[space][s] < committed[space][s]) lost += committed[space][s] - found[space][s];
			if (found[space][s] > committed[space][s]) extra += found[space][s] - committed[space][s];
		}
	}
	if (verified != 2 * sessions || r->log_lines) {
		note_bad("verify", r);
	}
	free(r);

	printf("threads: %ld requests (%ld ended in a deliberate fatal error), %ld ok; verify: %ld counters, "
	       "%ld increments committed, %ld found; %.1f s in all\n",
	       n_requests, n_fatal, n_ok, verified, total_committed, total_found, now_s() - t0);
	printf("threads: rsmemcache_stats: %s\n", stats);
	printf("threads: connections accepted per memcached: %s\n", conns);
	check("every request ran to its end", n_ok == n_requests && n_bad_other == 0 && n_start_failed == 0,
	      "(%ld of %ld; %ld session_start failures, %ld other)", n_ok, n_requests, n_start_failed, n_bad_other);
	check("no request saw another session's data", n_foreign == 0, "(%ld)", n_foreign);
	check("no increment lost under the session lock", lost == 0 && extra == 0 && verified == 2 * sessions,
	      "(%ld lost, %ld extra, %ld of %d counters read)", lost, extra, verified, 2 * sessions);
	check("no lock left after a request without session_write_close() or with a fatal error",
	      locks_left == 0 && lock_wait_timeouts == 0 && verified == 2 * sessions,
	      "(%ld lock items left, %ld lock waits timed out)", locks_left, lock_wait_timeouts);
	check("no state carried into the next request on a thread", n_carried == 0, "(%ld)", n_carried);
	check("no unexpected log line (warnings, notices; a fatal case logs only its error)", n_unexpected_log == 0,
	      "(%ld)", n_unexpected_log);
	fflush(stdout);

	php_module_shutdown();
	sapi_shutdown();
	tsrm_shutdown();
	free(entries);
	return failures ? 1 : 0;
}
