/* daily — the daily send limit; see daily.h. */
#include "core/daily.h"

#include <string.h>

#include "base/util.h"
#include "core/campaign.h"
#include "store/store.h"

int daily_read(struct store *st, int64_t account_id, int64_t now, struct daily *out)
{
    memset(out, 0, sizeof *out);
    struct account a;
    if (st->account_get(st, account_id, &a) != DB_ONE) return TGR_ERR;
    out->limit = a.daily_send_limit > 0 ? a.daily_send_limit : 0;
    local_day(a.timezone[0] ? a.timezone : "UTC", now, &out->day_start, &out->day_end);
    if (!out->limit) return TGR_OK; /* nothing to count */
    return st->sent_since(st, account_id, out->day_start, &out->sent) < 0 ? TGR_ERR : TGR_OK;
}
