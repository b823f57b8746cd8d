/* keys — the master key and every key derived from it (DESIGN §3).
 *
 * One 32-byte master key lives outside the database: TGR_MASTER_KEY (base64 of 32 bytes) or
 * DATA/master.key (base64 text, created with mode 0600 on first start). Every working key is
 * derived from it with crypto_kdf_derive_from_key under the context "tgr-keys", so the database
 * holds no key at all. The master key has an id (1 today); sealed fields carry it so that a later
 * `tgr keys rotate` can add a new current key while old ciphertexts stay readable. */
#ifndef TGR_KEYS_H
#define TGR_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEYS_BYTES 32
#define KEYS_MAX_SEAL 8

struct keyring {
    /* Sealing keys by master key id; keys[0] is current and used for new ciphertexts. */
    struct {
        uint8_t id;
        unsigned char key[KEYS_BYTES];
    } seal[KEYS_MAX_SEAL];
    int n_seal;
    unsigned char blind[KEYS_BYTES];   /* keyed blind indexes (phone, username, …) */
    unsigned char jwt[KEYS_BYTES];     /* HS256 signing key */
    unsigned char apikey[KEYS_BYTES];  /* keyed hash of API keys as stored */
    unsigned char webhook[KEYS_BYTES]; /* reserved: wrapping of webhook secrets */
};

/* Load the master key and derive the keyring.
 * Order: env TGR_MASTER_KEY if set (must decode to exactly 32 bytes), else DATA/master.key;
 * if neither exists and create is non-zero, a new random key is written to DATA/master.key with
 * mode 0600 (O_EXCL, fsync'd). A key file readable by group/others is refused.
 * @param err filled with a one-line reason on failure (never contains key material)
 * @return TGR_OK or TGR_ERR */
int keyring_load(struct keyring *kr, const char *data_dir, int create, char *err, size_t errlen);

/* Derive a keyring from raw master key bytes (id 1). Used by keyring_load and by tests. */
void keyring_from_master(struct keyring *kr, const unsigned char master[KEYS_BYTES]);

/* Wipe every key (sodium_memzero). */
void keyring_clear(struct keyring *kr);

#endif
