/* systemd readiness (sd_notify's plain datagram protocol on $NOTIFY_SOCKET,
 * no libsystemd): READY=1 once config, plugins and the state store are up;
 * RELOADING=1 / READY=1 around a reload; STOPPING=1 on the way out;
 * WATCHDOG=1 from a timer on the loop when the unit has WatchdogSec=. A
 * no-op when not started by systemd. */
#ifndef GD_NOTIFY_H
#define GD_NOTIFY_H

#include <stdint.h>

#include "base/err.h"

/* Sends state (e.g. "READY=1\nSTATUS=trading") to $NOTIFY_SOCKET if set.
 * Returns 1 if sent, 0 if there is no socket, GD_EINVAL for an empty state
 * or an address that is neither a path nor '@abstract', GD_EIO when the
 * datagram could not be sent. Never blocks. */
int gd_notify(const char *state);

/* The systemd watchdog asked of this process: *interval_ms is how often to
 * send WATCHDOG=1, half of $WATCHDOG_USEC (as sd_watchdog_enabled(3)
 * advises, so one late ping is not yet a kill), at least 1 ms; 0 when
 * there is no watchdog ($WATCHDOG_USEC unset or empty, or $WATCHDOG_PID
 * naming another process). A value that is not a plain decimal number (a
 * positive count of microseconds, a pid) is GD_EINVAL naming the variable
 * and the value, and *interval_ms is 0: the caller warns and does not
 * ping, rather than guess. */
int gd_watchdog_interval(uint64_t *interval_ms, gd_err *err);

#endif
