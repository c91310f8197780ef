/*
 * dtest_http: the libcurl/libev glue against a real loopback server,
 * tests/integration/fakes.py run as a child process on 127.0.0.1.  The
 * fake's control paths (/__mode, /__requests, /__clear) are reached
 * through http.c itself, so every switch is one more request that has to
 * work.  Timing checks use wide margins: two cores are shared.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <cJSON.h>

#include "http.h"
#include "xmalloc.h"

#define FAKES		LW_SOURCE_DIR "/tests/integration/fakes.py"
#define STARTUP_SECS	15

static pid_t	fake_pid = -1;
static char	fake_base[64];		/* "http://127.0.0.1:PORT" */

struct fixture {
	struct ev_loop	*loop;
	struct http	*h;
};

/* What a callback saw, copied out of the result. */
struct seen {
	int	 called;
	long	 status;
	int	 curl_code;
	char	*error;
	char	*body;
	size_t	 body_len;
	int	 too_big;
	int	 retry_after;
	double	 total_secs;
};

static void
seen_free(struct seen *s)
{
	free(s->error);
	free(s->body);
	memset(s, 0, sizeof(*s));
}

static void
seen_cb(const struct http_result *r, void *arg)
{
	struct seen	*s = arg;

	s->called++;
	s->status = r->status;
	s->curl_code = r->curl_code;
	free(s->error);
	free(s->body);
	s->error = xstrdup(r->error);
	s->body = xmemdup(r->body, r->body_len);
	s->body_len = r->body_len;
	s->too_big = r->body_too_big;
	s->retry_after = r->retry_after;
	s->total_secs = r->total_secs;
}

static void
guard_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	*(int *)w->data = 1;
}

/* Run the loop until *flag is set or secs pass (flag NULL: just wait). */
static void
run_until(struct ev_loop *loop, const int *flag, double secs)
{
	ev_timer	 guard;
	int		 expired = 0;

	ev_timer_init(&guard, guard_cb, secs, 0.0);
	guard.data = &expired;
	ev_timer_start(loop, &guard);
	while ((flag == NULL || *flag == 0) && !expired)
		ev_run(loop, EVRUN_ONCE);
	ev_timer_stop(loop, &guard);
}

/* GET a control path of the fake and wait for its answer. */
static void
fake_get(struct fixture *f, const char *path, struct seen *s)
{
	struct http_opts	 o;
	char			 url[512];

	snprintf(url, sizeof(url), "%s%s", fake_base, path);
	memset(&o, 0, sizeof(o));
	o.url = url;
	o.timeout = 10;
	o.max_body = 4 * 1024 * 1024;
	assert_non_null(http_request(f->h, &o, seen_cb, s));
	run_until(f->loop, &s->called, 15.0);
	assert_int_equal(s->called, 1);
	assert_int_equal(s->curl_code, CURLE_OK);
	assert_int_equal(s->status, 200);
}

static void
fake_mode(struct fixture *f, const char *query)
{
	struct seen	 s = { 0 };
	char		 path[256];

	snprintf(path, sizeof(path), "/__mode?%s", query);
	fake_get(f, path, &s);
	seen_free(&s);
	memset(&s, 0, sizeof(s));
	fake_get(f, "/__clear", &s);
	seen_free(&s);
}

static struct http_req *
post(struct fixture *f, const char *path, long timeout, struct seen *s)
{
	char	 url[256];

	snprintf(url, sizeof(url), "%s%s", fake_base, path);
	return http_post(f->h, url, "application/json", "{\"n\":1}", 7, NULL,
	    timeout, seen_cb, s);
}

static int
group_setup(void **state)
{
	int		 p[2];
	char		 line[32];
	size_t		 len = 0;
	ssize_t		 n;
	struct pollfd	 pfd;
	long		 port;
	char		*end;

	(void)state;
	if (pipe(p) == -1)
		return -1;
	if ((fake_pid = fork()) == -1)
		return -1;
	if (fake_pid == 0) {
		if (dup2(p[1], STDOUT_FILENO) == -1)
			_exit(127);
		close(p[0]);
		close(p[1]);
		execl("/usr/bin/python3", "python3", FAKES, "webhook",
		    "--port", "0", (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	/* The fake prints its port on the first line. */
	pfd.fd = p[0];
	pfd.events = POLLIN;
	while (memchr(line, '\n', len) == NULL && len < sizeof(line) - 1) {
		if (poll(&pfd, 1, STARTUP_SECS * 1000) != 1)
			break;
		n = read(p[0], line + len, sizeof(line) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(p[0]);
	line[len] = '\0';
	errno = 0;
	port = strtol(line, &end, 10);
	if (errno != 0 || end == line || *end != '\n' || port <= 0 ||
	    port > 65535) {
		fprintf(stderr, "fakes.py did not report a port: \"%s\"\n",
		    line);
		return -1;
	}
	snprintf(fake_base, sizeof(fake_base), "http://127.0.0.1:%ld", port);
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	if (fake_pid > 0) {
		kill(fake_pid, SIGTERM);
		waitpid(fake_pid, NULL, 0);
	}
	return 0;
}

static int
setup(void **state)
{
	struct fixture	*f = xcalloc(1, sizeof(*f));

	f->loop = ev_loop_new(EVFLAG_AUTO);
	if (f->loop == NULL)
		return -1;
	f->h = http_new(f->loop);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture	*f = *state;

	http_free(f->h);
	ev_loop_destroy(f->loop);
	free(f);
	return 0;
}

/* The POST arrives with its body, content type and extra headers. */
static void
test_post_arrives(void **state)
{
	struct fixture		*f = *state;
	struct seen		 s = { 0 }, reqs = { 0 };
	static const char	 body[] = "{\"alert\":\"disk \\u00e9\",\"n\":15}";
	const char *const	 extra[] = { "X-Lw-Test: yes", NULL };
	cJSON			*list = NULL, *r, *hdrs;
	char			 url[256];

	fake_mode(f, "mode=ok");
	snprintf(url, sizeof(url), "%s/hook", fake_base);
	assert_non_null(http_post(f->h, url, "application/json", body,
	    sizeof(body) - 1, extra, 10, seen_cb, &s));
	assert_int_equal(http_pending(f->h), 1);
	run_until(f->loop, &s.called, 15.0);
	assert_int_equal(s.called, 1);
	assert_int_equal(s.curl_code, CURLE_OK);
	assert_int_equal(s.status, 200);
	assert_string_equal(s.error, "");
	assert_string_equal(s.body, "{\"ok\":true}");
	assert_int_equal(s.body_len, 11);
	assert_int_equal(s.retry_after, -1);
	assert_int_equal(s.too_big, 0);
	assert_true(s.total_secs > 0.0);
	assert_int_equal(http_pending(f->h), 0);

	/* What the server recorded. */
	fake_get(f, "/__requests", &reqs);
	list = cJSON_Parse(reqs.body);
	assert_non_null(list);
	assert_int_equal(cJSON_GetArraySize(list), 1);
	r = cJSON_GetArrayItem(list, 0);
	assert_string_equal(cJSON_GetObjectItem(r, "method")->valuestring,
	    "POST");
	assert_string_equal(cJSON_GetObjectItem(r, "path")->valuestring,
	    "/hook");
	assert_string_equal(cJSON_GetObjectItem(r, "body")->valuestring, body);
	hdrs = cJSON_GetObjectItem(r, "headers");
	assert_string_equal(cJSON_GetObjectItem(hdrs,
	    "content-type")->valuestring, "application/json");
	assert_string_equal(cJSON_GetObjectItem(hdrs,
	    "x-lw-test")->valuestring, "yes");
	assert_null(cJSON_GetObjectItem(hdrs, "expect"));
	assert_non_null(strstr(cJSON_GetObjectItem(hdrs,
	    "user-agent")->valuestring, "logwarden/"));
	cJSON_Delete(list);
	seen_free(&reqs);
	seen_free(&s);
}

/* A callback may start the next request (and cancel itself: a no-op). */
struct chain {
	struct fixture	*f;
	struct http_req	*first;
	struct seen	 second;
	int		 first_called;
};

static void
chain_cb(const struct http_result *res, void *arg)
{
	struct chain	*c = arg;

	c->first_called++;
	assert_int_equal(res->status, 200);
	http_cancel(c->f->h, c->first);
	c->first = NULL;
	assert_non_null(post(c->f, "/second", 10, &c->second));
}

static void
test_callback_starts_request(void **state)
{
	struct fixture	*f = *state;
	struct chain	 c;
	char		 url[256];

	memset(&c, 0, sizeof(c));
	c.f = f;
	fake_mode(f, "mode=ok");
	snprintf(url, sizeof(url), "%s/first", fake_base);
	c.first = http_post(f->h, url, NULL, NULL, 0, NULL, 10, chain_cb, &c);
	assert_non_null(c.first);
	run_until(f->loop, &c.second.called, 15.0);
	assert_int_equal(c.first_called, 1);
	assert_int_equal(c.second.called, 1);
	assert_int_equal(c.second.status, 200);
	assert_int_equal(http_pending(f->h), 0);
	seen_free(&c.second);
}

static void
test_status_500(void **state)
{
	struct fixture		*f = *state;
	struct seen		 s = { 0 };
	struct http_result	 fake;

	fake_mode(f, "mode=fail");
	assert_non_null(post(f, "/hook", 10, &s));
	run_until(f->loop, &s.called, 15.0);
	assert_int_equal(s.called, 1);
	assert_int_equal(s.curl_code, CURLE_OK);
	assert_int_equal(s.status, 500);
	assert_string_equal(s.error, "");
	assert_string_equal(s.body, "fail\n");

	memset(&fake, 0, sizeof(fake));
	fake.status = 500;
	assert_false(http_result_ok(&fake));
	fake.status = 204;
	assert_true(http_result_ok(&fake));
	fake.curl_code = CURLE_WRITE_ERROR;
	assert_false(http_result_ok(&fake));
	seen_free(&s);
}

/* A port on 127.0.0.1 that was just free: nobody listens there. */
static int
closed_port(void)
{
	struct sockaddr_in	 sin;
	socklen_t		 len = sizeof(sin);
	int			 fd, port;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

static void
test_refused(void **state)
{
	struct fixture	*f = *state;
	struct seen	 s = { 0 };
	char		 url[128];

	snprintf(url, sizeof(url), "http://127.0.0.1:%d/hook", closed_port());
	assert_non_null(http_post(f->h, url, "text/plain", "x", 1, NULL, 5,
	    seen_cb, &s));
	run_until(f->loop, &s.called, 10.0);
	assert_int_equal(s.called, 1);
	assert_int_equal(s.curl_code, CURLE_COULDNT_CONNECT);
	assert_int_equal(s.status, 0);
	assert_true(strlen(s.error) > 0);
	/* curl's error buffer, not just curl_easy_strerror. */
	assert_non_null(strstr(s.error, "127.0.0.1"));
	assert_int_equal(s.body_len, 0);
	seen_free(&s);
}

static int
retry_after_for(struct fixture *f, const char *query)
{
	struct seen	 s = { 0 };
	int		 ra;

	fake_mode(f, query);
	assert_non_null(post(f, "/hook", 10, &s));
	run_until(f->loop, &s.called, 15.0);
	assert_int_equal(s.called, 1);
	assert_int_equal(s.curl_code, CURLE_OK);
	ra = s.retry_after;
	if (strstr(query, "429") != NULL)
		assert_int_equal(s.status, 429);
	seen_free(&s);
	return ra;
}

static void
test_retry_after(void **state)
{
	struct fixture	*f = *state;

	assert_int_equal(retry_after_for(f, "mode=429&retry_after=7"), 7);
	assert_int_equal(retry_after_for(f, "mode=429&retry_after=0"), 0);
	assert_int_equal(retry_after_for(f,
	    "mode=429&retry_after=99999999999999"), HTTP_RETRY_AFTER_MAX);
	/* HTTP-date forms: far future is capped, the past means now. */
	assert_int_equal(retry_after_for(f,
	    "mode=429&retry_after=Wed,%2021%20Oct%202065%2007:28:00%20GMT"),
	    HTTP_RETRY_AFTER_MAX);
	assert_int_equal(retry_after_for(f,
	    "mode=429&retry_after=Sun,%2006%20Nov%201994%2008:49:37%20GMT"),
	    0);
	assert_int_equal(retry_after_for(f, "mode=429&retry_after=soon"), -1);
	assert_int_equal(retry_after_for(f, "mode=ok"), -1);
}

/* A tick that records how late it runs: the loop must not stall. */
struct ticker {
	ev_timer	 w;
	int		 ticks;
	double		 last;
	double		 max_gap;
};

static void
tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	struct ticker	*t = w->data;
	double		 now = ev_time();

	(void)loop;
	(void)revents;
	if (now - t->last > t->max_gap)
		t->max_gap = now - t->last;
	t->last = now;
	t->ticks++;
}

static void
test_timeout_keeps_loop_running(void **state)
{
	struct fixture	*f = *state;
	struct seen	 s = { 0 };
	struct ticker	 t;
	double		 start, took;

	fake_mode(f, "mode=hang");
	memset(&t, 0, sizeof(t));
	ev_timer_init(&t.w, tick_cb, 0.1, 0.1);
	t.w.data = &t;
	start = t.last = ev_time();
	ev_timer_start(f->loop, &t.w);
	assert_non_null(post(f, "/hook", 2, &s));
	run_until(f->loop, &s.called, 20.0);
	took = ev_time() - start;
	ev_timer_stop(f->loop, &t.w);

	assert_int_equal(s.called, 1);
	assert_int_equal(s.curl_code, CURLE_OPERATION_TIMEDOUT);
	assert_int_equal(s.status, 0);
	assert_true(strlen(s.error) > 0);
	assert_true(took >= 1.9 && took < 4.0);
	assert_true(s.total_secs >= 1.9 && s.total_secs < 4.0);
	/* 0.1 s ticks over ~2 s: on schedule, never held up. */
	assert_true(t.ticks >= 15);
	assert_true(t.max_gap < 0.5);
	seen_free(&s);
}

static void
test_cancel(void **state)
{
	struct fixture	*f = *state;
	struct seen	 a = { 0 }, b = { 0 }, c = { 0 };
	struct http_req	*ra, *rb;

	fake_mode(f, "mode=hang");
	ra = post(f, "/a", 10, &a);
	rb = post(f, "/b", 10, &b);
	assert_non_null(ra);
	assert_non_null(rb);
	assert_int_equal(http_pending(f->h), 2);
	run_until(f->loop, NULL, 0.5);		/* both connected and sent */
	http_cancel(f->h, ra);
	assert_int_equal(http_pending(f->h), 1);
	run_until(f->loop, NULL, 0.3);
	assert_int_equal(a.called, 0);
	http_cancel(f->h, rb);
	http_cancel(f->h, NULL);
	assert_int_equal(http_pending(f->h), 0);
	run_until(f->loop, NULL, 0.3);
	assert_int_equal(a.called + b.called, 0);

	/* Left pending at http_free (teardown): no callback, no leak. */
	assert_non_null(post(f, "/c", 10, &c));
	run_until(f->loop, NULL, 0.2);
	assert_int_equal(http_pending(f->h), 1);
	http_free(f->h);
	f->h = NULL;
	assert_int_equal(c.called, 0);
}

static void
test_abort_all(void **state)
{
	struct fixture	*f = *state;
	struct seen	 a = { 0 }, b = { 0 };

	fake_mode(f, "mode=hang");
	assert_non_null(post(f, "/a", 10, &a));
	assert_non_null(post(f, "/b", 10, &b));
	run_until(f->loop, NULL, 0.3);
	http_abort_all(f->h, 1);
	assert_int_equal(http_pending(f->h), 0);
	assert_int_equal(a.called, 1);
	assert_int_equal(b.called, 1);
	assert_int_equal(a.curl_code, CURLE_ABORTED_BY_CALLBACK);
	assert_string_equal(b.error, "aborted");
	run_until(f->loop, NULL, 0.2);
	assert_int_equal(a.called + b.called, 2);
	seen_free(&a);
	seen_free(&b);

	assert_non_null(post(f, "/c", 10, &a));
	http_abort_all(f->h, 0);
	assert_int_equal(http_pending(f->h), 0);
	assert_int_equal(a.called, 0);
}

static void
big_body(struct fixture *f, const char *query, size_t cap, struct seen *s)
{
	struct http_opts	 o;
	char			 url[256];

	fake_mode(f, query);
	snprintf(url, sizeof(url), "%s/llm", fake_base);
	memset(&o, 0, sizeof(o));
	o.url = url;
	o.content_type = "application/json";
	o.body = "{}";
	o.body_len = 2;
	o.timeout = 10;
	o.max_body = cap;
	assert_non_null(http_request(f->h, &o, seen_cb, s));
	run_until(f->loop, &s->called, 15.0);
	assert_int_equal(s->called, 1);
}

static void
test_body_cap(void **state)
{
	struct fixture	*f = *state;
	struct seen	 s = { 0 };

	/* Exactly the cap is fine. */
	big_body(f, "mode=ok&body_bytes=1000", 1000, &s);
	assert_int_equal(s.curl_code, CURLE_OK);
	assert_int_equal(s.too_big, 0);
	assert_int_equal(s.body_len, 1000);
	seen_free(&s);

	/* Announced by Content-Length: refused before the body. */
	big_body(f, "mode=ok&body_bytes=5000", 1000, &s);
	assert_int_not_equal(s.curl_code, CURLE_OK);
	assert_int_equal(s.too_big, 1);
	assert_string_equal(s.error, "response body over 1000 bytes");
	assert_true(s.body_len <= 1000);
	seen_free(&s);

	/* No length, the stream just goes on: stopped at the cap. */
	big_body(f, "mode=ok&body_bytes=300000&no_length=1", 1000, &s);
	assert_int_equal(s.curl_code, CURLE_WRITE_ERROR);
	assert_int_equal(s.too_big, 1);
	assert_int_equal(s.status, 200);
	assert_string_equal(s.error, "response body over 1000 bytes");
	assert_true(s.body_len <= 1000);
	seen_free(&s);
}

/* SMTP and friends: a prepared easy handle through the same machinery. */
static void
test_add_easy(void **state)
{
	struct fixture	*f = *state;
	struct seen	 s = { 0 };
	CURL		*easy;
	char		 url[256];

	fake_mode(f, "mode=429&retry_after=3");
	snprintf(url, sizeof(url), "%s/raw", fake_base);
	easy = curl_easy_init();
	assert_non_null(easy);
	assert_int_equal(curl_easy_setopt(easy, CURLOPT_URL, url), CURLE_OK);
	assert_non_null(http_add_easy(f->h, easy, 10, 0, seen_cb, &s));
	run_until(f->loop, &s.called, 15.0);
	assert_int_equal(s.called, 1);
	assert_int_equal(s.status, 429);
	assert_int_equal(s.retry_after, 3);
	assert_string_equal(s.body, "{\"ok\":false}");
	seen_free(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_post_arrives, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_callback_starts_request,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_status_500, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_retry_after, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_timeout_keeps_loop_running,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_cancel, setup, teardown),
		cmocka_unit_test_setup_teardown(test_abort_all, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_body_cap, setup, teardown),
		cmocka_unit_test_setup_teardown(test_add_easy, setup, teardown),
	};

	/* A dead fake must not kill us with SIGPIPE; curl copes. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
