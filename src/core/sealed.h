/* sealed — which key seals each personal column, in one place: the row key ("associated data",
 * crypto/seal.h) of every sealed column outside the Telegram session, and opening and sealing
 * them. A value sealed under one row key never opens under another, so the rule for each
 * column must be written once:
 *   contacts.*                    "<account>:<tg_user_id>"
 *   discount_codes.code           "<account>:<campaign>:<blind index of the code>"
 *   recipients.discount_code      "<account>:<campaign>:<contact>" (so a nudge carries the
 *                                 code of the first message)
 *   contact_audit.details         "<account>:<contact>"
 *   inbound_messages.text         "<account>:<tg_user_id>:<tg_message_id>"
 * Layer: core. Returned strings are malloc'd and wiped by their release function. */
#ifndef TGR_SEALED_H
#define TGR_SEALED_H

#include <stddef.h>
#include <stdint.h>

struct app;
struct blob;
struct contact;
struct discount_code_row;

/* A contact's sealed fields, opened. Fields are malloc'd (NULL when absent). */
struct contact_plain {
    char *first_name, *last_name, *username, *phone, *access_hash;
};

/* The row key of a contact's sealed columns. cap >= 48. */
void contact_row_key(int64_t account_id, const char *tg_user_id, char *out, size_t cap);
/* Seal v (NULL: none, b stays empty) as contacts.column under row key rk. @return TGR_OK or TGR_ERR */
int contact_seal_field(struct app *app, const char *column, const char *rk, const char *v, struct blob *b);
/* Open every sealed field of c. @return TGR_OK, or TGR_ERR (a field does not open; logged) */
int contact_open(struct app *app, int64_t account_id, const struct contact *c, struct contact_plain *out);
void contact_plain_release(struct contact_plain *p);

/* A pool or static code of a campaign (discount_codes.code). @param[out] code malloc'd
 * @return TGR_OK or TGR_ERR */
int code_open(struct app *app, int64_t account_id, int64_t campaign_id, const struct discount_code_row *row,
              char **code);
/* Seal code for discount_codes: fills row->code_bidx and row->code. @return TGR_OK or TGR_ERR */
int code_seal(struct app *app, int64_t account_id, int64_t campaign_id, const char *code,
              struct discount_code_row *row);

/* The code a recipient was given (recipients.discount_code). */
int recipient_code_open(struct app *app, int64_t account_id, int64_t campaign_id, int64_t contact_id,
                        const struct blob *sealed, char **code);
int recipient_code_seal(struct app *app, int64_t account_id, int64_t campaign_id, int64_t contact_id,
                        const char *code, struct blob *out);

/* The details of a contact audit line (contact_audit.details: JSON text). */
int audit_details_seal(struct app *app, int64_t account_id, int64_t contact_id, const char *json,
                       struct blob *out);
/* @param[out] json malloc'd, NUL-terminated @return TGR_OK or TGR_ERR */
int audit_details_open(struct app *app, int64_t account_id, int64_t contact_id, const struct blob *sealed,
                       char **json);

/* An inbound message's text (inbound_messages.text). @param[out] text malloc'd */
int inbound_text_open(struct app *app, int64_t account_id, const char *tg_user_id, int64_t tg_message_id,
                      const struct blob *sealed, char **text);

#endif
