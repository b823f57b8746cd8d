/* fuzz_placeholders — placeholder substitution in campaign messages (core/render.c) with
 * arbitrary recipient values. Input: first_name NUL last_order NUL discount_code NUL template.
 * Checks the rendered message (check_render.h) and that values are plain text: a used value
 * that is valid, printable UTF-8 appears in the text literally (markup and "{{…}}" in it
 * included), empty values render exactly as absent ones (the fallback), and values never make
 * a template invalid nor remove an entity. */
#include "check_render.h"
#include "base/util.h"

/* Non-empty, valid UTF-8, no control characters: such a value must appear verbatim. */
static int printable(const char *v)
{
    if (!v[0] || utf16_length(v, strlen(v)) < 0) return 0;
    for (const unsigned char *c = (const unsigned char *)v; *c; c++)
        if (*c < 0x20 || *c == 0x7f) return 0;
    return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *first = fuzz_take(&data, &size, 0);
    char *last = fuzz_take(&data, &size, 0);
    char *code = fuzz_take(&data, &size, 0);
    char *tmpl = fuzz_strndup(data, size);
    struct render_error err;
    unsigned uses = 0;
    int ok = render_check(tmpl, &uses, &err) == TGR_OK;

    struct rendered none, empty, full;
    struct render_vars no_values = {"", "", ""};
    struct render_vars values = {first, last, code};
    FUZZ_CHECK((render(tmpl, NULL, NULL, NULL, &none, &err) == TGR_OK) == ok);
    FUZZ_CHECK((render(tmpl, &no_values, NULL, NULL, &empty, &err) == TGR_OK) == ok);
    int full_ok = render(tmpl, &values, NULL, NULL, &full, &err) == TGR_OK;
    /* Values can only push the text over the 1 MiB output cap; they never make a template invalid. */
    FUZZ_CHECK(full_ok ? ok : (!ok || strstr(err.message, "longer than") != NULL));
    if (ok) {
        check_rendered(&none);
        check_rendered(&empty);
        FUZZ_CHECK(strcmp(none.text, empty.text) == 0 && none.n_ents == empty.n_ents);
        for (size_t k = 0; k < none.n_ents; k++)
            FUZZ_CHECK(none.ents[k].offset == empty.ents[k].offset &&
                       none.ents[k].length == empty.ents[k].length);
    }
    if (full_ok) {
        check_rendered(&full);
        if ((uses & RENDER_USES_FIRST_NAME) && printable(first)) FUZZ_CHECK(strstr(full.text, first) != NULL);
        if ((uses & RENDER_USES_LAST_ORDER) && printable(last)) FUZZ_CHECK(strstr(full.text, last) != NULL);
        if ((uses & RENDER_USES_DISCOUNT_CODE) && printable(code))
            FUZZ_CHECK(strstr(full.text, code) != NULL);
        if (printable(first) && printable(last) && printable(code)) FUZZ_CHECK(full.n_ents >= none.n_ents);
    }
    rendered_release(&none);
    rendered_release(&empty);
    rendered_release(&full);
    free(first);
    free(last);
    free(code);
    free(tmpl);
    return 0;
}
