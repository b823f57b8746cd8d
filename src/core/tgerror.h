/* tgerror — the one registry of Telegram error codes: for each code the bridge can answer, its
 * class (what tgr does about it), what it does to the contact, and the words the web app shows.
 *
 * Everything that reacts to a Telegram error reads this list: the send classifier
 * (engine/send.c), the dead-session check of the login flow and the inbox sync
 * (tg/session.c), and — through share/telegram-errors.json, generated from this list by
 * `make telegram-errors` — the bridge (bridge/protocol.mjs: which errors kill a session, which
 * carry a wait) and the web app (web/src/results/format.ts: words and the reconnect notice).
 * unit.test_tgerror fails while the checked-in JSON differs from what this list generates.
 *
 * A new Telegram error is one X line in TG_ERRORS (then `make telegram-errors`). A code not
 * listed gets TG_ERROR_DEFAULT_CLASS. The login flow's own outcomes (wrong code, password
 * needed…) stay in tg/session.c: they say which answer the login route gives, not what the
 * error means for the account. Sits in core/ (above base/ only) so that core, tg, engine and
 * http can all include it. */
#ifndef TGR_TGERROR_H
#define TGR_TGERROR_H

#include <stddef.h>

/* X(id, wire name, what tgr does) — the classes, as DESIGN §4's table. */
#define TG_ERROR_CLASSES(X)                                                                                  \
    X(TGE_FLOOD_WAIT, "flood_wait",                                                                          \
      "Telegram asks the account to wait N seconds: the message goes back to the queue and the account "     \
      "sends nothing until then.")                                                                           \
    X(TGE_PEER_FLOOD, "peer_flood",                                                                          \
      "Telegram limits the account: the campaign pauses (reason peer_flood) and is not retried by itself.")  \
    X(TGE_SESSION_DEAD, "session_dead",                                                                      \
      "The account's session is no longer valid: the session becomes invalid, every running campaign of "    \
      "the account pauses (reason session_invalid) and the bridge drops the client; only a new login "       \
      "fixes it.")                                                                                           \
    X(TGE_RECIPIENT_PERMANENT, "recipient_permanent",                                                        \
      "The message to this recipient fails for good, with this code as the reason; the contact may be "      \
      "marked.")                                                                                             \
    X(TGE_TEMPORARY, "temporary",                                                                            \
      "Trouble on the way (timeout, network, a Telegram server error): retried with backoff, then failed "   \
      "as retries_exhausted.")

enum tg_error_class {
#define X(id, name, what) id,
    TG_ERROR_CLASSES(X)
#undef X
};

/* How many there are (apart from the enum, so that a switch need not name it). */
#define TGERROR_ONE(...) +1
enum { TGE__COUNT = 0 TG_ERROR_CLASSES(TGERROR_ONE) };

/* X(id, wire name, what happens). The values are struct send_outcome's mark_contact (store.h). */
#define TG_CONTACT_MARKS(X)                                                                                  \
    X(TGM_NONE, NULL, "nothing")                                                                             \
    X(TGM_BLOCKED, "blocked",                                                                                \
      "the contact is marked blocked: left out of later campaigns, its follow-ups skipped as unreachable")   \
    X(TGM_DEACTIVATED, "deactivated",                                                                        \
      "the contact is marked deactivated (the person deleted their account): left out of later campaigns, "  \
      "its follow-ups skipped as unreachable")

enum tg_contact_mark {
#define X(id, name, what) id,
    TG_CONTACT_MARKS(X)
#undef X
};
enum { TGM__COUNT = 0 TG_CONTACT_MARKS(TGERROR_ONE) };

/* One line per Telegram error code: X(code, class, contact mark, words for people).
 * The code is Telegram's name as the bridge answers it (docs/BRIDGE-PROTOCOL.md "Error codes"),
 * or one of the bridge's own (TIMEOUT, NETWORK, NOT_STARTED, INTERNAL); class and mark are the
 * suffixes of TGE_* and TGM_*; the words are the short label the web app shows beside the code.
 * A code of class FLOOD_WAIT also stands for its "_N" form (N the seconds: FLOOD_WAIT_37). */
#define TG_ERRORS(X)                                                                                         \
    /* Wait, then go on. */                                                                                  \
    X(FLOOD_WAIT, FLOOD_WAIT, NONE, "Telegram asked to wait")                                                \
    X(FLOOD_PREMIUM_WAIT, FLOOD_WAIT, NONE, "Telegram asked to wait")                                        \
    X(FLOOD_TEST_PHONE_WAIT, FLOOD_WAIT, NONE, "Telegram asked to wait")                                     \
    X(SLOWMODE_WAIT, FLOOD_WAIT, NONE, "Telegram asked to wait")                                             \
    /* The account is limited. */                                                                            \
    X(PEER_FLOOD, PEER_FLOOD, NONE, "Account limited by Telegram")                                           \
    /* The session is dead: a new login is needed. */                                                        \
    X(AUTH_KEY_UNREGISTERED, SESSION_DEAD, NONE, "Logged out by Telegram")                                   \
    X(AUTH_KEY_INVALID, SESSION_DEAD, NONE, "Session key rejected by Telegram")                              \
    X(AUTH_KEY_PERM_EMPTY, SESSION_DEAD, NONE, "Session key rejected by Telegram")                           \
    X(AUTH_KEY_DUPLICATED, SESSION_DEAD, NONE, "Session used on two connections")                            \
    X(SESSION_REVOKED, SESSION_DEAD, NONE, "Session ended from another device")                              \
    X(SESSION_EXPIRED, SESSION_DEAD, NONE, "Session expired")                                                \
    X(USER_DEACTIVATED, SESSION_DEAD, NONE, "Your Telegram account was deleted")                             \
    X(USER_DEACTIVATED_BAN, SESSION_DEAD, NONE, "Your Telegram account was banned")                          \
    X(PHONE_NUMBER_BANNED, SESSION_DEAD, NONE, "Your phone number is banned by Telegram")                    \
    /* This recipient, for good. */                                                                          \
    X(USER_IS_BLOCKED, RECIPIENT_PERMANENT, BLOCKED, "Blocked your account")                                 \
    X(YOU_BLOCKED_USER, RECIPIENT_PERMANENT, BLOCKED, "You blocked them")                                    \
    X(INPUT_USER_DEACTIVATED, RECIPIENT_PERMANENT, DEACTIVATED, "Account deleted")                           \
    X(USER_PRIVACY_RESTRICTED, RECIPIENT_PERMANENT, NONE, "Privacy settings")                                \
    X(PRIVACY_PREMIUM_REQUIRED, RECIPIENT_PERMANENT, NONE, "Accepts Premium senders only")                   \
    X(CHAT_WRITE_FORBIDDEN, RECIPIENT_PERMANENT, NONE, "Cannot write to them")                               \
    X(PEER_ID_INVALID, RECIPIENT_PERMANENT, NONE, "Unknown to Telegram")                                     \
    X(MEDIA_INVALID, RECIPIENT_PERMANENT, NONE, "Media refused by Telegram")                                 \
    X(ENTITY_BOUNDS_INVALID, RECIPIENT_PERMANENT, NONE, "Formatting refused by Telegram")                    \
    /* Try again later. */                                                                                   \
    X(TIMEOUT, TEMPORARY, NONE, "Timed out")                                                                 \
    X(NETWORK, TEMPORARY, NONE, "Network error")                                                             \
    X(INTERNAL, TEMPORARY, NONE, "Internal error")                                                           \
    X(NOT_STARTED, TEMPORARY, NONE, "Telegram client still starting")                                        \
    X(RANDOM_ID_DUPLICATE, TEMPORARY, NONE, "Still being sent")                                              \
    X(RPC_CALL_FAIL, TEMPORARY, NONE, "Telegram server error")                                               \
    X(RPC_MCGET_FAIL, TEMPORARY, NONE, "Telegram server error")                                              \
    X(WORKER_BUSY_TOO_LONG_RETRY, TEMPORARY, NONE, "Telegram server busy")                                   \
    X(MSG_WAIT_FAILED, TEMPORARY, NONE, "Telegram server error")                                             \
    X(MEDIA_UPLOAD_FAILED, TEMPORARY, NONE, "Media upload failed")                                           \
    X(FILE_PART_INVALID, TEMPORARY, NONE, "Media upload failed")

/* The class of a code the list does not name. Issue 15 will revisit it: one line to change. */
#define TG_ERROR_DEFAULT_CLASS TGE_RECIPIENT_PERMANENT

struct tg_error {
    const char *code;
    enum tg_error_class cls;
    enum tg_contact_mark mark;
    const char *words; /* for people: the web app's label */
};

/* The entry of code, or NULL for a code the list does not name (and for NULL). A wait code with
 * its seconds appended ("FLOOD_WAIT_37", "SLOWMODE_WAIT_5") finds its own entry; *seconds (may
 * be NULL) then gets N (at most 999,999,999) and is left alone otherwise.
 * @return a pointer into the static list, never to be freed */
const struct tg_error *tgerror_find(const char *code, int *seconds);

/* The class of code: its entry's, else TG_ERROR_DEFAULT_CLASS. *seconds as for tgerror_find. */
enum tg_error_class tgerror_class(const char *code, int *seconds);

/* 1 if code means the account's session is dead (class TGE_SESSION_DEAD), else 0. */
int tgerror_is_session_dead(const char *code);

/* The wire names ("session_dead", "blocked"); TGM_NONE's is NULL. "?" out of range. */
const char *tgerror_class_name(enum tg_error_class c);
const char *tgerror_mark_name(enum tg_contact_mark m);

/* The list, in order: i < tgerror_count(). */
size_t tgerror_count(void);
const struct tg_error *tgerror_at(size_t i);

/* The text of share/telegram-errors.json (the whole file, ending in a newline), made from the
 * lists above. @return a malloc'd string the caller frees, or NULL when out of memory */
char *tgerror_registry_json(void);

#endif
