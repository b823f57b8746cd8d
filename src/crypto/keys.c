/* keys — owns the master key (loading it from TGR_MASTER_KEY or DATA/master.key, creating the file
 * on first start) and the derivation of every working key from it; see keys.h.
 *
 * Subkeys come from crypto_kdf_derive_from_key(master, context "tgr-keys", subkey id). The ids are
 * part of the on-disk format: changing one makes every existing ciphertext, blind index, token
 * or stored API key hash unusable, so they are fixed here and never reused for another purpose.
 *
 *     1      blind index key        (kr->blind)
 *     2      JWT HS256 signing key  (kr->jwt)
 *     3      API key hashing key    (kr->apikey)
 *     4      webhook secret wrapping (kr->webhook, reserved)
 *     256+n  sealing key of master key id n (n = 1 today, so 257)
 *
 * The sealing ids sit in their own range so that a future master key id can never collide with
 * a single-purpose id. The master key itself is wiped as soon as the keyring is derived. */
#include "crypto/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "core/log.h"
#include "core/util.h"

#define KDF_CONTEXT       "tgr-keys"
#define SUBKEY_BLIND      1
#define SUBKEY_JWT        2
#define SUBKEY_APIKEY     3
#define SUBKEY_WEBHOOK    4
#define SUBKEY_SEAL_BASE  256
#define MASTER_KEY_ID     1
#define MASTER_KEY_FILE   "master.key"
#define KEY_FILE_MAX      256 /* a valid file is 45 bytes; anything much larger is not ours */
#define MASTER_B64_MAXLEN 64

/* The context must be exactly crypto_kdf_CONTEXTBYTES characters, without the NUL. */
_Static_assert(sizeof KDF_CONTEXT - 1 == crypto_kdf_CONTEXTBYTES, "kdf context must be 8 bytes");
_Static_assert(KEYS_BYTES == crypto_kdf_KEYBYTES, "master key size");

static void derive(unsigned char out[KEYS_BYTES], uint64_t id, const unsigned char master[KEYS_BYTES])
{
    /* Only fails for out-of-range lengths, which are compile-time constants here. */
    (void)crypto_kdf_derive_from_key(out, KEYS_BYTES, id, KDF_CONTEXT, master);
}

void keyring_from_master(struct keyring *kr, const unsigned char master[KEYS_BYTES])
{
    if (sodium_init() < 0)
        abort(); /* libsodium cannot run safely at all; nothing sensible to continue with */
    sodium_memzero(kr, sizeof *kr);
    kr->seal[0].id = MASTER_KEY_ID;
    derive(kr->seal[0].key, SUBKEY_SEAL_BASE + MASTER_KEY_ID, master);
    kr->n_seal = 1;
    derive(kr->blind, SUBKEY_BLIND, master);
    derive(kr->jwt, SUBKEY_JWT, master);
    derive(kr->apikey, SUBKEY_APIKEY, master);
    derive(kr->webhook, SUBKEY_WEBHOOK, master);
}

void keyring_clear(struct keyring *kr)
{
    sodium_memzero(kr, sizeof *kr);
}

/* Decode base64 text of exactly KEYS_BYTES bytes. Both the standard and the URL-safe alphabet
 * are accepted, with or without padding, because operators produce keys with whatever tool is
 * at hand (`openssl rand -base64 32`, `head -c32 /dev/urandom | basenc --base64url`). Leading
 * whitespace and anything else outside the alphabet is refused. */
static int decode_master(const char *b64, size_t len, unsigned char master[KEYS_BYTES])
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
        if (sodium_base642bin(master, KEYS_BYTES, b64, len, NULL, &n, &end, variants[i]) == 0 &&
            end == b64 + len && n == KEYS_BYTES)
            return TGR_OK;
    }
    sodium_memzero(master, KEYS_BYTES);
    return TGR_ERR;
}

/* Read and check an existing key file. Mode and type are checked on the descriptor that is
 * read, so the file cannot be swapped between the check and the read.
 * @return TGR_OK; TGR_ERR with errno ENOENT when absent (err not filled); TGR_ERR otherwise */
static int read_key_file(const char *path, unsigned char master[KEYS_BYTES], char *err, size_t errlen)
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
        snprintf(err, errlen, "%s is too large to be a master key file", path);
    } else {
        rc = decode_master(buf, len, master);
        if (rc != TGR_OK)
            snprintf(err, errlen, "%s does not hold base64 of exactly %d bytes", path, KEYS_BYTES);
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

/* Create path with a fresh random key. O_EXCL makes two instances starting at once agree: the
 * loser gets EEXIST and reads the winner's file.
 * @return TGR_OK; TGR_ERR with errno EEXIST when someone else created it first; TGR_ERR otherwise */
static int create_key_file(const char *data_dir, const char *path, unsigned char master[KEYS_BYTES],
                           char *err, size_t errlen)
{
    int fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;
        if (e != EEXIST) snprintf(err, errlen, "cannot create %s: %s", path, strerror(e));
        errno = e;
        return TGR_ERR;
    }
    randombytes_buf(master, KEYS_BYTES);
    char b64[MASTER_B64_MAXLEN];
    sodium_bin2base64(b64, sizeof b64, master, KEYS_BYTES, sodium_base64_VARIANT_ORIGINAL);
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
        sodium_memzero(master, KEYS_BYTES);
        snprintf(err, errlen, "cannot %s %s: %s", what, path, strerror(e));
        errno = e;
        return TGR_ERR;
    }
    /* Make the new directory entry durable too; a key that vanishes after a power cut would
     * orphan everything sealed with it. Failure here is not fatal: the data itself is synced. */
    int dfd = open(data_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        if (fsync(dfd) != 0) log_warn("keys", "fsync %s: %s", data_dir, strerror(errno));
        close(dfd);
    }
    log_info("keys", "created a new master key in %s; back it up, sealed data is unreadable without it",
             path);
    return TGR_OK;
}

int keyring_load(struct keyring *kr, const char *data_dir, int create, char *err, size_t errlen)
{
    unsigned char master[KEYS_BYTES];
    if (errlen > 0) err[0] = 0;
    if (sodium_init() < 0) {
        snprintf(err, errlen, "libsodium initialisation failed");
        return TGR_ERR;
    }

    const char *env = getenv("TGR_MASTER_KEY");
    if (env) {
        if (decode_master(env, strlen(env), master) != TGR_OK) {
            snprintf(err, errlen, "TGR_MASTER_KEY is not base64 of exactly %d bytes", KEYS_BYTES);
            return TGR_ERR;
        }
        keyring_from_master(kr, master);
        sodium_memzero(master, sizeof master);
        return TGR_OK;
    }

    if (!data_dir || !*data_dir) {
        snprintf(err, errlen, "no data directory for %s and TGR_MASTER_KEY is not set", MASTER_KEY_FILE);
        return TGR_ERR;
    }
    char path[PATH_MAX];
    int w = snprintf(path, sizeof path, "%s/%s", data_dir, MASTER_KEY_FILE);
    if (w < 0 || (size_t)w >= sizeof path) {
        snprintf(err, errlen, "data directory path is too long");
        return TGR_ERR;
    }

    int rc = read_key_file(path, master, err, errlen);
    if (rc != TGR_OK && errno == ENOENT) {
        if (!create) {
            snprintf(err, errlen, "%s does not exist and TGR_MASTER_KEY is not set", path);
            return TGR_ERR;
        }
        /* Only the last path component is created; a missing parent is more likely a typo in the
         * configured path than something to build silently. */
        if (mkdir(data_dir, 0700) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create data directory %s: %s", data_dir, strerror(errno));
            return TGR_ERR;
        }
        rc = create_key_file(data_dir, path, master, err, errlen);
        if (rc != TGR_OK && errno == EEXIST) rc = read_key_file(path, master, err, errlen);
        if (rc != TGR_OK && errno == ENOENT)
            snprintf(err, errlen, "%s vanished while it was being created", path);
    }
    if (rc != TGR_OK) {
        sodium_memzero(master, sizeof master);
        return TGR_ERR;
    }
    keyring_from_master(kr, master);
    sodium_memzero(master, sizeof master);
    return TGR_OK;
}
