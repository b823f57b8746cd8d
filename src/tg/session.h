/* session — connecting a shop's Telegram account (API.md "Telegram session").
 *
 * The StringSession — pending during the login, final once connected — is sealed into
 * telegram_sessions (table.column:account_id), so a restart needs no new login. These functions
 * wait on the bridge (with deadlines): call them from worker threads, never from HTTP polling
 * threads or the engine's event loop. */
#ifndef TGR_SESSION_H
#define TGR_SESSION_H

#include <jansson.h>
#include <stdint.h>

struct app;
struct bridge_error;

enum tgs_outcome {
    TGS_OK,
    TGS_PASSWORD_REQUIRED, /* two-step verification: ask for the password */
    TGS_CODE_INVALID,
    TGS_CODE_EXPIRED,
    TGS_PASSWORD_INVALID,
    TGS_PHONE_INVALID,
    TGS_NO_LOGIN,    /* verify without a connect first */
    TGS_CONNECTED,   /* connect while a session is connected */
    TGS_FLOOD,       /* Telegram asks to wait `seconds` */
    TGS_REFUSED,     /* another Telegram refusal; `code` says which */
    TGS_UNAVAILABLE, /* bridge timeout / network */
    TGS_DEAD,        /* the stored session was revoked */
    TGS_STORE,       /* the database failed */
};

struct tgs_result {
    enum tgs_outcome outcome;
    int seconds;
    char code[64];
    /* on TGS_OK after verify/start */
    char user_id[24];
    char first_name[128];
    char username[64];
};

/* POST /session/connect: ask Telegram to send a login code to phone (E.164). Refused with
 * TGS_CONNECTED while a session is connected: the working session is only replaced after
 * DELETE /session, so it is never dropped without being logged out. */
void tgs_connect(struct app *app, int64_t account_id, const char *phone, struct tgs_result *res);

/* POST /session/verify: finish the login with the code and/or the two-step password. On success
 * the session is stored as connected and this instance owns the account's client from now on
 * (cluster_take); queuing the first inbox sync is the caller's (engine_request_sync). */
void tgs_verify(struct app *app, int64_t account_id, const char *code, const char *password,
                struct tgs_result *res);

/* Start a stored connected session on the bridge (after a server or bridge restart). A session
 * Telegram rejects becomes invalid (TGS_DEAD). */
void tgs_start(struct app *app, int64_t account_id, struct tgs_result *res);

/* DELETE /session: log out at Telegram (best effort) and forget the session. */
int tgs_logout(struct app *app, int64_t account_id);

/* A bridge call on behalf of an account. When the bridge does not know the account yet
 * (NOT_STARTED: a restarted bridge whose session start is still queued), the stored session is
 * started here and the call made once more. Same contract as bridge_call. */
int tgs_call(struct app *app, int64_t account_id, json_t *req, int timeout_ms, json_t **result,
             struct bridge_error *err);

/* 1 if code (a bridge error code) means the session is dead (DESIGN §4). */
int tgs_code_is_dead_session(const char *code);

#endif
