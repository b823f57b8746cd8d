/* render — campaign messages: Telegram-style HTML with placeholders → plain text + entities
 * (API.md "Campaigns", DESIGN §5).
 *
 * The template language: text with the tags <b> <strong> <i> <em> <u> <s> <code> <pre> <a href>,
 * <br> and <p> (names case-insensitive, attribute values in single or double quotes); the escapes
 * &lt; &gt; &amp; &quot; &#39; &apos; &nbsp; and numeric &#NN; / &#xHH; (a '&' that starts none of
 * them is a literal '&'; a '>' in text is literal, a '<' must start a known tag); newlines in the
 * text are kept. Placeholders {{first_name}}, {{last_order}}, {{discount_code}} (spaces around the
 * name allowed), each optionally with a fallback after '|' ({{first_name|there}}): literal text up
 * to "}}", which may be empty but may not contain "{{" or '<'. Placeholders are allowed in text
 * only (not inside tags). Values are substituted as plain text before entities are computed: a
 * name like "<b>" or "{{x}}" stays literal; invalid UTF-8 in a value becomes U+FFFD.
 *
 * Lines: <br> is a line break; paragraphs (<p>…</p>) are separated by one line break, the <br> an
 * editor puts at the end of a paragraph is dropped (so "<p><br></p>" is one empty line), and
 * whitespace between paragraphs is layout, not text. Line breaks at the very end of the message
 * are removed.
 *
 * Entities: offsets and lengths are UTF-16 code units, as Telegram counts them. They come in order
 * of offset (on a tie the outer one first); empty ones are dropped, as are redundant inner ones
 * (<b> inside <b>, and <code> inside <pre>, which is how editors spell a code block; its
 * class="language-…" is accepted and ignored).
 *
 * Everything else is refused at save time with a message that says what and where ("unknown tag
 * <script> at character 7", positions 1-based in characters): other tags, attributes other than
 * href (and the editor's harmless rel/target on <a>), links that are not absolute http(s)://host
 * or tg:// URLs at most 2048 bytes long without spaces, control characters or a user name
 * (javascript:, data:, relative…), nested links, unbalanced or misnested tags, unknown
 * placeholders, placeholders inside tags, numeric escapes of non-characters, invalid UTF-8,
 * templates over 64 KiB. */
#ifndef TGR_RENDER_H
#define TGR_RENDER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#define RENDER_MAX_TEXT    4096 /* Telegram's limit for a message, UTF-16 units */
#define RENDER_MAX_CAPTION 1024 /* … for a media caption */

enum entity_type { ENT_BOLD, ENT_ITALIC, ENT_UNDERLINE, ENT_STRIKETHROUGH, ENT_CODE, ENT_PRE, ENT_TEXT_URL };

struct entity {
    enum entity_type type;
    int32_t offset, length; /* UTF-16 code units */
    char *url;              /* ENT_TEXT_URL only; malloc'd */
};

struct rendered {
    char *text; /* UTF-8, malloc'd */
    struct entity *ents;
    size_t n_ents;
    int32_t utf16_len; /* length of text in UTF-16 units */
};

/* Values of one recipient; NULL or "" means absent (the fallback, or nothing, is used). */
struct render_vars {
    const char *first_name;
    const char *last_order;
    const char *discount_code;
};

/* Pass &render_as_written as vars to keep every placeholder as it is written, its fallback
 * included ("{{first_name|there}}", the name without spaces around it), instead of a value: to
 * show a template's lines to the shop (the scorecard's best lines). */
extern const struct render_vars render_as_written;

struct render_error {
    char message[256]; /* "unknown tag <script> at character 12" */
};

/* Placeholders a template uses (bit mask), for validation and to know whether a campaign needs
 * discount codes. */
#define RENDER_USES_FIRST_NAME    1u
#define RENDER_USES_LAST_ORDER    2u
#define RENDER_USES_DISCOUNT_CODE 4u

/* Check a template at save time (it is rendered with every value absent).
 * @param[out] uses bit mask of placeholders used (may be NULL; 0 on failure)
 * err may be NULL in this and the functions below.
 * @return TGR_OK, or TGR_ERR with err filled */
int render_check(const char *tmpl, unsigned *uses, struct render_error *err);

/* The distinct hrefs of a template's <a> tags (escapes decoded, also those without link text),
 * in order of first appearance.
 * @param[out] urls malloc'd array of malloc'd strings; free with render_links_free
 * @return TGR_OK or TGR_ERR (invalid template: err filled) */
int render_links(const char *tmpl, char ***urls, size_t *n, struct render_error *err);
void render_links_free(char **urls, size_t n);

/* Rewrites a link's URL at render time (tracking); return NULL to keep it. Called once per link
 * entity of the rendered message (links without text make none), with the decoded href. The
 * returned string is copied; it must stay valid until render() returns. */
typedef const char *(*render_url_fn)(void *ctx, const char *url);

/* Render tmpl for one recipient.
 * @param vars may be NULL (every value absent)
 * @param map_url may be NULL
 * @param[out] out filled on success; release with rendered_release
 * @return TGR_OK, or TGR_ERR with err filled (invalid template, more than 1 MiB of text once
 *         values are filled in, or out of memory); *out is then zeroed */
int render(const char *tmpl, const struct render_vars *vars, render_url_fn map_url, void *ctx,
           struct rendered *out, struct render_error *err);
/* Free r's contents and zero it; harmless on a zeroed or already released struct. */
void rendered_release(struct rendered *r);

/* The entities as the bridge protocol and the API spell them:
 * [{"type":"bold","offset":0,"length":5}, {"type":"text_url",…,"url":"…"}]. New reference. */
json_t *rendered_entities_json(const struct rendered *r);
struct jsonout;
/* The same array written into o (base/jsonout.h), byte for byte as jsonout_dumps writes the value
 * rendered_entities_json returns. */
void rendered_entities_put(const struct rendered *r, struct jsonout *o);

/* Length of a UTF-8 string in UTF-16 code units (-1 if not valid UTF-8 — overlong forms and
 * surrogates included — or longer than INT32_MAX units). */
int32_t utf16_length(const char *s, size_t len);

#endif
