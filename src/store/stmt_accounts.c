/* stmt_accounts — accounts, Telegram sessions and instance settings (meta), once for both
 * backends (store.h documents each function). Auth writes are durable. */
#include <string.h>

#include "base/util.h"
#include "store/db.h"
#include "store/stmt.h"

enum db_status stmt_ping(struct store *st)
{
    return db_exec(st, S_PING, NULL);
}

static int read_account(void *cls, const struct db_row *r, void *elem)
{
    struct account *a = elem;
    a->id = db_i64(r, 0);
    db_copy(r, 1, a->email, sizeof a->email);
    db_copy(r, 2, a->plan_type, sizeof a->plan_type);
    db_copy(r, 3, a->password_hash, sizeof a->password_hash);
    db_copy(r, 4, a->timezone, sizeof a->timezone);
    a->frequency_cap_days = (int)db_i64(r, 5);
    a->webhook_secret_set = (int)db_i64(r, 6);
    a->created_at = db_i64(r, 7);
    a->daily_send_limit = (int)db_i64(r, 8);
    a->error_streak_limit = (int)db_i64(r, 9);
    a->token_gen = db_i64(r, 10);
    return TGR_OK;
}

enum db_status stmt_account_by_email(struct store *st, const char *email, struct account *out)
{
    return db_one(st, S_ACCOUNT_BY_EMAIL, P(SP_STR(email)), sizeof *out, read_account, NULL, NULL, out);
}

enum db_status stmt_account_by_api_key(struct store *st, const char *hash, struct account *out)
{
    return db_one(st, S_ACCOUNT_BY_KEY, P(SP_STR(hash)), sizeof *out, read_account, NULL, NULL, out);
}

enum db_status stmt_account_get(struct store *st, int64_t id, struct account *out)
{
    return db_one(st, S_ACCOUNT_GET, P(SP_I64(id)), sizeof *out, read_account, NULL, NULL, out);
}

enum db_status stmt_account_create(struct store *st, const struct account *a, const char *api_key_hash,
                                   int64_t *id)
{
    int64_t v = 0;
    enum db_status r = db_write_ints(st, TX_DURABLE, S_ACCOUNT_INSERT,
                                     P(SP_STR(a->email), SP_STR(api_key_hash),
                                       SP_STR(a->plan_type[0] ? a->plan_type : "free"),
                                       SP_STR(a->password_hash), SP_I64(now_ms())),
                                     &v, 1);
    if (r == DB_ONE && id) *id = v;
    return r;
}

enum db_status stmt_account_update(struct store *st, const struct account *a)
{
    return db_write(st, TX_NORMAL, S_ACCOUNT_UPDATE,
                    P(SP_STR(a->timezone), SP_I64(a->frequency_cap_days), SP_I64(a->daily_send_limit),
                      SP_I64(a->error_streak_limit), SP_I64(a->id)));
}

enum db_status stmt_account_set_webhook_secret(struct store *st, int64_t id, const unsigned char *sealed,
                                               size_t len)
{
    return db_write(st, TX_DURABLE, S_ACCOUNT_SET_WH, P(SP_BLOB(sealed, len), SP_I64(id)));
}

enum db_status stmt_account_webhook_secret(struct store *st, int64_t id, unsigned char **out, size_t *len)
{
    struct blob b;
    enum db_status r = db_one_blob(st, S_ACCOUNT_GET_WH, P(SP_I64(id)), &b);
    if (r == DB_ONE) {
        *out = b.p;
        *len = b.len;
    }
    return r;
}

/* ---- Telegram sessions ------------------------------------------------------------------------ */

static int read_session(void *cls, const struct db_row *r, void *elem)
{
    struct tg_session *s = elem;
    db_copy(r, 0, s->status, sizeof s->status);
    db_copy(r, 3, s->tg_user_id, sizeof s->tg_user_id);
    s->updated_at = db_i64(r, 4);
    s->frozen_at = db_i64(r, 5);
    return db_blob(r, 1, &s->session) == TGR_OK && db_blob(r, 2, &s->phone) == TGR_OK ? TGR_OK : TGR_ERR;
}

static void release_session(void *elem)
{
    tg_session_release(elem);
}

enum db_status stmt_session_get(struct store *st, int64_t account_id, struct tg_session *out)
{
    memset(out, 0, sizeof *out);
    return db_one(st, S_SESSION_GET, P(SP_I64(account_id)), sizeof *out, read_session, release_session, NULL,
                  out);
}

enum db_status stmt_session_put(struct store *st, int64_t account_id, const struct tg_session *in)
{
    return db_write(st, TX_DURABLE, S_SESSION_PUT,
                    P(SP_I64(account_id), SP_STR(in->status), SP_SEALED(&in->session), SP_SEALED(&in->phone),
                      SP_OPT(in->tg_user_id), SP_I64(now_ms())));
}

enum db_status stmt_session_set_status(struct store *st, int64_t account_id, const char *status)
{
    return db_write(st, TX_DURABLE, S_SESSION_STATUS,
                    P(SP_STR(status), SP_I64(now_ms()), SP_I64(account_id)));
}

enum db_status stmt_session_set_frozen(struct store *st, int64_t account_id, int64_t at)
{
    return db_write(st, TX_NORMAL, S_SESSION_FROZEN, P(SP_ID(at), SP_I64(account_id)));
}

enum db_status stmt_session_delete(struct store *st, int64_t account_id)
{
    return db_write(st, TX_DURABLE, S_SESSION_DELETE, P(SP_I64(account_id)));
}

enum db_status stmt_sessions_connected(struct store *st, int64_t **ids, size_t *n)
{
    return db_ids(st, S_SESSIONS_CONNECTED, NULL, ids, n);
}

/* ---- meta ------------------------------------------------------------------------------------- */

enum db_status stmt_meta_get(struct store *st, const char *key, char *out, size_t cap)
{
    return db_text(st, S_META_GET, P(SP_STR(key)), out, cap);
}

enum db_status stmt_meta_set(struct store *st, const char *key, const char *value)
{
    return db_write(st, TX_DURABLE, S_META_SET, P(SP_STR(key), SP_STR(value)));
}

enum db_status stmt_meta_delete(struct store *st, const char *key)
{
    return db_write(st, TX_NORMAL, S_META_DELETE, P(SP_STR(key)));
}
