/* Unit tests for key rotation in crypto/keys and crypto/seal: a keyring with several master key
 * ids opens what any of them sealed and seals with the current one; the index keys never change
 * with rotation and live on in DATA/index.key once master key 1 is gone; key files load by id
 * (and odd names are ignored); a running keyring can gain a key and switch while other threads
 * seal with it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "base/util.h"
#include "crypto/keys.h"
#include "crypto/seal.h"

static void master_fill(unsigned char m[KEYS_BYTES], unsigned char v)
{
    for (int i = 0; i < KEYS_BYTES; i++)
        m[i] = (unsigned char)(v * 7 + i);
}

static void sealed(const struct keyring *kr, const char *pt, unsigned char **ct, size_t *len)
{
    assert_int_equal(seal(kr, "contacts", "first_name", "1:42", pt, strlen(pt), ct, len), TGR_OK);
}

static int opens(const struct keyring *kr, const unsigned char *ct, size_t len, const char *want)
{
    char *out = NULL;
    size_t n = 0;
    if (seal_open(kr, "contacts", "first_name", "1:42", ct, len, &out, &n) != TGR_OK) return 0;
    int same = n == strlen(want) && memcmp(out, want, n) == 0;
    free(out);
    return same;
}

static void several_ids_open_and_the_current_one_seals(void **state)
{
    (void)state;
    unsigned char m1[KEYS_BYTES], m2[KEYS_BYTES], m3[KEYS_BYTES];
    master_fill(m1, 1);
    master_fill(m2, 2);
    master_fill(m3, 3);
    struct keyring kr, only2, before;
    keyring_from_master(&kr, m1);
    before = kr;
    unsigned char *c1, *c2, *c3;
    size_t l1, l2, l3;
    sealed(&kr, "Alice", &c1, &l1);
    assert_int_equal(c1[1], 1);

    assert_int_equal(keyring_add(&kr, 2, m2), TGR_OK);
    assert_int_equal(keyring_current_id(&kr), 1); /* added, not yet current */
    assert_int_equal(keyring_set_current(&kr, 2), TGR_OK);
    sealed(&kr, "Bob", &c2, &l2);
    assert_int_equal(c2[1], 2);
    assert_int_equal(keyring_add(&kr, 3, m3), TGR_OK);
    assert_int_equal(keyring_set_current(&kr, 3), TGR_OK);
    sealed(&kr, "Carol", &c3, &l3);
    assert_int_equal(c3[1], 3);
    assert_true(opens(&kr, c1, l1, "Alice") && opens(&kr, c2, l2, "Bob") && opens(&kr, c3, l3, "Carol"));

    /* Each key opens only its own ciphertexts: a keyring of key 2 alone opens "Bob" only. */
    memset(&only2, 0, sizeof only2);
    assert_int_equal(keyring_add(&only2, 2, m2), TGR_OK);
    assert_false(opens(&only2, c1, l1, "Alice"));
    assert_true(opens(&only2, c2, l2, "Bob"));
    assert_false(opens(&only2, c3, l3, "Carol"));
    /* A forged key id byte selects another key, under which the tag fails. */
    c2[1] = 3;
    assert_false(opens(&kr, c2, l2, "Bob"));

    /* The index keys did not move with the rotation. */
    assert_memory_equal(kr.blind, before.blind, KEYS_BYTES);
    assert_memory_equal(kr.jwt, before.jwt, KEYS_BYTES);
    assert_memory_equal(kr.apikey, before.apikey, KEYS_BYTES);
    char b1[BLIND_HEX_LEN + 1], b2[BLIND_HEX_LEN + 1];
    blind_index(&before, "contacts.phone", "+15550001", b1);
    blind_index(&kr, "contacts.phone", "+15550001", b2);
    assert_string_equal(b1, b2);

    /* Refusals: a held id again, id 0, an unknown current, a full keyring. */
    assert_int_equal(keyring_add(&kr, 2, m2), TGR_ERR);
    assert_int_equal(keyring_add(&kr, 0, m2), TGR_ERR);
    assert_int_equal(keyring_set_current(&kr, 9), TGR_ERR);
    assert_int_equal(keyring_current_id(&kr), 3);
    for (int id = 4; id < 4 + KEYS_MAX_SEAL - 3; id++)
        assert_int_equal(keyring_add(&kr, (uint8_t)id, m3), TGR_OK);
    assert_int_equal(keyring_add(&kr, 200, m3), TGR_ERR);
    uint8_t ids[KEYS_MAX_SEAL];
    assert_int_equal(keyring_ids(&kr, ids, KEYS_MAX_SEAL), KEYS_MAX_SEAL);
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[KEYS_MAX_SEAL - 1], KEYS_MAX_SEAL);
    free(c1);
    free(c2);
    free(c3);
    keyring_clear(&kr);
    keyring_clear(&only2);
}

/* ---- key files ----------------------------------------------------------------------------- */

struct dir {
    char root[64];
};

static int dir_setup(void **state)
{
    struct dir *d = calloc(1, sizeof *d);
    snprintf(d->root, sizeof d->root, "/tmp/tgr-keys-XXXXXX");
    if (!d || !mkdtemp(d->root)) return -1;
    unsetenv("TGR_MASTER_KEY");
    unsetenv("TGR_INDEX_KEY");
    *state = d;
    return 0;
}

static int dir_teardown(void **state)
{
    struct dir *d = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", d->root);
    if (system(cmd) != 0) return -1;
    free(d);
    return 0;
}

static void write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    assert_int_equal(chmod(path, mode), 0);
}

static void files_by_id_and_index_keys_outlive_key_one(void **state)
{
    struct dir *d = *state;
    char err[512];
    struct keyring kr, first;
    /* First start: master.key (id 1) is made, and is current. */
    assert_int_equal(keyring_load(&first, d->root, 1, err, sizeof err), TGR_OK);
    assert_int_equal(keyring_current_id(&first), 1);
    assert_false(keys_index_exists(d->root));
    unsigned char *c1;
    size_t l1;
    sealed(&first, "Alice", &c1, &l1);

    /* A rotation: key 2 in master.2.key, the index keys saved; odd names are not key files. */
    assert_int_equal(keys_create(d->root, 2, err, sizeof err), TGR_OK);
    assert_int_equal(keys_create(d->root, 2, err, sizeof err), TGR_ERR); /* never overwritten */
    assert_int_equal(keys_index_save(&first, d->root, err, sizeof err), TGR_OK);
    assert_int_equal(keys_index_save(&first, d->root, err, sizeof err), TGR_OK); /* idempotent */
    assert_true(keys_index_exists(d->root));
    const char *b64 = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n";
    write_file(d->root, "master.02.key", b64, 0600);
    write_file(d->root, "master.1.key", b64, 0600);
    write_file(d->root, "master.256.key", b64, 0600);
    write_file(d->root, "master.7.key.bak", b64, 0600);
    assert_int_equal(keyring_load(&kr, d->root, 0, err, sizeof err), TGR_OK);
    uint8_t ids[KEYS_MAX_SEAL];
    assert_int_equal(keyring_ids(&kr, ids, KEYS_MAX_SEAL), 2);
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], 2);
    assert_int_equal(keyring_current_id(&kr), 2); /* the newest, until the database says otherwise */
    assert_true(opens(&kr, c1, l1, "Alice"));
    unsigned char *c2;
    size_t l2;
    sealed(&kr, "Bob", &c2, &l2);
    assert_int_equal(c2[1], 2);

    /* A key file that appears later is picked up by a reload, once. */
    assert_int_equal(keys_create(d->root, 5, err, sizeof err), TGR_OK);
    assert_int_equal(keyring_reload(&kr, d->root, err, sizeof err), 1);
    assert_int_equal(keyring_reload(&kr, d->root, err, sizeof err), 0);
    assert_true(keyring_has(&kr, 5));
    keyring_clear(&kr);

    /* Key 1 retired: the keyring loads from master.2.key / master.5.key and index.key, with the
     * same index keys; key-1 values no longer open; no new master.key is made in its place. */
    assert_int_equal(keys_remove(d->root, 1, err, sizeof err), TGR_OK);
    assert_int_equal(keyring_load(&kr, d->root, 1, err, sizeof err), TGR_OK);
    char path[PATH_MAX];
    keys_file_path(d->root, 1, path, sizeof path);
    assert_int_not_equal(access(path, F_OK), 0);
    assert_false(keyring_has(&kr, 1));
    assert_memory_equal(kr.blind, first.blind, KEYS_BYTES);
    assert_memory_equal(kr.jwt, first.jwt, KEYS_BYTES);
    assert_memory_equal(kr.apikey, first.apikey, KEYS_BYTES);
    assert_memory_equal(kr.webhook, first.webhook, KEYS_BYTES);
    assert_false(opens(&kr, c1, l1, "Alice"));
    assert_true(opens(&kr, c2, l2, "Bob"));
    keyring_clear(&kr);

    /* index.key must belong to master key 1 when both are there. */
    unsigned char other[KEYS_BYTES];
    char ob64[64];
    master_fill(other, 9);
    sodium_bin2base64(ob64, sizeof ob64, other, sizeof other, sodium_base64_VARIANT_ORIGINAL);
    assert_int_equal(setenv("TGR_MASTER_KEY", ob64, 1), 0);
    assert_int_equal(keyring_load(&kr, d->root, 0, err, sizeof err), TGR_ERR);
    assert_non_null(strstr(err, "index.key"));
    unsetenv("TGR_MASTER_KEY");

    /* Without any master key file but with index.key: an error, not a fresh key. */
    keys_remove(d->root, 2, err, sizeof err);
    keys_remove(d->root, 5, err, sizeof err);
    assert_int_equal(keyring_load(&kr, d->root, 1, err, sizeof err), TGR_ERR);
    assert_non_null(strstr(err, "no master key"));
    assert_int_not_equal(access(path, F_OK), 0);
    free(c1);
    free(c2);
    keyring_clear(&first);
}

/* ---- switching under load ------------------------------------------------------------------ */

struct worker {
    struct keyring *kr;
    int stop, n, bad;
    unsigned char *ct[4096];
    size_t len[4096];
};

static void *seal_loop(void *arg)
{
    struct worker *w = arg;
    while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE) && w->n < 4096) {
        if (seal(w->kr, "contacts", "first_name", "1:42", "Dora", 4, &w->ct[w->n], &w->len[w->n]) != TGR_OK)
            w->bad++;
        else
            w->n++;
    }
    return NULL;
}

static void switching_while_others_seal(void **state)
{
    (void)state;
    unsigned char m[KEYS_BYTES];
    struct keyring kr;
    master_fill(m, 1);
    keyring_from_master(&kr, m);
    struct worker w = {.kr = &kr};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, seal_loop, &w), 0);
    for (int id = 2; id <= 6; id++) {
        master_fill(m, (unsigned char)id);
        assert_int_equal(keyring_add(&kr, (uint8_t)id, m), TGR_OK);
        assert_int_equal(keyring_set_current(&kr, (uint8_t)id), TGR_OK);
        usleep(2000);
    }
    usleep(2000);
    __atomic_store_n(&w.stop, 1, __ATOMIC_RELEASE);
    pthread_join(th, NULL);
    assert_int_equal(w.bad, 0);
    assert_true(w.n > 0);
    /* Every value sealed during the switches opens, and later ones use the newer keys. */
    int prev = 1;
    for (int i = 0; i < w.n; i++) {
        assert_true(opens(&kr, w.ct[i], w.len[i], "Dora"));
        assert_true(w.ct[i][1] >= prev);
        prev = w.ct[i][1];
        free(w.ct[i]);
    }
    keyring_clear(&kr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(several_ids_open_and_the_current_one_seals),
        cmocka_unit_test_setup_teardown(files_by_id_and_index_keys_outlive_key_one, dir_setup, dir_teardown),
        cmocka_unit_test(switching_while_others_seal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
