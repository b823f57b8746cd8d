/* check_render.h — the invariants of a rendered message (core/render.h), shared by fuzz_render
 * and fuzz_placeholders: text is valid UTF-8 whose UTF-16 length is the one reported, entities
 * are non-empty, inside the text, in order of offset, and only links carry a URL. */
#ifndef TGR_FUZZ_CHECK_RENDER_H
#define TGR_FUZZ_CHECK_RENDER_H

#include <jansson.h>

#include "core/render.h"
#include "fuzz.h"

static inline void check_rendered(const struct rendered *r)
{
    FUZZ_CHECK(r->text != NULL);
    size_t len = strlen(r->text);
    FUZZ_CHECK(utf16_length(r->text, len) == r->utf16_len);
    FUZZ_CHECK(r->utf16_len <= (int32_t)len);
    /* Line breaks at the very end are removed. */
    FUZZ_CHECK(len == 0 || (r->text[len - 1] != '\n' && r->text[len - 1] != '\r'));
    int32_t last = 0;
    for (size_t k = 0; k < r->n_ents; k++) {
        const struct entity *e = &r->ents[k];
        FUZZ_CHECK(e->type >= ENT_BOLD && e->type <= ENT_TEXT_URL);
        FUZZ_CHECK(e->offset >= 0 && e->length > 0);
        FUZZ_CHECK(e->offset <= r->utf16_len - e->length);
        FUZZ_CHECK(e->offset >= last);
        last = e->offset;
        FUZZ_CHECK((e->type == ENT_TEXT_URL) == (e->url != NULL));
        if (e->url) FUZZ_CHECK(e->url[0] != 0);
    }
    json_t *j = rendered_entities_json(r);
    FUZZ_CHECK(j != NULL && json_array_size(j) == r->n_ents);
    json_decref(j);
}

#endif
