/* sdnotify — tells systemd how `tgr serve` is doing when it runs as a Type=notify service
 * (debian/tgr.service): READY=1 once the HTTP socket accepts, STOPPING=1 when a SIGTERM starts
 * the graceful stop. The protocol is one datagram to the unix socket named by $NOTIFY_SOCKET
 * (sd_notify(3)); without that variable every call does nothing, so tgr needs no libsystemd. */
#ifndef TGR_SDNOTIFY_H
#define TGR_SDNOTIFY_H

/* Take $NOTIFY_SOCKET and remove it from the environment, so that children (the Node bridge)
 * cannot speak for the service. Call before any thread starts.
 * @return 1 when systemd is listening, else 0 */
int sdnotify_init(void);

/* Send state ("READY=1", "STOPPING=1", "STATUS=…", newline-separated) if sdnotify_init found a
 * socket. Errors are ignored: systemd's answer to a lost READY is its start timeout. */
void sdnotify(const char *state);

#endif
