/*
 * http: non-blocking HTTP (and any other libcurl transfer) on the daemon's
 * libev loop, through libcurl's multi-socket interface.
 *
 * One struct http per loop.  A request is started with http_post(),
 * http_request() or http_add_easy() and finishes exactly once: either its
 * completion callback runs (success or failure, from inside the loop), or
 * it is cancelled (http_cancel, http_abort_all with notify == 0, http_free)
 * and the callback never runs.  Nothing here blocks: sockets and timers are
 * ev watchers and name resolution uses libcurl's threaded resolver.
 *
 * Ownership:
 *  - struct http_req is owned by struct http.  The handle a start function
 *    returns stays valid until its callback has returned or it has been
 *    cancelled; after that it is freed, so owners clear their copy in the
 *    callback.
 *  - URL, body and headers given to http_post/http_request are copied; the
 *    caller may free them as soon as the call returns.
 *  - struct http_result and everything it points to (body, error) belong
 *    to the request and are valid only during the callback: copy what you
 *    keep.
 *  - http_add_easy() takes the CURL easy handle over (it is cleaned up with
 *    the request, also when the call fails).  Data the caller hung on that
 *    handle (curl_slist of recipients, READDATA) stays the caller's and must
 *    outlive the request: free it in the callback, or after http_cancel or
 *    http_free has returned.
 *
 * A callback may start new requests and cancel other ones, but must not
 * call http_free().
 */
#ifndef LW_HTTP_H
#define LW_HTTP_H

#include <stddef.h>

#include <curl/curl.h>
#include <ev.h>

#define HTTP_BODY_MAX		(1024 * 1024)	/* default response cap, bytes */
#define HTTP_TIMEOUT_DEFAULT	30		/* seconds, when 0 is given */
#define HTTP_CONNECT_TIMEOUT	10		/* seconds, at most the total */
#define HTTP_RETRY_AFTER_MAX	86400		/* longer Retry-After is cut */

struct http;
struct http_req;

struct http_result {
	long		 status;	/* HTTP status; 0 when no response */
	int		 curl_code;	/* CURLcode; 0 (CURLE_OK) on transfer success */
	const char	*error;		/* why it failed, or "" (never NULL) */
	const char	*body;		/* response body, NUL-terminated */
	size_t		 body_len;
	int		 body_too_big;	/* 1: body passed the cap (an error) */
	int		 retry_after;	/* seconds from Retry-After; -1 absent */
	double		 total_secs;	/* whole transfer, as curl measured it */
};

typedef void (*http_done_cb)(const struct http_result *, void *arg);

/* Everything one HTTP request may say; zero means "the default". */
struct http_opts {
	const char		*method;	/* NULL: POST with a body, else GET */
	const char		*url;		/* http:// or https:// only */
	const char		*content_type;	/* NULL: curl's (form) for a POST */
	const char		*body;		/* may be NULL */
	size_t			 body_len;
	const char *const	*headers;	/* "Name: value", NULL-terminated */
	long			 timeout;	/* total seconds; 0: default */
	long			 connect_timeout; /* seconds; 0: default */
	size_t			 max_body;	/* response cap; 0: HTTP_BODY_MAX */
};

/* Calls curl_global_init (reference counted by libcurl). */
struct http	*http_new(struct ev_loop *);
/* Aborts every pending request without calling its callback; NULL ok. */
void		 http_free(struct http *);

/*
 * Start a request.  Returns NULL, having logged why, only when the request
 * cannot even be set up (libcurl refused an option); every transfer error
 * is reported later through the callback.
 */
struct http_req	*http_request(struct http *, const struct http_opts *,
		    http_done_cb, void *arg);
struct http_req	*http_post(struct http *, const char *url,
		    const char *content_type, const char *body, size_t len,
		    const char *const *extra_headers, long timeout_secs,
		    http_done_cb, void *arg);
/*
 * Run a transfer the caller prepared (SMTP for email): http adds NOSIGNAL,
 * the error buffer, the timeouts and body/header capture, and owns easy.
 */
struct http_req	*http_add_easy(struct http *, CURL *easy, long timeout_secs,
		    size_t max_body, http_done_cb, void *arg);

/* Stop a request; its callback is not called.  NULL is ignored. */
void		 http_cancel(struct http *, struct http_req *);
size_t		 http_pending(const struct http *);
/*
 * Abort every pending request.  notify: call each callback with
 * curl_code CURLE_ABORTED_BY_CALLBACK and error "aborted" (so owners can
 * release what they hold); 0: callbacks are not called.
 */
void		 http_abort_all(struct http *, int notify);

/* 1 when the transfer worked and the status is 2xx. */
int		 http_result_ok(const struct http_result *);

#endif
