/* jwt — HS256 JSON Web Tokens for the web app's sessions (DESIGN §3).
 *
 * Only one header is ever issued or accepted: the exact string {"alg":"HS256","typ":"JWT"}
 * (base64url eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9). Anything else — alg none, another
 * algorithm, extra header fields, different whitespace — is rejected before the signature is
 * looked at. The payload is {"sub":"<account id>","iat":<s>,"exp":<s>,"jti":"<hex>"}, plus
 * "gen":<n> when the account's token generation is above 0 (a password change or "sign out
 * everywhere" raises it, and tokens of an earlier generation are refused by http/auth.c);
 * exp is required. Signatures are compared in constant time. */
#ifndef TGR_JWT_H
#define TGR_JWT_H

#include <stddef.h>
#include <stdint.h>

#define JWT_MAX_LEN 512

/* Sign a token for account sub valid from iat to exp (unix seconds). out needs JWT_MAX_LEN.
 * @return TGR_OK or TGR_ERR (out too small, or sub <= 0: such a token would never verify) */
int jwt_sign(const unsigned char key[32], int64_t sub, int64_t iat, int64_t exp, char *out, size_t cap);

/* jwt_sign with the account's token generation gen (>= 0; 0 adds no claim, as jwt_sign).
 * @return TGR_OK or TGR_ERR (also for gen < 0) */
int jwt_sign_gen(const unsigned char key[32], int64_t sub, int64_t gen, int64_t iat, int64_t exp, char *out,
                 size_t cap);

/* What a verified token says. */
struct jwt_claims {
    int64_t sub; /* the account id */
    int64_t exp; /* unix seconds */
    int64_t gen; /* the token generation it was issued in; 0 when it has no gen claim */
};

/* Verify a token at time now (unix seconds). It must have exp > now and iat <= now + 300 (clock
 * skew between instances); sub must be the decimal string of a positive account id.
 * @param[out] sub the account id on success (untouched on failure)
 * @return TGR_OK, or TGR_ERR for anything malformed, forged, expired or not yet valid */
int jwt_verify(const unsigned char key[32], const char *token, int64_t now, int64_t *sub);

/* jwt_verify, and on success also the token's exp claim (unix seconds) in *exp when exp is not
 * NULL: what a long-lived use of the token (a live log stream) must not outlast. */
int jwt_verify_exp(const unsigned char key[32], const char *token, int64_t now, int64_t *sub, int64_t *exp);

/* jwt_verify, answering every claim: a gen claim, when there is one, must be an integer >= 0.
 * @param[out] c filled on success (untouched on failure) */
int jwt_verify_claims(const unsigned char key[32], const char *token, int64_t now, struct jwt_claims *c);

#endif
