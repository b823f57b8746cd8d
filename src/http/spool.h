/* spool — the body of an upload route (POST /media/upload, POST /orders/import) written to an
 * unlinked file under DATA/tmp as it arrives and hashed on the way, so that no upload is ever
 * held whole in memory. A multipart/form-data body keeps only one field ("file"), read by
 * http/multipart.c's streaming reader; any other body is kept as it is.
 *
 * The file is anonymous (O_TMPFILE, or created and unlinked at once where the filesystem lacks
 * it): it disappears when the spool is freed, and with the process if it dies. Bytes are
 * written, not synced: a spool is a buffer, not a record. */
#ifndef TGR_SPOOL_H
#define TGR_SPOOL_H

#include <stddef.h>
#include <stdint.h>

struct spool;

enum spool_status {
    SPOOL_OK = 0,
    SPOOL_CLIENT = 1, /* the body is malformed (a multipart body); spool_error says how */
    SPOOL_IO = 2,     /* the file could not be written (disk full, …); logged */
};

/* Start spooling into a new file in dir (created mode 0700 if missing). content_type is the
 * request's Content-Type (NULL or not multipart/form-data: the whole body is kept).
 * @return the spool (release with spool_free), or NULL: *st says whether the client's
 * Content-Type was at fault (SPOOL_CLIENT, err says why) or the file could not be made */
struct spool *spool_new(const char *dir, const char *content_type, const char *field, enum spool_status *st,
                        char *err, size_t errlen);

/* The next bytes of the body. After a failure later calls do nothing and return it again. */
enum spool_status spool_write(struct spool *s, const void *p, size_t n);

/* The body is complete: check a multipart body's end and fix the hash. */
enum spool_status spool_finish(struct spool *s);

/* After spool_finish returned SPOOL_OK: a descriptor of the file (read it with pread; it stays
 * owned by the spool), its size and its sha256 as 64 lowercase hex digits. */
int spool_fd(const struct spool *s);
uint64_t spool_size(const struct spool *s);
const char *spool_sha256(const struct spool *s);

/* Why the last call failed, for the client (SPOOL_CLIENT) or the log (SPOOL_IO). */
const char *spool_error(const struct spool *s);

void spool_free(struct spool *s);

#endif
