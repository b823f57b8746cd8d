/* segment — the rows of the store's segment and scheduled-start functions (store.h, issue 16),
 * kept apart so that store.h stays under its size. Layer: store. */
#ifndef TGR_STORE_SEGMENT_H
#define TGR_STORE_SEGMENT_H

#include <stdint.h>

/* A saved audience (API.md "Segments"): its filters in their canonical JSON (core/campaign.c
 * filters_to_json; a few hundred bytes at most). */
struct segment {
    int64_t id, created_at, updated_at; /* unix ms */
    char name[256], filters_json[2048];
};

/* A campaign waiting for its start_at (status scheduled), of any account. */
struct scheduled_start {
    int64_t account_id, campaign_id, start_at;
};

#endif
