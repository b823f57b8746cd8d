/* sse — Server-Sent Events over libmicrohttpd without blocking a polling thread.
 *
 * A stream is a response whose content reader asks a source for whatever events are ready.
 * When none are, it suspends the connection and returns 0 (the pattern microhttpd.h prescribes);
 * one ticker thread ("tgr-sse") resumes every suspended stream four times a second while any is
 * open (and sleeps while none is), so a stream notices new events within ~250 ms, and sends a ": keep-alive"
 * comment after --stream-keepalive seconds (15) without a write, to keep proxies from closing it.
 *
 * Limits: an account holds at most --max-streams-per-account streams (5) at once; the next one is
 * answered 429 too_many_streams. A stream ends (a last comment says why, then the body's end) when
 * the bearer token it was opened with expires, within 5 s of the revocation of that token or API
 * key (a password change, "sign out everywhere", a new API key: the ticker asks the database every
 * 5 s, so a revocation made through another instance counts too), and at the latest
 * --stream-max-age seconds (12 h) after it opened. A stream's slot is freed when MHD
 * completes its request: at its end, or within a tick of the client closing its connection
 * (checked whenever the stream has nothing to send). At shutdown (sse_shutdown) every stream
 * ends, so a graceful stop never waits on them. */
#ifndef TGR_SSE_H
#define TGR_SSE_H

#include <stddef.h>

struct req;

/* Write ready events ("id: …\ndata: …\n\n") into buf (cap bytes, always >= 4096); return the
 * number of bytes written, 0 when nothing is ready, -1 to end the stream. */
typedef long (*sse_next_fn)(void *ctx, char *buf, size_t cap);

/* Reply to r (an authenticated request: r->account_id, r->cred_exp) with an event stream fed by
 * next(ctx); ctx is freed with ctx_free when the stream ends. When the account already has its
 * maximum of streams open, the reply is instead 429 too_many_streams with Retry-After, and ctx is
 * freed at once. @return 0 (a reply is set), or -1 (reply not set; ctx_free already called) */
int sse_reply(struct req *r, sse_next_fn next, void *ctx, void (*ctx_free)(void *));

/* Start/stop the ticker thread. sse_shutdown ends every open stream and waits for nothing. */
int sse_init(void);
void sse_shutdown(void);

#endif
