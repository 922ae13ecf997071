/* libcurl's multi interface driven by a libuv loop, in the pattern of
 * curl's docs/examples/multi-uv.c: curl says which sockets to watch
 * (CURLMOPT_SOCKETFUNCTION: one uv_poll_t each) and when to call it back
 * (CURLMOPT_TIMERFUNCTION: one uv_timer_t); readiness goes back through
 * curl_multi_socket_action and finished transfers come out of
 * curl_multi_info_read. Nothing here blocks the loop.
 *
 * Lifetime: every handle is counted; gd_curluv_close aborts what is in
 * flight (their done callbacks are not called), closes every handle, and
 * the last close callback frees the driver, so callbacks libuv still has
 * queued never see freed memory. Not thread-safe: the loop's thread only. */
#ifndef GD_CURLUV_H
#define GD_CURLUV_H

#include <curl/curl.h>
#include <uv.h>

#include "base/err.h"

typedef struct gd_curluv gd_curluv;

/* A transfer finished (cc CURLE_OK, or why not). The easy handle is out of
 * the multi handle again and the caller's to reuse or clean up. */
typedef void (*gd_curluv_done)(void *arg, CURL *easy, CURLcode cc);

/* name labels log lines ("fred", "venue"). */
int gd_curluv_new(uv_loop_t *loop, const char *name, gd_curluv **out, gd_err *err);

/* Starts easy (set up by the caller; the driver takes CURLOPT_PRIVATE). */
int gd_curluv_add(gd_curluv *c, CURL *easy, gd_curluv_done done, void *arg, gd_err *err);

/* Stops a transfer in flight without calling its done callback. */
void gd_curluv_cancel(gd_curluv *c, CURL *easy);

/* Transfers in flight. */
unsigned gd_curluv_active(const gd_curluv *c);

/* Aborts everything, closes the handles; closed(arg) once they are, after
 * which c is gone. The easy handles stay the callers'. */
void gd_curluv_close(gd_curluv *c, void (*closed)(void *arg), void *arg);

/* curl_global_init once per process (both callers use it). */
int gd_curl_global(gd_err *err);

#endif
