/* message — what a campaign message says to one person, built the same way for the engine's
 * send and the editor's preview: the {{last_order}} text and the tracked links (each URL of the
 * message becomes PUBLIC_URL/t/<code> for this link and recipient; recipient 0 in a preview).
 * Layer: core. */
#ifndef TGR_MESSAGE_H
#define TGR_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

struct app;

/* The contact's latest paid order as {{last_order}} text ("" when none).
 * @return 0, or -1 when the store failed (out is "") */
int message_last_order(struct app *app, int64_t account_id, int64_t contact_id, char *out, size_t cap);

#define MESSAGE_LINKS_MAX 16

/* The link ids a run of renderings of one campaign has ensured already, so that each URL is
 * looked up (and written) once per run rather than once per message (DECISIONS 77). */
struct message_link_memo {
    int64_t campaign_id;
    int n;
    char urls[MESSAGE_LINKS_MAX][640];
    int64_t ids[MESSAGE_LINKS_MAX];
};

/* The tracked links of one rendering: pass message_link and the struct to render(). */
struct message_links {
    struct app *app;
    int64_t account_id, campaign_id, recipient_id;
    char urls[MESSAGE_LINKS_MAX][640];
    int used;
    int db; /* the worst store result of making the links (enum db_status): < 0 means a failure */
    struct message_link_memo *memo; /* NULL (message_links_init), or the run's memo to use and fill */
};

void message_links_init(struct message_links *ml, struct app *app, int64_t account_id, int64_t campaign_id,
                        int64_t recipient_id);
/* render()'s link callback: the tracked URL for url, or NULL (the link stays as written) when
 * there are too many links or the store failed (ml->db says which). */
const char *message_link(void *ml, const char *url);

#endif
