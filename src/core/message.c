/* message — placeholders' values and tracked links of one message; see message.h. */
#include "core/message.h"

#include <stdio.h>
#include <string.h>

#include "base/app.h"
#include "core/links.h"
#include "core/orders.h"
#include "store/store.h"

int message_last_order(struct app *app, int64_t account_id, int64_t contact_id, char *out, size_t cap)
{
    struct order_row o;
    out[0] = 0;
    enum db_status s = app->store->order_latest_paid(app->store, account_id, contact_id, &o);
    if (s < 0) return -1;
    if (s == DB_ONE) orders_format(&o, out, cap);
    return 0;
}

void message_links_init(struct message_links *ml, struct app *app, int64_t account_id, int64_t campaign_id,
                        int64_t recipient_id)
{
    ml->app = app;
    ml->account_id = account_id;
    ml->campaign_id = campaign_id;
    ml->recipient_id = recipient_id;
    ml->used = 0;
    ml->db = DB_ONE;
    ml->memo = NULL;
}

/* The link id of url: from the memo when this run ensured it already, else from the store. */
static enum db_status link_id_of(struct message_links *ml, const char *url, int64_t *link_id)
{
    struct message_link_memo *m = ml->memo;
    if (m && m->campaign_id != ml->campaign_id) {
        m->campaign_id = ml->campaign_id;
        m->n = 0;
    }
    for (int i = 0; m && i < m->n; i++)
        if (strcmp(m->urls[i], url) == 0) {
            *link_id = m->ids[i];
            return DB_ONE;
        }
    enum db_status s =
        ml->app->store->link_ensure(ml->app->store, ml->account_id, ml->campaign_id, url, link_id);
    if (s >= 0 && m && m->n < MESSAGE_LINKS_MAX && strlen(url) < sizeof m->urls[0]) {
        memcpy(m->urls[m->n], url, strlen(url) + 1);
        m->ids[m->n++] = *link_id;
    }
    return s;
}

const char *message_link(void *cls, const char *url)
{
    struct message_links *ml = cls;
    int64_t link_id;
    if (ml->used >= MESSAGE_LINKS_MAX) return NULL;
    enum db_status s = link_id_of(ml, url, &link_id);
    if (s < 0) {
        if (s < ml->db) ml->db = s;
        return NULL;
    }
    char code[LINK_CODE_MAX];
    link_code(ml->app->kr, link_id, ml->recipient_id, code);
    char *out = ml->urls[ml->used++];
    snprintf(out, sizeof ml->urls[0], "%s/t/%s", ml->app->cfg.public_url, code);
    return out;
}
