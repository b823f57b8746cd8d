/* deliver — sends outgoing webhooks from the outbox (issue 19; API.md "Outgoing webhooks";
 * the rules it follows are core/webhooks.h's, the rows store/store_webhooks.h's).
 *
 * Threads of their own, apart from the engine, the HTTP threads and every worker pool: a
 * dispatcher that claims due deliveries from the database, one at a time for each idle sender,
 * and DELIVER_SENDERS senders that each make one request at a time. A receiver that never
 * answers holds one sender for the 10 s timeout; sending campaign messages never waits on any of
 * it (the engine only writes outbox rows, in its own transactions).
 *
 * Exactly one instance makes each attempt: a claim is a lease on the row (DELIVER_LEASE_MS, well
 * beyond an attempt's longest), taken in one statement that skips rows another instance holds, so
 * instances sharing a PostgreSQL database split the deliveries between them; a claim left by a
 * killed instance runs out and the row is claimed again (at least once), and a restarted instance
 * of the same --instance-id lets go of its own old claims at once. An attempt's outcome and the
 * end of the claim are one write. At a stop, requests in flight are cut off and their rows let go
 * of, to be sent again after the restart. Layer: hooks (above core and cluster, below http and
 * main). */
#ifndef TGR_DELIVER_H
#define TGR_DELIVER_H

struct app;
struct deliverer;

#define DELIVER_SENDERS  4
#define DELIVER_LEASE_MS (120 * 1000)

/* Start the threads. instance names this process's claims (the cluster's instance id, or NULL for
 * one of its own). @return the deliverer, or NULL (out of memory, or a thread would not start;
 * logged) */
struct deliverer *deliver_start(struct app *app, const char *instance);

/* Stop the threads (requests in flight end at once, their deliveries left for later) and free. */
void deliver_stop(struct deliverer *d);

#endif
