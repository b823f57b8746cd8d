/* h_analytics — account-wide analytics routes (API.md "Analytics"). Per-campaign counters and
 * revenue arrive with the send engine and analytics work. */
#include "analytics/classify.h"
#include "core/app.h"
#include "core/audience.h"
#include "core/util.h"
#include "http/handlers.h"
#include "http/server.h"

/* GET /analytics/categories: the distribution over the contacts a campaign could reach (opted-out,
 * blocked and deactivated contacts are left out, as they are from every audience). */
enum hres analytics_categories_h(struct req *r)
{
    struct filters f;
    struct jspec_error err;
    struct audience a;
    if (filters_parse(NULL, NULL, r->account_id, &f, &err) != TGR_OK ||
        audience_resolve(r->app, r->account_id, &f, 0, &a) != TGR_OK) {
        reply_error(r, ERR_UNAVAILABLE, NULL, "the database is not available; retry shortly");
        return H_NO;
    }
    json_t *d = json_object();
    for (int k = 0; k < CAT_COUNT; k++)
        json_object_set_new(d, category_name((enum category)k), json_integer((json_int_t)a.by_category[k]));
    reply_json(r, 200, json_pack("{s:I, s:o}", "total", (json_int_t)a.n, "distribution", d));
    audience_release(&a);
    return H_OK;
}
