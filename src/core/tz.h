/* tz — IANA time zone names: validation against the system's zoneinfo database. */
#ifndef TGR_TZ_H
#define TGR_TZ_H

/* @return 1 if name is an IANA zone that exists on this machine ("Europe/Berlin", "UTC"),
 *         0 otherwise (including names with "..", spaces or leading '/') */
int tz_valid(const char *name);

#endif
