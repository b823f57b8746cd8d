/* keys — the master keys and every key derived from them (DESIGN §3, docs/DECISIONS.md 44).
 *
 * Master keys (32 bytes each) live outside the database and have ids 1..255: id 1 is
 * TGR_MASTER_KEY (base64 of 32 bytes) or DATA/master.key (base64 text, created with mode 0600 on
 * first start); id n >= 2 is DATA/master.<n>.key, made by `tgr keys rotate`. Each master key n
 * gives a sealing key (crypto_kdf, context "tgr-keys", subkey 256+n); sealed fields carry the id,
 * so the keyring opens anything sealed under any key it holds and seals with the current one.
 * Which id is current is kept in the database (meta "keys.current"), so that every instance on
 * one database agrees; a server re-reads it and the key files every second (core/rotate.h).
 *
 * The index keys — blind indexes, JWT signing, API key hashing, webhook wrapping; the tracked
 * link MAC and Telegram random_id use the blind key — never rotate: they are derived from master
 * key 1 only, and once `tgr keys rotate` has run they are also kept in DATA/index.key (the four
 * derived keys, not master key 1), so that master key 1 can be retired without breaking a blind
 * index, an API key, a token or a link already sent.
 * Layer: crypto (above base; below store and everything else). */
#ifndef TGR_KEYS_H
#define TGR_KEYS_H

#include <stddef.h>
#include <stdint.h>

#define KEYS_BYTES    32
#define KEYS_MAX_SEAL 16 /* master keys one process holds at once (retire old ones to make room) */
#define KEYS_ID_MAX   255

/* A keyring is read by every thread without a lock while one thread (the key watcher) may add a
 * key or change the current one: a slot is written completely before n_seal is raised past it
 * (release store), slots never change once published, and current is an index into them. Read
 * n_seal and current only through the functions below (or __atomic_load_n). */
struct keyring {
    /* Sealing keys by master key id, in the order they were added. */
    struct {
        uint8_t id;
        unsigned char key[KEYS_BYTES];
    } seal[KEYS_MAX_SEAL];
    int n_seal;                        /* published slots */
    int current;                       /* slot used for new ciphertexts (0 after keyring_from_master) */
    unsigned char blind[KEYS_BYTES];   /* keyed blind indexes (phone, username, …), link MACs, random ids */
    unsigned char jwt[KEYS_BYTES];     /* HS256 signing key */
    unsigned char apikey[KEYS_BYTES];  /* keyed hash of API keys as stored */
    unsigned char webhook[KEYS_BYTES]; /* reserved: wrapping of webhook secrets */
};

/* Load every master key and derive the keyring.
 * Master key 1: env TGR_MASTER_KEY if set (must decode to exactly 32 bytes), else DATA/master.key;
 * ids >= 2: every DATA/master.<n>.key. Index keys: DATA/index.key (or env TGR_INDEX_KEY) when
 * present — checked against master key 1 when that is here too — else derived from master key 1.
 * If no master key and no index key exist and create is non-zero, a new random key is written to
 * DATA/master.key with mode 0600 (O_EXCL, fsync'd). A key file readable by group/others is
 * refused. The current key is the highest id loaded; a server then takes the database's choice.
 * @param err filled with a one-line reason on failure (never contains key material)
 * @return TGR_OK or TGR_ERR */
int keyring_load(struct keyring *kr, const char *data_dir, int create, char *err, size_t errlen);

/* Add the key files of DATA that kr does not hold yet (ids >= 2; id 1 never appears later).
 * Safe while other threads use kr (only one thread may add at a time).
 * @return how many keys were added, or -1 (err filled) when a key file is unreadable */
int keyring_reload(struct keyring *kr, const char *data_dir, char *err, size_t errlen);

/* Add master key id to kr (which must not hold it). Same threading rule as keyring_reload.
 * @return TGR_OK, or TGR_ERR when kr is full, id is 0 or already held */
int keyring_add(struct keyring *kr, uint8_t id, const unsigned char master[KEYS_BYTES]);

/* Seal new values with master key id from now on. @return TGR_OK, TGR_ERR if kr lacks id */
int keyring_set_current(struct keyring *kr, uint8_t id);

/* The id new values are sealed with. */
uint8_t keyring_current_id(const struct keyring *kr);

/* Whether kr holds master key id. */
int keyring_has(const struct keyring *kr, uint8_t id);

/* The ids kr holds, ascending. @return how many (at most cap written) */
int keyring_ids(const struct keyring *kr, uint8_t *ids, int cap);

/* The file of master key id in data_dir (DATA/master.key for 1, DATA/master.<id>.key else). */
void keys_file_path(const char *data_dir, uint8_t id, char *out, size_t cap);

/* Create DATA/master.<id>.key (id >= 2) with a fresh random key, mode 0600, O_EXCL, fsync'd.
 * @return TGR_OK; TGR_ERR (err filled; errno EEXIST when the file exists) */
int keys_create(const char *data_dir, uint8_t id, char *err, size_t errlen);

/* Write kr's index keys to DATA/index.key (mode 0600, fsync'd) unless it exists.
 * @return TGR_OK (written or already there), TGR_ERR (err filled) */
int keys_index_save(const struct keyring *kr, const char *data_dir, char *err, size_t errlen);

/* Whether DATA/index.key exists. */
int keys_index_exists(const char *data_dir);

/* Remove the file of master key id and make the removal durable. @return TGR_OK or TGR_ERR */
int keys_remove(const char *data_dir, uint8_t id, char *err, size_t errlen);

/* Derive a keyring from raw master key bytes (id 1). Used by keyring_load and by tests. */
void keyring_from_master(struct keyring *kr, const unsigned char master[KEYS_BYTES]);

/* Wipe every key (sodium_memzero). */
void keyring_clear(struct keyring *kr);

#endif
