/* systemd readiness (sd_notify's plain datagram protocol on $NOTIFY_SOCKET,
 * no libsystemd): READY=1 once config, plugins and the state store are up;
 * RELOADING=1 / READY=1 around a reload; STOPPING=1 on the way out. A no-op
 * when not started by systemd. */
#ifndef GD_NOTIFY_H
#define GD_NOTIFY_H

/* Sends state (e.g. "READY=1\nSTATUS=trading") to $NOTIFY_SOCKET if set.
 * Returns 1 if sent, 0 if there is no socket, GD_EINVAL for an empty state
 * or an address that is neither a path nor '@abstract', GD_EIO when the
 * datagram could not be sent. Never blocks. */
int gd_notify(const char *state);

#endif
