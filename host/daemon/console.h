/* gordon-console: the operator's page, served by the daemon on its own
 * listener ([console] listen). The page and its script are compiled into
 * the binary (console/ in the source tree); nothing is fetched from
 * elsewhere, so it works offline.
 *
 * Access. A login posts an operator token (checked as the operator API
 * checks it); the answer sets an HttpOnly, SameSite=Strict session cookie
 * that expires ([console] session_ttl_s) and gives the page a CSRF token.
 * Every route but the page, its assets and the login refuses without a
 * live session; every POST also needs the CSRF token (X-CSRF-Token) and an
 * Origin naming this listener, so a page from another origin cannot drive
 * the buttons even with the cookie. The token itself is kept in memory for
 * the session only, to act through the operator API in the operator's name
 * (its audit trail names the token's hash, as for the API). Every answer
 * carries a CSP without inline script, X-Frame-Options: DENY, nosniff and
 * no-referrer; the server checks Host as the API's does.
 *
 * Live updates. GET /events is a server-sent event stream: a "snapshot"
 * event (risk state, positions, strategies) whenever it changed, checked
 * once a second on the loop; no client polls. */
#ifndef GD_CONSOLE_H
#define GD_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include <uv.h>

#include "base/err.h"
#include "config/config.h"
#include "daemon/api.h"
#include "plugin/path.h"

typedef struct gd_console gd_console;

/* What the console needs of the daemon beyond the API (borrowed). */
typedef struct gd_console_hooks {
    void *arg;
    /* Places bot name: text as a conf.d drop-in, then a transactional
     * reload; 0, or refused with msg (file:line) and nothing left behind. */
    int (*place)(void *arg, const char *name, const char *text, char *msg, size_t cap);
    const gd_plugin_dirs *plugin_dirs; /* where the plugins to pick from are */
} gd_console_hooks;

/* Listens on [console] listen; api: the operator API's state (its token
 * hashes, and its routes the console acts through). Borrowed. */
int gd_console_start(uv_loop_t *loop, const gd_config *cfg, gd_api *api, const gd_console_hooks *hooks,
                     gd_console **out, gd_err *err);
int gd_console_port(const gd_console *c);

/* A bot placement's JSON body ({"name", "plugin", "symbols"?, "params":
 * {k: v}, "risk_pct"?, "allocation_usd"?}) as the conf.d drop-in text
 * (malloc'd in *text): one [strategy.NAME] section and at most a [risk]
 * one, nothing a value could turn into more INI structure. 0, or -1 with
 * why (the field at fault). who and at_ms go into its comment line. */
int gd_console_bot_ini(const char *body, size_t len, const char *who, int64_t at_ms, char **text, char *name_out,
                       size_t name_cap, char *why, size_t cap);
/* Closes the listener and every stream; frees c once closed. */
void gd_console_stop(gd_console *c);

#endif
