/* fuzz_bridge_line — what the C side makes of the bridge child's stdout (tg/bridge.c:
 * bridge_parse_line, the function the I/O thread calls for every line). The input is split into
 * lines at '\n' as the I/O thread does, empty lines skipped. Checks that every line is classified
 * consistently with its JSON, that a result is never NULL, that error codes and messages are
 * NUL-terminated, that an error always has a code and that a FLOOD_WAIT's seconds are never
 * negative (two bugs it found: tests/fuzz/crashes/bridge_line), and that no string it hands on
 * holds a NUL byte ("\u0000" is read as U+FFFD, so no C string stops short of its value), and
 * that a result line is the value jansson reads from it (the send answer has a parser of its own). */
#include "fuzz.h"
#include "tg/bridge.h"

/* 1 when no string under j holds a NUL byte. Depth is bounded by jansson's parser. */
static int nul_free(json_t *j)
{
    const char *k;
    json_t *v;
    size_t i;
    if (json_is_string(j)) return strlen(json_string_value(j)) == json_string_length(j);
    json_object_foreach(j, k, v)
    {
        if (!nul_free(v)) return 0;
    }
    json_array_foreach(j, i, v)
    {
        if (!nul_free(v)) return 0;
    }
    return 1;
}

static void one_line(const char *line, size_t len)
{
    struct bridge_line l;
    enum bridge_line_kind kind = bridge_parse_line(line, len, &l);
    FUZZ_CHECK(kind == l.kind);
    FUZZ_CHECK(memchr(l.err.code, 0, sizeof l.err.code) && memchr(l.err.message, 0, sizeof l.err.message));
    FUZZ_CHECK(l.json == NULL || nul_free(l.json));
    switch (kind) {
    case BRIDGE_LINE_INVALID:
        FUZZ_CHECK(l.json == NULL);
        break;
    case BRIDGE_LINE_EVENT:
        FUZZ_CHECK(json_is_object(l.json) && l.event != NULL);
        FUZZ_CHECK(strcmp(json_string_value(json_object_get(l.json, "event")), l.event) == 0);
        break;
    case BRIDGE_LINE_ORPHAN:
        FUZZ_CHECK(json_is_object(l.json) && !json_is_integer(json_object_get(l.json, "id")));
        break;
    case BRIDGE_LINE_RESULT: {
        FUZZ_CHECK(l.result != NULL && json_is_true(json_object_get(l.json, "ok")));
        FUZZ_CHECK(l.id == json_integer_value(json_object_get(l.json, "id")));
        /* The send answer's fast path reads what jansson reads (DECISIONS 100). */
        json_t *j = json_loadb(line, len, JSON_ALLOW_NUL, NULL);
        FUZZ_CHECK(j != NULL && (memmem(line, len, "\\u0000", 6) || json_equal(j, l.json)));
        json_decref(j);
        break;
    }
    case BRIDGE_LINE_ERROR:
        FUZZ_CHECK(l.err.code[0] != 0 && l.err.seconds >= 0);
        FUZZ_CHECK(l.id == json_integer_value(json_object_get(l.json, "id")));
        break;
    default:
        FUZZ_CHECK(!"unknown kind");
    }
    json_decref(l.json);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* Each line in a buffer of its own, so a read past its end is caught. */
    const uint8_t *p = data, *end = data + size;
    while (p < end) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (len) {
            char *line = malloc(len);
            if (!line) abort();
            memcpy(line, p, len);
            one_line(line, len);
            free(line);
        }
        p += len + (nl ? 1 : 0);
    }
    return 0;
}
