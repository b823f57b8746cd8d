/* fuzz.h — what every libFuzzer target in tests/fuzz shares: the entry point's prototype, a
 * NUL-terminated copy of the input, splitting it into fields, and invariant checks that abort
 * (so a broken invariant is a crash libFuzzer saves like any other). */
#ifndef TGR_FUZZ_H
#define TGR_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A malloc'd, NUL-terminated copy of data (which may itself hold NULs). Never NULL. */
static inline char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s) abort();
    if (size) memcpy(s, data, size);
    s[size] = 0;
    return s;
}

/* Split [*data, *data+*size) at the first byte sep: the field before it is returned (NUL-terminated,
 * malloc'd) and the input is advanced past the separator (to the end when there is none). */
static inline char *fuzz_take(const uint8_t **data, size_t *size, uint8_t sep)
{
    const uint8_t *end = *size ? memchr(*data, sep, *size) : NULL;
    size_t n = end ? (size_t)(end - *data) : *size;
    char *s = fuzz_strndup(*data, n);
    *data += end ? n + 1 : n;
    *size -= end ? n + 1 : n;
    return s;
}

#define FUZZ_CHECK(cond)                                                                                     \
    do {                                                                                                     \
        if (!(cond)) {                                                                                       \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);                     \
            abort();                                                                                         \
        }                                                                                                    \
    } while (0)

#endif
