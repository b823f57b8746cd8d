/* auth — who is calling: the Bearer JWT / X-API-Key middleware and the per-account limits.
 * The account of a request comes only from its credential, never from the body, a path
 * parameter or a header naming an account. */
#ifndef TGR_AUTH_H
#define TGR_AUTH_H

#include "http/router.h"

struct req;

/* Authenticate r (Authorization: Bearer <jwt>, else X-API-Key), load the account into
 * r->account and r->account_id (a token's exp claim into r->cred_exp), and take a token from
 * the account's rate limits (overall, and the route's rate_class). On failure the 401/429 reply
 * is set.
 * @return H_OK or H_NO */
enum hres auth_account(struct req *r);

/* Token lifetime of POST /auth/login. */
#define AUTH_TOKEN_TTL_S (12 * 3600)

#endif
