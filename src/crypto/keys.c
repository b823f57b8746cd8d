/* keys — owns the master keys (loading them from TGR_MASTER_KEY, DATA/master.key and
 * DATA/master.<n>.key, creating the first on first start), the index key file DATA/index.key,
 * and the derivation of every working key; see keys.h.
 *
 * Subkeys come from crypto_kdf_derive_from_key(master, context "tgr-keys", subkey id). The ids are
 * part of the on-disk format: changing one makes every existing ciphertext, blind index, token
 * or stored API key hash unusable, so they are fixed here and never reused for another purpose.
 *
 *     1      blind index key        (kr->blind)      — from master key 1 only
 *     2      JWT HS256 signing key  (kr->jwt)        — from master key 1 only
 *     3      API key hashing key    (kr->apikey)     — from master key 1 only
 *     4      webhook secret wrapping (kr->webhook, reserved) — from master key 1 only
 *     256+n  sealing key of master key id n (257 for the first key, 258 after one rotation, …)
 *
 * The sealing ids sit in their own range so that a master key id can never collide with a
 * single-purpose id. DATA/index.key holds the four index keys (base64 of 128 bytes, in the order
 * above), so they outlive master key 1. Master keys are wiped as soon as they are derived. */
#include "crypto/keys.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "base/log.h"
#include "base/util.h"

#define KDF_CONTEXT      "tgr-keys"
#define SUBKEY_BLIND     1
#define SUBKEY_JWT       2
#define SUBKEY_APIKEY    3
#define SUBKEY_WEBHOOK   4
#define SUBKEY_SEAL_BASE 256
#define FIRST_KEY_ID     1
#define MASTER_KEY_FILE  "master.key"
#define INDEX_KEY_FILE   "index.key"
#define INDEX_BYTES      (4 * KEYS_BYTES)
#define KEY_FILE_MAX     256 /* a valid file is 45 or 173 bytes; anything much larger is not ours */
#define KEY_B64_MAXLEN   200

/* The context must be exactly crypto_kdf_CONTEXTBYTES characters, without the NUL. */
_Static_assert(sizeof KDF_CONTEXT - 1 == crypto_kdf_CONTEXTBYTES, "kdf context must be 8 bytes");
_Static_assert(KEYS_BYTES == crypto_kdf_KEYBYTES, "master key size");
_Static_assert(KEY_B64_MAXLEN > INDEX_BYTES * 4 / 3 + 4, "index key fits the base64 buffer");

static void derive(unsigned char out[KEYS_BYTES], uint64_t id, const unsigned char master[KEYS_BYTES])
{
    /* Only fails for out-of-range lengths, which are compile-time constants here. */
    (void)crypto_kdf_derive_from_key(out, KEYS_BYTES, id, KDF_CONTEXT, master);
}

/* The index keys as one 128-byte string (the layout of DATA/index.key). */
static void index_pack(const struct keyring *kr, unsigned char out[INDEX_BYTES])
{
    memcpy(out, kr->blind, KEYS_BYTES);
    memcpy(out + KEYS_BYTES, kr->jwt, KEYS_BYTES);
    memcpy(out + 2 * KEYS_BYTES, kr->apikey, KEYS_BYTES);
    memcpy(out + 3 * KEYS_BYTES, kr->webhook, KEYS_BYTES);
}

static void index_unpack(struct keyring *kr, const unsigned char in[INDEX_BYTES])
{
    memcpy(kr->blind, in, KEYS_BYTES);
    memcpy(kr->jwt, in + KEYS_BYTES, KEYS_BYTES);
    memcpy(kr->apikey, in + 2 * KEYS_BYTES, KEYS_BYTES);
    memcpy(kr->webhook, in + 3 * KEYS_BYTES, KEYS_BYTES);
}

static int n_published(const struct keyring *kr)
{
    int n = __atomic_load_n(&kr->n_seal, __ATOMIC_ACQUIRE);
    return n < 0 ? 0 : n > KEYS_MAX_SEAL ? KEYS_MAX_SEAL : n;
}

int keyring_has(const struct keyring *kr, uint8_t id)
{
    int n = n_published(kr);
    for (int i = 0; i < n; i++)
        if (kr->seal[i].id == id) return 1;
    return 0;
}

int keyring_add(struct keyring *kr, uint8_t id, const unsigned char master[KEYS_BYTES])
{
    int n = n_published(kr);
    if (id == 0 || n >= KEYS_MAX_SEAL || keyring_has(kr, id)) return TGR_ERR;
    kr->seal[n].id = id;
    derive(kr->seal[n].key, SUBKEY_SEAL_BASE + id, master);
    /* Publish the slot only once it is complete: readers load n_seal with acquire. */
    __atomic_store_n(&kr->n_seal, n + 1, __ATOMIC_RELEASE);
    return TGR_OK;
}

int keyring_set_current(struct keyring *kr, uint8_t id)
{
    int n = n_published(kr);
    for (int i = 0; i < n; i++) {
        if (kr->seal[i].id == id) {
            __atomic_store_n(&kr->current, i, __ATOMIC_RELEASE);
            return TGR_OK;
        }
    }
    return TGR_ERR;
}

uint8_t keyring_current_id(const struct keyring *kr)
{
    int n = n_published(kr);
    int c = __atomic_load_n(&kr->current, __ATOMIC_ACQUIRE);
    return c >= 0 && c < n ? kr->seal[c].id : 0;
}

int keyring_ids(const struct keyring *kr, uint8_t *ids, int cap)
{
    int n = n_published(kr), k = 0;
    for (int v = 1; v <= KEYS_ID_MAX; v++)
        if (keyring_has(kr, (uint8_t)v) && k < cap) ids[k++] = (uint8_t)v;
    (void)n;
    return k;
}

void keyring_from_master(struct keyring *kr, const unsigned char master[KEYS_BYTES])
{
    if (sodium_init() < 0)
        abort(); /* libsodium cannot run safely at all; nothing sensible to continue with */
    sodium_memzero(kr, sizeof *kr);
    keyring_add(kr, FIRST_KEY_ID, master);
    derive(kr->blind, SUBKEY_BLIND, master);
    derive(kr->jwt, SUBKEY_JWT, master);
    derive(kr->apikey, SUBKEY_APIKEY, master);
    derive(kr->webhook, SUBKEY_WEBHOOK, master);
}

void keyring_clear(struct keyring *kr)
{
    sodium_memzero(kr, sizeof *kr);
}

/* Decode base64 text of exactly want bytes. Both the standard and the URL-safe alphabet
 * are accepted, with or without padding, because operators produce keys with whatever tool is
 * at hand (`openssl rand -base64 32`, `head -c32 /dev/urandom | basenc --base64url`). Leading
 * whitespace and anything else outside the alphabet is refused. */
static int decode_key(const char *b64, size_t len, unsigned char *out, size_t want)
{
    /* Trailing whitespace (the newline we write, an editor's CRLF) is not part of the key. */
    while (len > 0 &&
           (b64[len - 1] == '\n' || b64[len - 1] == '\r' || b64[len - 1] == ' ' || b64[len - 1] == '\t'))
        len--;
    static const int variants[] = {sodium_base64_VARIANT_ORIGINAL, sodium_base64_VARIANT_ORIGINAL_NO_PADDING,
                                   sodium_base64_VARIANT_URLSAFE, sodium_base64_VARIANT_URLSAFE_NO_PADDING};
    for (size_t i = 0; i < sizeof variants / sizeof variants[0]; i++) {
        size_t n = 0;
        const char *end = NULL;
        if (sodium_base642bin(out, want, b64, len, NULL, &n, &end, variants[i]) == 0 && end == b64 + len &&
            n == want)
            return TGR_OK;
    }
    sodium_memzero(out, want);
    return TGR_ERR;
}

/* Read and check an existing key file of want bytes. Mode and type are checked on the
 * descriptor that is read, so the file cannot be swapped between the check and the read.
 * @return TGR_OK; TGR_ERR with errno ENOENT when absent (err not filled); TGR_ERR otherwise */
static int read_key_file(const char *path, unsigned char *out, size_t want, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        if (e != ENOENT) snprintf(err, errlen, "cannot open %s: %s", path, strerror(e));
        errno = e;
        return TGR_ERR;
    }
    struct stat st;
    if (fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
        close(fd);
        errno = EIO;
        return TGR_ERR;
    }
    if (!S_ISREG(st.st_mode)) {
        snprintf(err, errlen, "%s is not a regular file", path);
        close(fd);
        errno = EINVAL;
        return TGR_ERR;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, errlen, "%s has mode %04o, which lets group or others access it; run chmod 600 %s",
                 path, (unsigned)(st.st_mode & 07777), path);
        close(fd);
        errno = EPERM;
        return TGR_ERR;
    }
    char buf[KEY_FILE_MAX + 1];
    size_t len = 0;
    for (;;) {
        ssize_t r = read(fd, buf + len, sizeof buf - len);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
            sodium_memzero(buf, sizeof buf);
            close(fd);
            errno = EIO;
            return TGR_ERR;
        }
        if (r == 0) break;
        len += (size_t)r;
        if (len == sizeof buf) break;
    }
    close(fd);
    int rc = TGR_ERR;
    if (len > KEY_FILE_MAX) {
        snprintf(err, errlen, "%s is too large to be a key file", path);
    } else {
        rc = decode_key(buf, len, out, want);
        if (rc != TGR_OK) snprintf(err, errlen, "%s does not hold base64 of exactly %zu bytes", path, want);
    }
    sodium_memzero(buf, sizeof buf);
    errno = rc == TGR_OK ? 0 : EINVAL;
    return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return TGR_ERR;
        p += w;
        n -= (size_t)w;
    }
    return TGR_OK;
}

/* Make a new or removed directory entry durable; a key that vanishes after a power cut would
 * orphan everything sealed with it. Failure here is not fatal: the data itself is synced. */
static void sync_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) != 0) log_warn("keys", "fsync %s: %s", dir, strerror(errno));
        close(dfd);
    }
}

/* Create path holding base64 of bytes[0..len). O_EXCL makes two processes creating at once
 * agree: the loser gets EEXIST and reads the winner's file.
 * @return TGR_OK; TGR_ERR with errno EEXIST when someone else created it first; TGR_ERR otherwise */
static int write_key_file(const char *data_dir, const char *path, const unsigned char *bytes, size_t len,
                          char *err, size_t errlen)
{
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        if (e != EEXIST) snprintf(err, errlen, "cannot create %s: %s", path, strerror(e));
        errno = e;
        return TGR_ERR;
    }
    char b64[KEY_B64_MAXLEN];
    sodium_bin2base64(b64, sizeof b64, bytes, len, sodium_base64_VARIANT_ORIGINAL);
    size_t n = strlen(b64);
    b64[n++] = '\n';
    const char *what = NULL;
    /* fchmod: the umask may have made the mode stricter than asked, never looser, but the file's
     * mode should say exactly what we mean. */
    if (fchmod(fd, 0600) != 0)
        what = "chmod";
    else if (write_all(fd, b64, n) != TGR_OK)
        what = "write";
    else if (fsync(fd) != 0)
        what = "fsync";
    int e = errno;
    sodium_memzero(b64, sizeof b64);
    if (close(fd) != 0 && !what) {
        what = "close";
        e = errno;
    }
    if (what) {
        /* A half-written key file would stop every later start; remove it so the next start retries. */
        unlink(path);
        snprintf(err, errlen, "cannot %s %s: %s", what, path, strerror(e));
        errno = e;
        return TGR_ERR;
    }
    sync_dir(data_dir);
    return TGR_OK;
}

void keys_file_path(const char *data_dir, uint8_t id, char *out, size_t cap)
{
    if (id == FIRST_KEY_ID)
        snprintf(out, cap, "%s/%s", data_dir, MASTER_KEY_FILE);
    else
        snprintf(out, cap, "%s/master.%u.key", data_dir, (unsigned)id);
}

static int path_ok(const char *data_dir, char *err, size_t errlen)
{
    if (!data_dir || !*data_dir) {
        snprintf(err, errlen, "no data directory for the key files");
        return TGR_ERR;
    }
    if (strlen(data_dir) > PATH_MAX - 32) {
        snprintf(err, errlen, "data directory path is too long");
        return TGR_ERR;
    }
    return TGR_OK;
}

int keys_create(const char *data_dir, uint8_t id, char *err, size_t errlen)
{
    if (path_ok(data_dir, err, errlen) != TGR_OK) return TGR_ERR;
    char path[PATH_MAX];
    keys_file_path(data_dir, id, path, sizeof path);
    unsigned char master[KEYS_BYTES];
    randombytes_buf(master, sizeof master);
    int rc = write_key_file(data_dir, path, master, sizeof master, err, errlen);
    int e = errno;
    sodium_memzero(master, sizeof master);
    if (rc == TGR_OK)
        log_info("keys", "created master key %u in %s; back it up, sealed data is unreadable without it",
                 (unsigned)id, path);
    else if (e == EEXIST)
        snprintf(err, errlen, "%s exists already", path);
    errno = e;
    return rc;
}

int keys_index_exists(const char *data_dir)
{
    char path[PATH_MAX];
    if (!data_dir || strlen(data_dir) > PATH_MAX - 32) return 0;
    snprintf(path, sizeof path, "%s/%s", data_dir, INDEX_KEY_FILE);
    return access(path, F_OK) == 0;
}

int keys_index_save(const struct keyring *kr, const char *data_dir, char *err, size_t errlen)
{
    if (path_ok(data_dir, err, errlen) != TGR_OK) return TGR_ERR;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", data_dir, INDEX_KEY_FILE);
    unsigned char ix[INDEX_BYTES];
    index_pack(kr, ix);
    int rc = write_key_file(data_dir, path, ix, sizeof ix, err, errlen);
    int e = errno;
    if (rc != TGR_OK && e == EEXIST) {
        /* Already saved (by an earlier rotation): it must be these keys. */
        unsigned char have[INDEX_BYTES];
        rc = read_key_file(path, have, sizeof have, err, errlen);
        if (rc == TGR_OK && sodium_memcmp(have, ix, sizeof ix) != 0) {
            snprintf(err, errlen, "%s holds other index keys than master key 1 gives", path);
            rc = TGR_ERR;
        }
        sodium_memzero(have, sizeof have);
    } else if (rc == TGR_OK) {
        log_info("keys", "saved the index keys in %s; back it up with the master keys", path);
    }
    sodium_memzero(ix, sizeof ix);
    return rc;
}

int keys_remove(const char *data_dir, uint8_t id, char *err, size_t errlen)
{
    if (path_ok(data_dir, err, errlen) != TGR_OK) return TGR_ERR;
    char path[PATH_MAX];
    keys_file_path(data_dir, id, path, sizeof path);
    if (unlink(path) != 0) {
        snprintf(err, errlen, "cannot remove %s: %s", path, strerror(errno));
        return TGR_ERR;
    }
    sync_dir(data_dir);
    return TGR_OK;
}

/* The id of a file name "master.<n>.key" (2..255, no leading zero), or 0. */
static unsigned key_file_id(const char *name)
{
    if (strncmp(name, "master.", 7) != 0) return 0;
    const char *p = name + 7;
    unsigned v = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9' && digits < 4) {
        if (digits == 0 && *p == '0') return 0;
        v = v * 10 + (unsigned)(*p - '0');
        p++;
        digits++;
    }
    if (digits == 0 || strcmp(p, ".key") != 0 || v < 2 || v > KEYS_ID_MAX) return 0;
    return v;
}

/* Add every DATA/master.<n>.key kr lacks, by ascending id. @return added count or -1 */
static int load_numbered(struct keyring *kr, const char *data_dir, char *err, size_t errlen)
{
    DIR *d = opendir(data_dir);
    if (!d)
        return errno == ENOENT ? 0
                               : (snprintf(err, errlen, "cannot list %s: %s", data_dir, strerror(errno)), -1);
    unsigned char want[KEYS_ID_MAX + 1] = {0};
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        unsigned id = key_file_id(e->d_name);
        if (id && !keyring_has(kr, (uint8_t)id)) want[id] = 1;
    }
    closedir(d);
    int added = 0;
    for (unsigned id = 2; id <= KEYS_ID_MAX; id++) {
        if (!want[id]) continue;
        char path[PATH_MAX];
        unsigned char master[KEYS_BYTES];
        keys_file_path(data_dir, (uint8_t)id, path, sizeof path);
        if (read_key_file(path, master, sizeof master, err, errlen) != TGR_OK) {
            if (errno == ENOENT) continue; /* retired between the listing and the read */
            return -1;
        }
        int rc = keyring_add(kr, (uint8_t)id, master);
        sodium_memzero(master, sizeof master);
        if (rc != TGR_OK) {
            snprintf(err, errlen, "more than %d master keys: retire old ones (tgr keys retire)",
                     KEYS_MAX_SEAL);
            return -1;
        }
        added++;
    }
    return added;
}

int keyring_reload(struct keyring *kr, const char *data_dir, char *err, size_t errlen)
{
    if (errlen > 0) err[0] = 0;
    if (path_ok(data_dir, err, errlen) != TGR_OK) return -1;
    return load_numbered(kr, data_dir, err, errlen);
}

/* Master key 1 from TGR_MASTER_KEY or DATA/master.key (created when create is set and nothing
 * else exists). @return 1 loaded, 0 absent, -1 error */
static int load_first(const char *data_dir, int create, unsigned char master[KEYS_BYTES], char *err,
                      size_t errlen)
{
    const char *env = getenv("TGR_MASTER_KEY");
    if (env) {
        if (decode_key(env, strlen(env), master, KEYS_BYTES) != TGR_OK) {
            snprintf(err, errlen, "TGR_MASTER_KEY is not base64 of exactly %d bytes", KEYS_BYTES);
            return -1;
        }
        return 1;
    }
    if (!data_dir || !*data_dir) {
        snprintf(err, errlen, "no data directory for %s and TGR_MASTER_KEY is not set", MASTER_KEY_FILE);
        return -1;
    }
    if (path_ok(data_dir, err, errlen) != TGR_OK) return -1;
    char path[PATH_MAX];
    keys_file_path(data_dir, FIRST_KEY_ID, path, sizeof path);
    int rc = read_key_file(path, master, KEYS_BYTES, err, errlen);
    if (rc == TGR_OK) return 1;
    if (errno != ENOENT) return -1;
    if (!create) return 0;
    /* Only the last path component is created; a missing parent is more likely a typo in the
     * configured path than something to build silently. */
    if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create data directory %s: %s", data_dir, strerror(errno));
        return -1;
    }
    randombytes_buf(master, KEYS_BYTES);
    rc = write_key_file(data_dir, path, master, KEYS_BYTES, err, errlen);
    if (rc == TGR_OK) {
        log_info("keys", "created a new master key in %s; back it up, sealed data is unreadable without it",
                 path);
        return 1;
    }
    sodium_memzero(master, KEYS_BYTES);
    if (errno == EEXIST) {
        rc = read_key_file(path, master, KEYS_BYTES, err, errlen);
        if (rc == TGR_OK) return 1;
        if (errno == ENOENT) snprintf(err, errlen, "%s vanished while it was being created", path);
    }
    return -1;
}

/* The saved index keys from TGR_INDEX_KEY or DATA/index.key. @return 1 loaded, 0 absent, -1 error */
static int load_index(const char *data_dir, unsigned char ix[INDEX_BYTES], char *err, size_t errlen)
{
    const char *env = getenv("TGR_INDEX_KEY");
    if (env) {
        if (decode_key(env, strlen(env), ix, INDEX_BYTES) != TGR_OK) {
            snprintf(err, errlen, "TGR_INDEX_KEY is not base64 of exactly %d bytes", INDEX_BYTES);
            return -1;
        }
        return 1;
    }
    if (!data_dir || !*data_dir || strlen(data_dir) > PATH_MAX - 32) return 0;
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", data_dir, INDEX_KEY_FILE);
    if (read_key_file(path, ix, INDEX_BYTES, err, errlen) == TGR_OK) return 1;
    return errno == ENOENT ? 0 : -1;
}

int keyring_load(struct keyring *kr, const char *data_dir, int create, char *err, size_t errlen)
{
    unsigned char master[KEYS_BYTES], ix[INDEX_BYTES];
    if (errlen > 0) err[0] = 0;
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium initialisation failed");
        return TGR_ERR;
    }
    sodium_memzero(kr, sizeof *kr);
    int have_ix = load_index(data_dir, ix, err, errlen);
    if (have_ix < 0) return TGR_ERR;
    /* After a rotation master key 1 may be retired: then no new one may be made in its place. */
    int first = load_first(data_dir, create && !have_ix, master, err, errlen);
    if (first < 0) {
        sodium_memzero(ix, sizeof ix);
        return TGR_ERR;
    }
    if (first) {
        keyring_from_master(kr, master);
        sodium_memzero(master, sizeof master);
        if (have_ix) {
            unsigned char want[INDEX_BYTES];
            index_pack(kr, want);
            int same = sodium_memcmp(want, ix, sizeof ix) == 0;
            sodium_memzero(want, sizeof want);
            if (!same) {
                keyring_clear(kr);
                sodium_memzero(ix, sizeof ix);
                snprintf(err, errlen,
                         "%s/%s does not belong to master key 1 (a key file from another installation?)",
                         data_dir ? data_dir : "", INDEX_KEY_FILE);
                return TGR_ERR;
            }
        }
    } else if (have_ix) {
        index_unpack(kr, ix);
    }
    sodium_memzero(ix, sizeof ix);
    if (data_dir && *data_dir && load_numbered(kr, data_dir, err, errlen) < 0) {
        keyring_clear(kr);
        return TGR_ERR;
    }
    if (n_published(kr) == 0) {
        char path[PATH_MAX];
        keys_file_path(data_dir ? data_dir : ".", FIRST_KEY_ID, path, sizeof path);
        if (have_ix)
            snprintf(err, errlen, "no master key: %s was retired and no master.<n>.key is in %s", path,
                     data_dir ? data_dir : "the data directory");
        else
            snprintf(err, errlen, "%s does not exist and TGR_MASTER_KEY is not set", path);
        keyring_clear(kr);
        return TGR_ERR;
    }
    if (!first && !have_ix) {
        /* Cannot happen with keys tgr made (rotation saves index.key before master key 1 may go). */
        snprintf(err, errlen,
                 "master key 1 is gone and %s/%s is missing: blind indexes, tokens and links need it",
                 data_dir, INDEX_KEY_FILE);
        keyring_clear(kr);
        return TGR_ERR;
    }
    /* Until the database says otherwise (core/rotate.h), the newest key is current. */
    int n = n_published(kr), best = 0;
    for (int i = 1; i < n; i++)
        if (kr->seal[i].id > kr->seal[best].id) best = i;
    kr->current = best;
    return TGR_OK;
}
