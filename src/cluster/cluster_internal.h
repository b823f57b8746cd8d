/* cluster_internal — what cluster.c (leases, wake-ups) and relay.c (remote commands) share.
 * Layer: cluster; nothing outside src/cluster/ includes it (cluster.h is the contract). */
#ifndef TGR_CLUSTER_INTERNAL_H
#define TGR_CLUSTER_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "cluster/cluster.h"

/* Channel of the wake-ups and command notes that reach every instance (store.h notify/listen).
 * A payload is an account id, or "c:<instance>:<command id>" for a command. */
#define CLUSTER_CHANNEL "tgr_wake"

struct cluster {
    struct app *app;
    char instance[128];
    int64_t lease_ms;
    cluster_wake_fn wake;
    cluster_command_fn run;
    void *ctx;
    /* The lease rounds' thread only: the accounts this instance sends for, as of the last round. */
    int64_t *owned;
    size_t n_owned;
    int64_t claimed_at;  /* start of the last successful round */
    int64_t next_claim;  /* when the next round is due */
    int64_t owned_until; /* leases run out then unless renewed: stop sending before */
    int64_t *shed;       /* "<instance>:shed" leases as of the last round: their stops were asked */
    size_t n_shed;
};

/* A command note for this instance arrived (store listener thread): run command id on the tg
 * worker pool and seal its answer (relay.c). */
void cluster__command_submit(struct cluster *c, const char *id);

#endif
