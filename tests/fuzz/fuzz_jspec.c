/* fuzz_jspec — the JSON request-spec parser (http/jspec.c) on arbitrary request bodies:
 * jspec_load, then jspec_parse with a campaign-like spec and, on its nested objects, a
 * quiet-hours-like spec with a prefix. Checks that a body that passes satisfies its spec (types,
 * string lengths in characters, integer ranges) and that a refusal names a field. */
#include <jansson.h>

#include "base/util.h"
#include "fuzz.h"
#include "base/jspec.h"

static void check_error(const struct jspec_error *err)
{
    FUZZ_CHECK(memchr(err->field, 0, sizeof err->field) != NULL);
    FUZZ_CHECK(memchr(err->message, 0, sizeof err->message) != NULL);
    FUZZ_CHECK(err->message[0] != 0);
}

static void nested(json_t *obj, const char *prefix)
{
    int64_t start = -1, end = -1;
    const char *tz = NULL;
    int enabled = 0, has_tz = 0;
    struct jfield spec[] = {
        JF_INT_RANGE("start", &start, 0, 1439),
        JF_OPTIONAL(JF_INT_RANGE("end", &end, 0, 1439)),
        jf_present(JF_NULLABLE(JF_STRING_LEN("timezone", &tz, 1, 64)), &has_tz),
        JF_OPTIONAL(JF_BOOL("enabled", &enabled)),
        JF_END,
    };
    struct jspec_error err;
    memset(&err, 0, sizeof err);
    if (jspec_parse(obj, spec, prefix, &err) != TGR_OK) {
        check_error(&err);
        return;
    }
    FUZZ_CHECK(start >= 0 && start <= 1439);
    FUZZ_CHECK(end == -1 || (end >= 0 && end <= 1439));
    FUZZ_CHECK(enabled == 0 || enabled == 1);
    if (tz) {
        size_t n = utf8_chars(tz);
        FUZZ_CHECK(n >= 1 && n <= 64);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct jspec_error err;
    memset(&err, 0, sizeof err);
    json_t *j = jspec_load((const char *)data, size, &err);
    if (!j) {
        check_error(&err);
        return 0;
    }
    const char *name = NULL, *text = NULL;
    json_t *media = NULL, *filters = NULL, *quiet = NULL, *any = NULL;
    int64_t limit = 7;
    int track = 1, has_name = 0, has_any = 0;
    struct jfield spec[] = {
        jf_present(JF_STRING_LEN("name", &name, 1, 200), &has_name),
        JF_OPTIONAL(JF_STRING_LEN("message_text", &text, 1, 65536)),
        JF_NULLABLE(JF_ARRAY("media_ids", &media)),
        JF_NULLABLE(JF_OBJECT("filters", &filters)),
        JF_NULLABLE(JF_OBJECT("quiet_hours", &quiet)),
        JF_OPTIONAL(JF_BOOL("track_links", &track)),
        JF_OPTIONAL(JF_INT_RANGE("limit", &limit, 1, 1000)),
        jf_present(JF_OPTIONAL(JF_ANY("extra", &any)), &has_any),
        JF_END,
    };
    memset(&err, 0, sizeof err);
    if (jspec_parse(j, spec, NULL, &err) != TGR_OK) {
        check_error(&err);
    } else {
        FUZZ_CHECK(json_is_object(j));
        FUZZ_CHECK(has_name && name != NULL);
        size_t n = utf8_chars(name);
        FUZZ_CHECK(n >= 1 && n <= 200);
        if (text) FUZZ_CHECK(utf8_chars(text) >= 1);
        FUZZ_CHECK(!media || json_is_array(media));
        FUZZ_CHECK(!filters || json_is_object(filters));
        FUZZ_CHECK(limit >= 1 && limit <= 1000);
        FUZZ_CHECK(track == 0 || track == 1);
        FUZZ_CHECK(has_any == (any != NULL));
        if (quiet) nested(quiet, "quiet_hours");
        if (filters) nested(filters, "filters");
    }
    /* Any object at the top is also tried against the nested spec, so its paths get fuzzed directly. */
    if (json_is_object(j)) nested(j, NULL);
    json_decref(j);
    return 0;
}
