/* rotate — key rotation (docs/DECISIONS.md 44): the key watcher a server runs, and the work of
 * `tgr keys rotate | status | retire` over every sealed column (store.h STORE_SEALED_COLUMNS).
 *
 * Which master key seals new values is one id in the database (meta "keys.current"; absent
 * means 1), so every instance on one database agrees. A server's watcher re-reads the key files
 * and that id every KEYS_WATCH_MS: a new DATA/master.<n>.key becomes readable, and once the
 * database names it, current. `keys rotate` writes the new key file, waits until every running
 * server has read it, makes it current, waits until they seal with it, then re-seals every value
 * under an older id in batches (compare-and-set, so a row the server rewrote meanwhile is not
 * overwritten), and repeats passes until none is left. Interrupted, it resumes where the
 * database says it is. Index keys (keys.h) never rotate. */
#ifndef TGR_ROTATE_H
#define TGR_ROTATE_H

#include <stdint.h>
#include <stdio.h>

#include "crypto/keys.h"

struct store;
struct keys_watch;

#define KEYS_META_CURRENT  "keys.current"
#define KEYS_WATCH_MS      1000
#define KEYS_BATCH_DEFAULT 500

/* Bring kr up to date once: add new key files of data_dir, then seal with the id the database
 * makes current (when kr holds it; else an error is logged once per id and kr keeps its key). */
void keys_refresh(struct keyring *kr, struct store *st, const char *data_dir);

/* Refresh once now, then every KEYS_WATCH_MS on a thread of its own until keys_watch_stop.
 * kr, st and data_dir must outlive the watcher. @return the watcher, or NULL (logged) */
struct keys_watch *keys_watch_start(struct keyring *kr, struct store *st, const char *data_dir);

/* Stop and free the watcher (NULL is fine). */
void keys_watch_stop(struct keys_watch *w);

/* `tgr keys rotate`: see above. prepare: only create the next key file (for copying to other
 * hosts first). batch: rows per transaction. Progress goes to out.
 * @return a process exit code: 0 done, 1 failure (said on stderr) */
int keys_rotate(struct keyring *kr, struct store *st, const char *data_dir, int prepare, int batch,
                FILE *out);

/* `tgr keys status`: current id, keys held, and sealed values per column and key id (JSON with
 * json set). @return exit code */
int keys_status(struct keyring *kr, struct store *st, const char *data_dir, int json, FILE *out);

/* `tgr keys retire ID`: refuse while ID is current or any value still uses it, else remove its
 * key file (saving the index keys first when ID is 1). @return exit code */
int keys_retire(struct keyring *kr, struct store *st, const char *data_dir, unsigned id, FILE *out);

#endif
