/* loginlimit — who may have a password checked now, and what a wrong one costs
 * (docs/DECISIONS.md 47).
 *
 * Only FAILED logins count, never attempts. Before a password is checked (Argon2id on the hash
 * pool) the attempt reserves one failure in each limit that applies; a wrong password keeps the
 * reservations, a right one gives them back. So a burst of concurrent guesses cannot race past a
 * limit: each holds its token while it is being checked.
 *
 *  - per address (IPv6: its /64; http/ratelimit.h), over all emails: `per_addr` a minute;
 *  - per (email, address): `per_email_addr` a minute;
 *  - per email, from any address: `per_email_hour` an hour — the budget that caps a guesser
 *    spread over many addresses. Trusted clients pass it: a browser holding a valid device
 *    cookie for the email (http/device.h), or an address the email logged in from before.
 *    Each trusted credential has a failure budget of its own instead (TRUST_FAILURES, one back
 *    every TRUST_REFILL_MIN), so a stolen cookie or a shared address (a NAT, a reverse proxy)
 *    gives a few extra guesses, not unlimited ones; once it is spent the attempt meets the
 *    per-email budget like any other.
 * The first two apply to trusted clients too. All of this is in memory: a restart forgets the
 * counters and the known addresses (device cookies are signed and stay valid). */
#ifndef TGR_LOGINLIMIT_H
#define TGR_LOGINLIMIT_H

#include <stdint.h>

#include "http/ratelimit.h"

#define LOGINLIMIT_TRUST_FAILURES   10    /* failures a trusted credential may spend */
#define LOGINLIMIT_TRUST_REFILL_MIN 144   /* one of them back this often (10 a day) */
#define LOGINLIMIT_KNOWN_DAYS       90    /* an address is remembered this long after a success */
#define LOGINLIMIT_KNOWN_MAX        65536 /* known (email, address) pairs kept at most */
#define LOGINLIMIT_KEY_MAX          96    /* longest limiter key with its NUL */

struct loginlimit_config {
    int per_addr;       /* failures a minute per address, over all emails (0 = no limit) */
    int per_email_addr; /* failures a minute per (email, address) (0 = no limit) */
    int per_email_hour; /* failures an hour per email from clients it does not trust (0 = no limit) */
};

/* Which limit refused an attempt. */
enum loginlimit_which {
    LOGINLIMIT_ADDR,
    LOGINLIMIT_EMAIL_ADDR,
    LOGINLIMIT_EMAIL,
};

/* What let an attempt past the per-email budget. */
enum loginlimit_via {
    LOGINLIMIT_VIA_EMAIL,   /* the per-email budget itself */
    LOGINLIMIT_VIA_DEVICE,  /* a valid device cookie for the email */
    LOGINLIMIT_VIA_ADDRESS, /* an address the email logged in from before */
};

/* The reservations of one attempt: filled by loginlimit_begin, settled exactly once. */
struct loginlimit_ticket {
    int held; /* 1 while reservations are held */
    enum loginlimit_via via;
    char addr[RATELIMIT_ADDR_KEY_MAX];
    char email_addr[LOGINLIMIT_KEY_MAX]; /* also the key of the known-address table */
    char budget[LOGINLIMIT_KEY_MAX];     /* key in the per-email or the trusted limiter */
};

struct loginlimit;

/* @return the limits, or NULL when out of memory */
struct loginlimit *loginlimit_new(const struct loginlimit_config *cfg);
void loginlimit_free(struct loginlimit *ll);

/* Reserve the failures one password check of email (normalized) from address ip may cost.
 * device_id: the id of a device cookie already checked for this email (device_cookie_check),
 * or NULL. Thread-safe.
 * @param[out] t filled when allowed; settle it with loginlimit_failed, _succeeded or _cancel
 * @param[out] which the limit that refused, when one did
 * @return 0 when the password may be checked, else whole seconds (>= 1) until it may */
int loginlimit_begin(struct loginlimit *ll, const char *ip, const char *email, const char *device_id,
                     int64_t now_ms, struct loginlimit_ticket *t, enum loginlimit_which *which);

/* The password was wrong (or the email unknown): the reservations stay spent. */
void loginlimit_failed(struct loginlimit *ll, struct loginlimit_ticket *t);

/* The password was right: give the reservations back and remember the address for the email. */
void loginlimit_succeeded(struct loginlimit *ll, struct loginlimit_ticket *t, int64_t now_ms);

/* No verdict (the database was down, the pool full): give the reservations back. Does nothing
 * for a ticket already settled, so a cleanup hook may always call it. */
void loginlimit_cancel(struct loginlimit *ll, struct loginlimit_ticket *t, int64_t now_ms);

#endif
