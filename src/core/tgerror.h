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
 * listed gets TG_ERROR_DEFAULT_CLASS (fail the recipient, count towards the error streak). The login flow's
 * own outcomes (wrong code, password needed…) stay in tg/session.c: they say which answer the login route
 * gives, not what the error means for the account. Sits in core/ (above base/ only) so that core, tg, engine
 * and http can all include it. */
#ifndef TGR_TGERROR_H
#define TGR_TGERROR_H

#include <stddef.h>

/* X(id, wire name, what tgr does) — the classes, as DESIGN §4's table. Only a class's own
 * outcome touches more than the one recipient: the account waits, the campaign or every campaign
 * of the account pauses. A "person" class is a refusal by that one person; the others (a message
 * Telegram refuses for everyone, a code tgr does not know) count towards the error streak that
 * pauses the campaign (reason error_streak) before a whole audience is burned. */
#define TG_ERROR_CLASSES(X)                                                                                  \
    X(TGE_FLOOD_WAIT, "flood_wait",                                                                          \
      "Telegram asks the account to wait N seconds: the message goes back to the queue and the account "     \
      "sends nothing until then.")                                                                           \
    X(TGE_PEER_FLOOD, "peer_flood",                                                                          \
      "Telegram limits the account: the campaign pauses (reason peer_flood) and is not retried by itself.")  \
    X(TGE_SESSION_DEAD, "session_dead",                                                                      \
      "The account's session is no longer valid: the session becomes invalid, every running campaign of "    \
      "the account pauses (reason session_invalid), the message goes back to the queue and the bridge "      \
      "drops the client; only a new login fixes it.")                                                        \
    X(TGE_ACCOUNT_FROZEN, "account_frozen",                                                                  \
      "Telegram froze the account (read-only until an appeal to @SpamBot succeeds): every running campaign " \
      "of the account pauses (reason account_frozen), the message goes back to the queue and the session "   \
      "is "                                                                                                  \
      "kept.")                                                                                               \
    X(TGE_RECIPIENT_PERMANENT, "recipient_permanent",                                                        \
      "A refusal by this one person: the message to them fails for good with this code as the reason; the "  \
      "contact may be marked.")                                                                              \
    X(TGE_RECIPIENT_CHARGES, "recipient_charges",                                                            \
      "This person charges Stars for messages: the recipient is skipped (tgr never pays) and the contact "   \
      "is "                                                                                                  \
      "marked as charging.")                                                                                 \
    X(TGE_PERMANENT, "permanent",                                                                            \
      "Telegram refused the message itself, or answered a code tgr does not know: the recipient fails with " \
      "this code, and a run of such failures with one code pauses the campaign (reason error_streak).")      \
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
      "its follow-ups skipped as unreachable")                                                               \
    X(TGM_PRIVACY, "privacy_restricted",                                                                     \
      "the contact is marked privacy_restricted: left out of later audiences unless the campaign's filters " \
      "ask for them (include_privacy_restricted)")                                                           \
    X(TGM_CHARGES, "charges_stars",                                                                          \
      "the contact is marked as charging Stars for messages (with the price when Telegram gives it): left "  \
      "out of later audiences unless the campaign's filters ask for them (include_charging)")

enum tg_contact_mark {
#define X(id, name, what) id,
    TG_CONTACT_MARKS(X)
#undef X
};
enum { TGM__COUNT = 0 TG_CONTACT_MARKS(TGERROR_ONE) };

/* One line per Telegram error code: X(code, class, contact mark, label, explanation).
 * The code is Telegram's name as the bridge answers it (docs/BRIDGE-PROTOCOL.md "Error codes"),
 * or one of the bridge's own (TIMEOUT, NETWORK, NOT_STARTED, INTERNAL); class and mark are the
 * suffixes of TGE_* and TGM_*; the label is the few words the web app shows beside the code, the
 * explanation one line for people (the monitor's failures, analytics' "reasons"). A code
 * followed by "_N" (N a number: FLOOD_WAIT_37 seconds, ALLOW_PAYMENT_REQUIRED_50 stars) finds
 * the entry of the code without it. */
#define TG_ERRORS(X)                                                                                         \
    /* Wait, then go on. */                                                                                  \
    X(FLOOD_WAIT, FLOOD_WAIT, NONE, "Telegram asked to wait",                                                \
      "Telegram asked the account to slow down; sending resumes by itself after the wait.")                  \
    X(FLOOD_PREMIUM_WAIT, FLOOD_WAIT, NONE, "Telegram asked to wait",                                        \
      "Telegram asked the account to slow down; sending resumes by itself after the wait.")                  \
    X(FLOOD_TEST_PHONE_WAIT, FLOOD_WAIT, NONE, "Telegram asked to wait",                                     \
      "Telegram asked the account to slow down; sending resumes by itself after the wait.")                  \
    X(SLOWMODE_WAIT, FLOOD_WAIT, NONE, "Telegram asked to wait",                                             \
      "Telegram asked the account to slow down; sending resumes by itself after the wait.")                  \
    /* The account is limited. */                                                                            \
    X(PEER_FLOOD, PEER_FLOOD, NONE, "Account limited by Telegram",                                           \
      "Telegram limits how many people this account may message; ask @SpamBot in Telegram, then resume.")    \
    X(USER_RESTRICTED, PEER_FLOOD, NONE, "Account limited by Telegram",                                      \
      "Telegram restricted this account after spam reports; ask @SpamBot in Telegram, then resume.")         \
    /* The account is frozen: read-only until an appeal succeeds. */                                         \
    X(FROZEN_METHOD_INVALID, ACCOUNT_FROZEN, NONE, "Account frozen by Telegram",                             \
      "Telegram froze this account; appeal through @SpamBot in the Telegram app, then resume.")              \
    X(FROZEN_PARTICIPANT_MISSING, ACCOUNT_FROZEN, NONE, "Account frozen by Telegram",                        \
      "Telegram froze this account; appeal through @SpamBot in the Telegram app, then resume.")              \
    /* The session is dead: a new login is needed. */                                                        \
    X(AUTH_KEY_UNREGISTERED, SESSION_DEAD, NONE, "Logged out by Telegram",                                   \
      "Telegram logged this account out; connect it again on the Telegram page.")                            \
    X(AUTH_KEY_INVALID, SESSION_DEAD, NONE, "Session key rejected by Telegram",                              \
      "Telegram no longer accepts this login; connect the account again on the Telegram page.")              \
    X(AUTH_KEY_PERM_EMPTY, SESSION_DEAD, NONE, "Session key rejected by Telegram",                           \
      "Telegram no longer accepts this login; connect the account again on the Telegram page.")              \
    X(AUTH_KEY_DUPLICATED, SESSION_DEAD, NONE, "Session used on two connections",                            \
      "The same login was used from two places at once; connect the account again on the Telegram page.")    \
    X(SESSION_REVOKED, SESSION_DEAD, NONE, "Session ended from another device",                              \
      "This login was ended from another device; connect the account again on the Telegram page.")           \
    X(SESSION_EXPIRED, SESSION_DEAD, NONE, "Session expired",                                                \
      "This login expired; connect the account again on the Telegram page.")                                 \
    X(USER_DEACTIVATED, SESSION_DEAD, NONE, "Your Telegram account was deleted",                             \
      "The shop's Telegram account was deleted; connect another account.")                                   \
    X(USER_DEACTIVATED_BAN, SESSION_DEAD, NONE, "Your Telegram account was banned",                          \
      "Telegram banned the shop's account; connect another account.")                                        \
    X(PHONE_NUMBER_BANNED, SESSION_DEAD, NONE, "Your phone number is banned by Telegram",                    \
      "Telegram banned the shop's phone number; connect another account.")                                   \
    /* This recipient, for good. */                                                                          \
    X(USER_IS_BLOCKED, RECIPIENT_PERMANENT, BLOCKED, "Blocked your account",                                 \
      "This person blocked the shop's account; they are left out of later campaigns.")                       \
    X(YOU_BLOCKED_USER, RECIPIENT_PERMANENT, BLOCKED, "You blocked them",                                    \
      "The shop's account blocked this person; unblock them in Telegram to reach them again.")               \
    X(INPUT_USER_DEACTIVATED, RECIPIENT_PERMANENT, DEACTIVATED, "Account deleted",                           \
      "This person deleted their Telegram account.")                                                         \
    X(USER_PRIVACY_RESTRICTED, RECIPIENT_PERMANENT, PRIVACY, "Privacy settings",                             \
      "This person's privacy settings do not let the shop's account write to them.")                         \
    X(PRIVACY_PREMIUM_REQUIRED, RECIPIENT_PERMANENT, PRIVACY, "Accepts Premium senders only",                \
      "This person accepts messages only from Telegram Premium users or their contacts.")                    \
    X(CHAT_WRITE_FORBIDDEN, RECIPIENT_PERMANENT, PRIVACY, "Cannot write to them",                            \
      "Telegram does not let the shop's account write in this chat.")                                        \
    X(PEER_ID_INVALID, RECIPIENT_PERMANENT, NONE, "Unknown to Telegram",                                     \
      "Telegram does not know this person any more (or never let the account address them).")                \
    X(ALLOW_PAYMENT_REQUIRED, RECIPIENT_CHARGES, CHARGES, "Charges Stars for messages",                      \
      "This person charges Telegram Stars for messages; tgr never pays, so they were skipped.")              \
    /* Refused for everyone: counts towards the error streak. */                                             \
    X(MEDIA_INVALID, PERMANENT, NONE, "Media refused by Telegram",                                           \
      "Telegram refused the campaign's photo or video; check the file and replace it.")                      \
    X(ENTITY_BOUNDS_INVALID, PERMANENT, NONE, "Formatting refused by Telegram",                              \
      "Telegram refused the message's formatting; check the bold, italic and link markup.")                  \
    X(MESSAGE_TOO_LONG, PERMANENT, NONE, "Message too long",                                                 \
      "The message is longer than Telegram allows (4,096 characters, 1,024 under a photo); shorten it.")     \
    /* Try again later. */                                                                                   \
    X(TIMEOUT, TEMPORARY, NONE, "Timed out", "Telegram did not answer in time; the message is tried again.") \
    X(NETWORK, TEMPORARY, NONE, "Network error",                                                             \
      "Telegram could not be reached; the message is tried again.")                                          \
    X(INTERNAL, TEMPORARY, NONE, "Internal error",                                                           \
      "The Telegram bridge failed; the message is tried again.")                                             \
    X(NOT_STARTED, TEMPORARY, NONE, "Telegram client still starting",                                        \
      "The account's Telegram connection was still starting; the message is tried again.")                   \
    X(RANDOM_ID_DUPLICATE, TEMPORARY, NONE, "Still being sent",                                              \
      "Telegram is still delivering an earlier attempt of this message; it is not sent twice.")              \
    X(RPC_CALL_FAIL, TEMPORARY, NONE, "Telegram server error",                                               \
      "A Telegram server failed; the message is tried again.")                                               \
    X(RPC_MCGET_FAIL, TEMPORARY, NONE, "Telegram server error",                                              \
      "A Telegram server failed; the message is tried again.")                                               \
    X(WORKER_BUSY_TOO_LONG_RETRY, TEMPORARY, NONE, "Telegram server busy",                                   \
      "Telegram's servers are busy; the message is tried again.")                                            \
    X(MSG_WAIT_FAILED, TEMPORARY, NONE, "Telegram server error",                                             \
      "A Telegram server failed; the message is tried again.")                                               \
    X(MEDIA_UPLOAD_FAILED, TEMPORARY, NONE, "Media upload failed",                                           \
      "The photo or video could not be uploaded to Telegram; the message is tried again.")                   \
    X(FILE_PART_INVALID, TEMPORARY, NONE, "Media upload failed",                                             \
      "The photo or video could not be uploaded to Telegram; the message is tried again.")

/* tgr's own reasons for a failed message (not Telegram's codes): X(code, label, explanation).
 * They share the words of the list above in tgerror_explain and in the JSON file ("own"). */
#define TG_OWN_REASONS(X)                                                                                    \
    X(retries_exhausted, "Gave up after retries",                                                            \
      "Telegram could not be reached for this message after six tries; it was given up.")                    \
    X(template_invalid, "Message template broken",                                                           \
      "The message (or a follow-up) could not be built from its template; fix the text and resume.")         \
    X(nudge_removed, "Follow-up removed",                                                                    \
      "The follow-up was removed from the campaign's plan before it went out.")                              \
    X(no_discount_code, "No discount code left",                                                             \
      "The campaign's pool of discount codes ran out; add codes and resume.")                                \
    X(media_missing, "Media deleted",                                                                        \
      "The campaign's photo or video was deleted; attach it again and resume.")

/* The class of a code the list does not name: it fails the recipient with its code and counts
 * towards the error streak, so a new error Telegram invents costs a few people, never the
 * audience (issue 15). */
#define TG_ERROR_DEFAULT_CLASS TGE_PERMANENT

struct tg_error {
    const char *code;
    enum tg_error_class cls;
    enum tg_contact_mark mark;
    const char *words;   /* for people: the web app's label */
    const char *explain; /* for people: one line on what happened and what to do */
};

/* The entry of code, or NULL for a code the list does not name (and for NULL). A code with a
 * number appended ("FLOOD_WAIT_37" seconds, "ALLOW_PAYMENT_REQUIRED_50" stars) finds the entry
 * of the code without it; *number (may be NULL) then gets N (at most 999,999,999) and is left
 * alone otherwise.
 * @return a pointer into the static list, never to be freed */
const struct tg_error *tgerror_find(const char *code, int *number);

/* The class of code: its entry's, else TG_ERROR_DEFAULT_CLASS. *number as for tgerror_find. */
enum tg_error_class tgerror_class(const char *code, int *number);

/* 1 if a failure with this code is a refusal by one person (class recipient_permanent or
 * recipient_charges), which never counts towards the error streak; 0 for every other code,
 * including tgr's own reasons (template_invalid, retries_exhausted…) and codes not listed. */
int tgerror_is_personal(const char *code);

/* The one-line explanation of code for people (a Telegram code of the list, with or without its
 * number, or one of tgr's own reasons), or NULL when neither list names it. */
const char *tgerror_explain(const char *code);

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
