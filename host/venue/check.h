/* `gordon venue check`: what the executor will rely on, asked of the venue
 * before anything trades: the endpoints the profile names, the server-time
 * offset, the instruments' rules, and with a key, one-way position mode
 * and the account's balance. Runs a loop of its own (a command, not the
 * daemon). */
#ifndef GD_VENUE_CHECK_H
#define GD_VENUE_CHECK_H

#include <stdio.h>

#include "base/err.h"
#include "config/config.h"

/* Prints one line per check to out; 0 when every check passed, GD_EINVAL
 * or GD_EIO (err says which) otherwise. */
int gd_venue_check(const gd_config *cfg, FILE *out, gd_err *err);

#endif
