/* migrations — the embedded schema migrations of each backend, as NULL-terminated arrays:
 * element i is migration i+1. Both backends have the same migrations under the same numbers. */
#ifndef TGR_MIGRATIONS_H
#define TGR_MIGRATIONS_H

extern const char *const sqlite_migrations[];
extern const char *const pg_migrations[];

#endif
