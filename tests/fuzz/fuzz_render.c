/* fuzz_render — Telegram HTML → text + UTF-16 entities (core/render.c) on arbitrary templates:
 * render_check, render_links and render with and without values and a link rewriter. Checks
 * the rendered message (check_render.h), that the save-time check and an empty render agree,
 * that the placeholders reported are the ones the values show up for, and that every rewritten
 * link carries the rewritten URL, and that links are http(s):// or tg:// (scheme in any case). */
#include <strings.h>

#include "check_render.h"
#include "base/util.h"

static int n_mapped;

/* Rewrites every other link, as tracking does for the links it knows. */
static const char *map_url(void *ctx, const char *url)
{
    (void)ctx;
    FUZZ_CHECK(url != NULL && url[0] != 0);
    return n_mapped++ % 2 ? NULL : "https://t.example/t/Ab3";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *tmpl = fuzz_strndup(data, size);
    struct render_error err;
    unsigned uses = 99;
    int ok = render_check(tmpl, &uses, &err) == TGR_OK;
    FUZZ_CHECK(ok ? (uses & ~7u) == 0 : uses == 0);
    if (!ok) FUZZ_CHECK(err.message[0] != 0 && memchr(err.message, 0, sizeof err.message));

    char **urls = NULL;
    size_t n_urls = 0;
    FUZZ_CHECK((render_links(tmpl, &urls, &n_urls, &err) == TGR_OK) == ok);
    for (size_t k = 0; k < n_urls; k++) {
        FUZZ_CHECK(urls[k] && urls[k][0]);
        for (size_t m = 0; m < k; m++)
            FUZZ_CHECK(strcmp(urls[k], urls[m]) != 0);
    }
    render_links_free(urls, n_urls);

    /* With every value absent: the save-time check's verdict, and an output no longer than the
     * template (escapes only shrink), so never over the output cap. */
    struct rendered r;
    FUZZ_CHECK((render(tmpl, NULL, NULL, NULL, &r, &err) == TGR_OK) == ok);
    if (ok) {
        check_rendered(&r);
        FUZZ_CHECK(strlen(r.text) <= size);
        for (size_t k = 0; k < r.n_ents; k++)
            if (r.ents[k].url)
                FUZZ_CHECK(strncasecmp(r.ents[k].url, "http", 4) == 0 ||
                           strncasecmp(r.ents[k].url, "tg://", 5) == 0);
    }
    rendered_release(&r);

    /* With values (one of them invalid UTF-8) and the link rewriter. */
    struct render_vars vars = {"Анна <b>{{x}}</b>", "#1042 (€19.99)",
                               "SAVE\xff"
                               "10"};
    n_mapped = 0;
    if (render(tmpl, &vars, map_url, NULL, &r, &err) == TGR_OK) {
        FUZZ_CHECK(ok);
        check_rendered(&r);
        if (uses & RENDER_USES_FIRST_NAME) FUZZ_CHECK(strstr(r.text, vars.first_name) != NULL);
        if (uses & RENDER_USES_LAST_ORDER) FUZZ_CHECK(strstr(r.text, vars.last_order) != NULL);
        if (uses & RENDER_USES_DISCOUNT_CODE)
            FUZZ_CHECK(strstr(r.text, "SAVE\xEF\xBF\xBD"
                                      "10") != NULL);
        int mapped = 0;
        for (size_t k = 0; k < r.n_ents; k++)
            if (r.ents[k].url && mapped++ % 2 == 0)
                FUZZ_CHECK(strcmp(r.ents[k].url, "https://t.example/t/Ab3") == 0);
    } else {
        FUZZ_CHECK(!ok);
    }
    rendered_release(&r);
    free(tmpl);
    return 0;
}
