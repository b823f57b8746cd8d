/* render — campaign messages: Telegram-style HTML with placeholders → plain text + entities; see
 * render.h for the language.
 *
 * Design. One forward pass over the template, with no recursion: open tags live on a heap stack,
 * so a deeply nested template cannot exhaust the C stack, and every scan moves forward (a failed
 * scan ends the pass with an error), so the work is linear in the template length. The template
 * is checked to be valid UTF-8 before the pass, which lets error messages quote it safely.
 *
 * Text is appended to one growable buffer while a running count of UTF-16 units gives each
 * entity its offset. An entity's slot is reserved when its tag opens and its length filled in
 * when the tag closes; since offsets never decrease, the slots end up in start order with the
 * outer entity first on a tie, which is the order Telegram wants.
 *
 * Line breaks from <br> and </p> are not written at once but counted as "pending": they are
 * written before the next text (or the next opening tag, so an entity never starts with them).
 * That lets </p> drop the <br> an editor puts in an empty paragraph ("<p><br></p>" is one empty
 * line, as a browser shows it), keeps entities from ending with a paragraph break, and makes the
 * breaks at the very end of a message disappear on their own. */
#include "core/render.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/jsonout.h"
#include "base/util.h"
#include "core/text.h"

#define MAX_TEMPLATE 65536      /* bytes */
#define MAX_OUTPUT   (1u << 20) /* bytes, after placeholders are filled in */

#define NO_ENT      SIZE_MAX
#define N_ENT_TYPES (ENT_TEXT_URL + 1)

enum tag { T_B, T_STRONG, T_I, T_EM, T_U, T_S, T_CODE, T_PRE, T_A, T_BR, T_P, N_TAGS };

static const struct {
    const char *name;
    int ent; /* enum entity_type, or -1 for <br> and <p> */
} tags[N_TAGS] = {
    [T_B] = {"b", ENT_BOLD},
    [T_STRONG] = {"strong", ENT_BOLD},
    [T_I] = {"i", ENT_ITALIC},
    [T_EM] = {"em", ENT_ITALIC},
    [T_U] = {"u", ENT_UNDERLINE},
    [T_S] = {"s", ENT_STRIKETHROUGH},
    [T_CODE] = {"code", ENT_CODE},
    [T_PRE] = {"pre", ENT_PRE},
    [T_A] = {"a", ENT_TEXT_URL},
    [T_BR] = {"br", -1},
    [T_P] = {"p", -1},
};

static const char *const ent_names[N_ENT_TYPES] = {
    [ENT_BOLD] = "bold",           [ENT_ITALIC] = "italic",
    [ENT_UNDERLINE] = "underline", [ENT_STRIKETHROUGH] = "strikethrough",
    [ENT_CODE] = "code",           [ENT_PRE] = "pre",
    [ENT_TEXT_URL] = "text_url",
};

static const struct {
    const char *name;
    unsigned bit;
} placeholders[] = {
    {"first_name", RENDER_USES_FIRST_NAME},
    {"last_order", RENDER_USES_LAST_ORDER},
    {"discount_code", RENDER_USES_DISCOUNT_CODE},
};

struct open_tag {
    enum tag tag;
    size_t src; /* byte offset of its '<' in the template */
    size_t ent; /* its slot in ents, or NO_ENT when it makes none */
};

struct parser {
    const unsigned char *s;
    size_t n, i;
    const struct render_vars *vars;
    struct render_error *err;

    char *out; /* NUL-terminated once the pass ends */
    size_t out_len, out_cap;
    int32_t u16; /* UTF-16 length of out */

    struct entity *ents;
    size_t n_ents, cap_ents;

    struct open_tag *stack;
    size_t depth, cap_stack;
    unsigned open_count[N_ENT_TYPES]; /* open tags per entity type */

    unsigned pending_nl; /* line breaks owed before the next text */
    unsigned pending_br; /* how many of them came from <br> since the last text */
    bool after_p;        /* just after </p>: whitespace here is layout, not text */
    unsigned uses;

    bool want_links;
    char **links;
    size_t n_links, cap_links;
    size_t *slots; /* open-addressing set of indexes into links; NO_ENT = empty */
    size_t n_slots;
};

/* ---- errors ---- */

/* 1-based position of template byte off, counted in characters (the template is valid UTF-8 up
 * to off when this is called). */
static unsigned long charpos(const struct parser *p, size_t off)
{
    unsigned long chars = 1;
    for (size_t k = 0; k < off && k < p->n; k++)
        if ((p->s[k] & 0xC0) != 0x80) chars++;
    return chars;
}

__attribute__((format(printf, 2, 3))) static int fail(struct parser *p, const char *fmt, ...)
{
    if (p->err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->err->message, sizeof p->err->message, fmt, ap);
        va_end(ap);
    }
    return TGR_ERR;
}

static int oom(struct parser *p)
{
    return fail(p, "out of memory while rendering the message");
}

/* A piece of the (valid UTF-8) template for an error message: at most 32 bytes, cut at a
 * character boundary, control characters shown as '?'. dst must hold 40 bytes. */
static void snip(char *dst, const unsigned char *s, size_t len)
{
    size_t keep = len < 32 ? len : 32, o = 0;
    while (keep < len && keep > 0 && (s[keep] & 0xC0) == 0x80)
        keep--;
    for (size_t k = 0; k < keep; k++)
        dst[o++] = (s[k] < 0x20 || s[k] == 0x7F) ? '?' : (char)s[k];
    if (keep < len) {
        memcpy(dst + o, "\xE2\x80\xA6", 3); /* … */
        o += 3;
    }
    dst[o] = 0;
}

/* ---- growable arrays ---- */

/* Make room for need elements. Returns the (possibly moved) array, or NULL with arr untouched. */
static void *grow(void *arr, size_t *cap, size_t need, size_t size)
{
    if (need <= *cap && arr) return arr;
    size_t ncap = *cap ? *cap : 16;
    while (ncap < need)
        ncap *= 2;
    void *na = reallocarray(arr, ncap, size);
    if (na) *cap = ncap;
    return na;
}

/* ---- output ---- */

static int put_raw(struct parser *p, const char *b, size_t len)
{
    if (p->out_len + len + 1 > MAX_OUTPUT)
        return fail(p, "the message is longer than %u bytes once placeholders are filled in", MAX_OUTPUT);
    char *no = grow(p->out, &p->out_cap, p->out_len + len + 1, 1);
    if (!no) return oom(p);
    p->out = no;
    memcpy(p->out + p->out_len, b, len);
    p->out_len += len;
    /* Lead bytes count one unit, 4-byte leads (astral characters) two; continuations none. */
    for (size_t k = 0; k < len; k++) {
        unsigned char c = (unsigned char)b[k];
        if ((c & 0xC0) != 0x80) p->u16 += c >= 0xF0 ? 2 : 1;
    }
    return TGR_OK;
}

static int flush_breaks(struct parser *p)
{
    for (; p->pending_nl; p->pending_nl--)
        if (put_raw(p, "\n", 1) != TGR_OK) return TGR_ERR;
    p->pending_br = 0;
    return TGR_OK;
}

static int put(struct parser *p, const char *b, size_t len)
{
    if (!len) return TGR_OK;
    if (flush_breaks(p) != TGR_OK) return TGR_ERR;
    return put_raw(p, b, len);
}

/* A recipient's value: plain text, with invalid UTF-8 replaced by U+FFFD. */
static int put_value(struct parser *p, const char *v)
{
    const unsigned char *u = (const unsigned char *)v;
    size_t n = strlen(v), run = 0;
    for (size_t k = 0; k < n;) {
        uint32_t cp;
        size_t len = utf8_next(u + k, n - k, &cp);
        if (cp == BAD_CP) {
            if (put(p, v + run, k - run) != TGR_OK || put(p, "\xEF\xBF\xBD", 3) != TGR_OK) return TGR_ERR;
            run = k + len;
        }
        k += len;
    }
    return put(p, v + run, n - run);
}

static int bad_ref(struct parser *p, size_t at, size_t used)
{
    char ref[40];
    snip(ref, p->s + at, used);
    return fail(p, "invalid character reference %s at character %lu", ref, charpos(p, at));
}

static int text_ref(struct parser *p)
{
    char b[4];
    size_t blen = 0, used = 0;
    switch (charref(p->s, p->n, p->i, b, &blen, &used)) {
    case REF_OK:
        p->i += used;
        return put(p, b, blen);
    case REF_BAD:
        return bad_ref(p, p->i, used);
    case REF_NONE:
        break;
    }
    p->i++;
    return put(p, "&", 1);
}

/* ---- links (the URL rule is core/text.c) ---- */

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* Remember a distinct href; the set keeps render_links linear on link-heavy templates. */
static int add_link(struct parser *p, const char *url)
{
    if ((p->n_links + 1) * 2 > p->n_slots) {
        size_t ns = p->n_slots ? p->n_slots * 2 : 64;
        size_t *slots = malloc(ns * sizeof *slots);
        if (!slots) return oom(p);
        for (size_t k = 0; k < ns; k++)
            slots[k] = NO_ENT;
        for (size_t k = 0; k < p->n_links; k++) {
            size_t h = (size_t)(hash_str(p->links[k]) & (ns - 1));
            while (slots[h] != NO_ENT)
                h = (h + 1) & (ns - 1);
            slots[h] = k;
        }
        free(p->slots);
        p->slots = slots;
        p->n_slots = ns;
    }
    size_t h = (size_t)(hash_str(url) & (p->n_slots - 1));
    for (; p->slots[h] != NO_ENT; h = (h + 1) & (p->n_slots - 1))
        if (!strcmp(p->links[p->slots[h]], url)) return TGR_OK;
    char **nl = grow(p->links, &p->cap_links, p->n_links + 1, sizeof *nl);
    if (!nl) return oom(p);
    p->links = nl;
    if (!(p->links[p->n_links] = strdup(url))) return oom(p);
    p->slots[h] = p->n_links++;
    return TGR_OK;
}

/* Decode and check the href of the <a> at template byte at; *url is malloc'd on success. */
static int take_href(struct parser *p, size_t at, size_t vs, size_t vlen, char **url)
{
    char *d = malloc(vlen + 1);
    size_t o = 0;
    if (!d) return oom(p);
    for (size_t k = vs; k < vs + vlen;) {
        char b[4];
        size_t blen = 0, used = 0;
        enum ref r = p->s[k] == '&' ? charref(p->s, vs + vlen, k, b, &blen, &used) : REF_NONE;
        if (r == REF_BAD) {
            free(d);
            return bad_ref(p, k, used);
        }
        if (r == REF_OK) {
            memcpy(d + o, b, blen); /* a reference is never shorter than its character */
            o += blen;
            k += used;
        } else {
            d[o++] = (char)p->s[k++];
        }
    }
    d[o] = 0;
    const char *why = url_problem(d, o);
    if (why) {
        free(d);
        return fail(p, "%s (at character %lu)", why, charpos(p, at));
    }
    *url = d;
    return TGR_OK;
}

/* ---- tags ---- */

static bool is_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == ':';
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static bool eq_ci(const unsigned char *s, size_t len, const char *word)
{
    return strlen(word) == len && text_prefix_ci((const char *)s, len, word);
}

static int find_tag(const unsigned char *s, size_t len)
{
    for (int t = 0; t < N_TAGS; t++)
        if (eq_ci(s, len, tags[t].name)) return t;
    return -1;
}

static int open_tag(struct parser *p, enum tag t, size_t at, char *url)
{
    struct open_tag *ns = grow(p->stack, &p->cap_stack, p->depth + 1, sizeof *ns);
    if (!ns) {
        free(url);
        return oom(p);
    }
    p->stack = ns;
    struct open_tag *top = &p->stack[p->depth++];
    top->tag = t;
    top->src = at;
    top->ent = NO_ENT;
    if (t == T_P) {
        /* A <br> right before a paragraph adds nothing, and a paragraph starts on a new line. */
        if (p->pending_br) {
            p->pending_nl--;
            p->pending_br = 0;
        }
        if (!p->pending_nl && p->out_len && p->out[p->out_len - 1] != '\n') p->pending_nl = 1;
        return TGR_OK;
    }
    enum entity_type et = (enum entity_type)tags[t].ent;
    if (flush_breaks(p) != TGR_OK) {
        free(url);
        return TGR_ERR;
    }
    /* Self-nesting adds nothing to the outer entity, and <code> inside <pre> is how editors spell a
     * code block: in both cases the inner tag makes no entity of its own. */
    bool redundant = p->open_count[et] > 0 || (et == ENT_CODE && p->open_count[ENT_PRE] > 0);
    p->open_count[et]++;
    if (redundant) {
        free(url);
        return TGR_OK;
    }
    struct entity *ne = grow(p->ents, &p->cap_ents, p->n_ents + 1, sizeof *ne);
    if (!ne) {
        free(url);
        return oom(p);
    }
    p->ents = ne;
    top->ent = p->n_ents++;
    p->ents[top->ent] = (struct entity){.type = et, .offset = p->u16, .length = 0, .url = url};
    return TGR_OK;
}

static int close_tag(struct parser *p, enum tag t, size_t at)
{
    const char *name = tags[t].name;
    if (t == T_BR) return fail(p, "</br> at character %lu: <br> has no closing tag", charpos(p, at));
    if (!p->depth || p->stack[p->depth - 1].tag != t) {
        for (size_t k = p->depth; k-- > 0;)
            if (p->stack[k].tag == t) {
                const struct open_tag *top = &p->stack[p->depth - 1];
                return fail(p,
                            "misnested tags: </%s> at character %lu closes <%s> while <%s> (character %lu) "
                            "is still open",
                            name, charpos(p, at), name, tags[top->tag].name, charpos(p, top->src));
            }
        return fail(p, "</%s> at character %lu has no opening <%s>", name, charpos(p, at), name);
    }
    const struct open_tag *top = &p->stack[--p->depth];
    if (t == T_P) {
        /* The <br> an editor leaves at the end of a paragraph is not a line of its own. */
        if (p->pending_br) {
            p->pending_nl--;
            p->pending_br = 0;
        }
        p->pending_nl++;
        p->after_p = true;
        return TGR_OK;
    }
    p->open_count[tags[t].ent]--;
    if (top->ent != NO_ENT) p->ents[top->ent].length = p->u16 - p->ents[top->ent].offset;
    return TGR_OK;
}

/* The tag at s[i] == '<'. */
static int tag(struct parser *p)
{
    const unsigned char *s = p->s;
    size_t n = p->n, at = p->i, j = at + 1, href = 0, href_len = 0;
    bool closing = false, self_closing = false, has_href = false;
    if (j < n && s[j] == '/') {
        closing = true;
        j++;
    }
    size_t name = j;
    while (j < n && is_name_char(s[j]))
        j++;
    if (j == name)
        return fail(p, "unknown tag at character %lu (write &lt; for a literal \"<\")", charpos(p, at));
    int ti = find_tag(s + name, j - name);
    if (ti < 0) {
        char nm[40];
        snip(nm, s + name, j - name);
        return fail(p, "unknown tag <%s%s> at character %lu", closing ? "/" : "", nm, charpos(p, at));
    }
    enum tag t = (enum tag)ti;
    const char *tn = tags[t].name, *slash = closing ? "/" : "";
    for (;;) {
        bool spaced = false;
        while (j < n && is_space(s[j])) {
            j++;
            spaced = true;
        }
        if (j >= n || s[j] == '<')
            return fail(p, "<%s%s at character %lu is not closed with \">\"", slash, tn, charpos(p, at));
        if (s[j] == '>') {
            j++;
            break;
        }
        if (s[j] == '/' && j + 1 < n && s[j + 1] == '>') {
            self_closing = true;
            j += 2;
            break;
        }
        if (s[j] == '{' && j + 1 < n && s[j + 1] == '{')
            return fail(p, "placeholders are not allowed inside tags (<%s%s> at character %lu)", slash, tn,
                        charpos(p, at));
        if (!spaced || !is_name_char(s[j]))
            return fail(p, "malformed tag <%s%s> at character %lu", slash, tn, charpos(p, at));
        size_t an = j;
        while (j < n && is_name_char(s[j]))
            j++;
        size_t an_len = j - an;
        char attr[40];
        snip(attr, s + an, an_len);
        while (j < n && is_space(s[j]))
            j++;
        bool has_eq = j < n && s[j] == '=';
        if (has_eq) j++;
        while (has_eq && j < n && is_space(s[j]))
            j++;
        if (j >= n)
            return fail(p, "<%s%s at character %lu is not closed with \">\"", slash, tn, charpos(p, at));
        if (!has_eq || j >= n || (s[j] != '"' && s[j] != '\''))
            return fail(p, "attribute %s of <%s%s> at character %lu needs a quoted value (%s=\"…\")", attr,
                        slash, tn, charpos(p, at), attr);
        unsigned char q = s[j++];
        size_t vs = j;
        while (j < n && s[j] != q)
            j++;
        if (j >= n)
            return fail(p, "<%s%s at character %lu is not closed with \">\"", slash, tn, charpos(p, at));
        size_t vlen = j++ - vs;
        if (memmem(s + vs, vlen, "{{", 2))
            return fail(p, "placeholders are not allowed inside tags (<%s%s> at character %lu)", slash, tn,
                        charpos(p, at));
        if (closing)
            return fail(p, "closing tag </%s> at character %lu cannot have attributes", tn, charpos(p, at));
        if (t == T_A && eq_ci(s + an, an_len, "href")) {
            if (has_href) return fail(p, "<a> at character %lu has two href attributes", charpos(p, at));
            has_href = true;
            href = vs;
            href_len = vlen;
        } else if (t == T_A && (eq_ci(s + an, an_len, "rel") || eq_ci(s + an, an_len, "target"))) {
            /* What rich-text editors add to links; meaningless in Telegram. */
        } else if (t == T_CODE && p->open_count[ENT_PRE] && eq_ci(s + an, an_len, "class")) {
            /* <pre><code class="language-x">: the language is not kept. */
        } else {
            return fail(p, "attribute %s is not allowed on <%s> (at character %lu)", attr, tn,
                        charpos(p, at));
        }
    }
    p->i = j;
    if (closing) {
        if (self_closing) return fail(p, "malformed tag </%s/> at character %lu", tn, charpos(p, at));
        return close_tag(p, t, at);
    }
    if (t == T_BR) {
        p->pending_nl++;
        p->pending_br++;
        return TGR_OK;
    }
    if (self_closing)
        return fail(p, "<%s/> at character %lu: only <br> can close itself", tn, charpos(p, at));
    char *url = NULL;
    if (t == T_A) {
        if (!has_href) return fail(p, "<a> at character %lu needs an href", charpos(p, at));
        if (p->open_count[ENT_TEXT_URL])
            return fail(p, "links cannot be nested (<a> at character %lu)", charpos(p, at));
        if (take_href(p, at, href, href_len, &url) != TGR_OK) return TGR_ERR;
        if (p->want_links && add_link(p, url) != TGR_OK) {
            free(url);
            return TGR_ERR;
        }
    }
    return open_tag(p, t, at, url);
}

/* ---- placeholders ---- */

const struct render_vars render_as_written = {NULL, NULL, NULL};

/* The placeholder at s[i] == s[i+1] == '{'. */
static int placeholder(struct parser *p)
{
    const unsigned char *s = p->s;
    size_t n = p->n, at = p->i, j = at + 2;
    for (; j < n; j++) {
        if (s[j] == '}' && j + 1 < n && s[j + 1] == '}') break;
        if (s[j] == '{' && j + 1 < n && s[j + 1] == '{') break;
        if (s[j] == '<')
            return fail(p, "placeholder at character %lu contains \"<\" (is its \"}}\" missing?)",
                        charpos(p, at));
    }
    if (j >= n || s[j] != '}') return fail(p, "{{ at character %lu is never closed with }}", charpos(p, at));
    size_t end = j, ns = at + 2;
    const unsigned char *bar = memchr(s + ns, '|', end - ns);
    size_t ne = bar ? (size_t)(bar - s) : end;
    while (ns < ne && (s[ns] == ' ' || s[ns] == '\t'))
        ns++;
    while (ne > ns && (s[ne - 1] == ' ' || s[ne - 1] == '\t'))
        ne--;
    size_t k = 0, count = sizeof placeholders / sizeof placeholders[0];
    while (k < count &&
           !(strlen(placeholders[k].name) == ne - ns && !memcmp(s + ns, placeholders[k].name, ne - ns)))
        k++;
    if (k == count) {
        char nm[40];
        snip(nm, s + ns, ne - ns);
        return fail(
            p, "unknown placeholder {{%s}} at character %lu (known: first_name, last_order, discount_code)",
            nm, charpos(p, at));
    }
    p->uses |= placeholders[k].bit;
    p->i = end + 2;
    if (p->vars == &render_as_written) {
        const char *nm = placeholders[k].name;
        if (put(p, "{{", 2) != TGR_OK || put(p, nm, strlen(nm)) != TGR_OK) return TGR_ERR;
        if (bar && put(p, (const char *)bar, (size_t)(s + end - bar)) != TGR_OK) return TGR_ERR;
        return put(p, "}}", 2);
    }
    const char *v = NULL;
    if (p->vars) v = k == 0 ? p->vars->first_name : k == 1 ? p->vars->last_order : p->vars->discount_code;
    if (v && *v) return put_value(p, v);
    if (bar) return put(p, (const char *)bar + 1, (size_t)(s + end - bar - 1));
    return TGR_OK;
}

/* ---- the pass ---- */

static int text_run(struct parser *p)
{
    size_t j = p->i;
    while (j < p->n && p->s[j] != '<' && p->s[j] != '&' &&
           !(p->s[j] == '{' && j + 1 < p->n && p->s[j + 1] == '{'))
        j++;
    int rc = put(p, (const char *)p->s + p->i, j - p->i);
    p->i = j;
    return rc;
}

static void drop_entity(struct entity *e)
{
    free(e->url);
    e->url = NULL;
}

static void parser_release(struct parser *p)
{
    free(p->out);
    for (size_t k = 0; k < p->n_ents; k++)
        drop_entity(&p->ents[k]);
    free(p->ents);
    free(p->stack);
    for (size_t k = 0; k < p->n_links; k++)
        free(p->links[k]);
    free(p->links);
    free(p->slots);
    memset(p, 0, sizeof *p);
}

/* Parse tmpl into p (always release p afterwards, whatever the outcome). */
static int run(struct parser *p, const char *tmpl, const struct render_vars *vars, bool want_links,
               struct render_error *err)
{
    memset(p, 0, sizeof *p);
    p->vars = vars;
    p->err = err;
    p->want_links = want_links;
    if (err) err->message[0] = 0;
    if (!tmpl) return fail(p, "the message is missing");
    p->s = (const unsigned char *)tmpl;
    p->n = strnlen(tmpl, MAX_TEMPLATE + 1);
    if (p->n > MAX_TEMPLATE) return fail(p, "the message template is longer than %d bytes", MAX_TEMPLATE);
    for (size_t k = 0; k < p->n;) {
        uint32_t cp;
        size_t len = utf8_next(p->s + k, p->n - k, &cp);
        if (cp == BAD_CP) return fail(p, "invalid UTF-8 at character %lu", charpos(p, k));
        k += len;
    }
    while (p->i < p->n) {
        unsigned char c = p->s[p->i];
        int rc;
        if (p->after_p && is_space(c)) {
            p->i++;
            continue;
        }
        p->after_p = false;
        if (c == '<')
            rc = tag(p);
        else if (c == '&')
            rc = text_ref(p);
        else if (c == '{' && p->i + 1 < p->n && p->s[p->i + 1] == '{')
            rc = placeholder(p);
        else
            rc = text_run(p);
        if (rc != TGR_OK) return rc;
    }
    if (p->depth) {
        const struct open_tag *top = &p->stack[p->depth - 1];
        return fail(p, "<%s> at character %lu is never closed", tags[top->tag].name, charpos(p, top->src));
    }
    /* Pending breaks are simply not written; line breaks typed at the very end go too, and the
     * entities that covered them are cut back (and dropped when nothing is left). */
    if (put_raw(p, "", 0) != TGR_OK) return TGR_ERR;
    while (p->out_len && (p->out[p->out_len - 1] == '\n' || p->out[p->out_len - 1] == '\r')) {
        p->out_len--;
        p->u16--;
    }
    p->out[p->out_len] = 0;
    size_t kept = 0;
    for (size_t k = 0; k < p->n_ents; k++) {
        struct entity e = p->ents[k];
        if (e.offset + e.length > p->u16) e.length = p->u16 - e.offset;
        if (e.length <= 0)
            drop_entity(&e);
        else
            p->ents[kept++] = e;
    }
    p->n_ents = kept;
    return TGR_OK;
}

int render_check(const char *tmpl, unsigned *uses, struct render_error *err)
{
    struct parser p;
    int rc = run(&p, tmpl, NULL, false, err);
    if (uses) *uses = rc == TGR_OK ? p.uses : 0;
    parser_release(&p);
    return rc;
}

int render_links(const char *tmpl, char ***urls, size_t *n, struct render_error *err)
{
    struct parser p;
    *urls = NULL;
    *n = 0;
    if (run(&p, tmpl, NULL, true, err) != TGR_OK) {
        parser_release(&p);
        return TGR_ERR;
    }
    *urls = p.links;
    *n = p.n_links;
    p.links = NULL;
    p.n_links = 0;
    parser_release(&p);
    return TGR_OK;
}

void render_links_free(char **urls, size_t n)
{
    for (size_t k = 0; k < n; k++)
        free(urls[k]);
    free(urls);
}

int render(const char *tmpl, const struct render_vars *vars, render_url_fn map_url, void *ctx,
           struct rendered *out, struct render_error *err)
{
    struct parser p;
    memset(out, 0, sizeof *out);
    if (run(&p, tmpl, vars, false, err) != TGR_OK) {
        parser_release(&p);
        return TGR_ERR;
    }
    for (size_t k = 0; map_url && k < p.n_ents; k++) {
        struct entity *e = &p.ents[k];
        if (e->type != ENT_TEXT_URL) continue;
        const char *mapped = map_url(ctx, e->url);
        if (!mapped) continue;
        char *copy = strdup(mapped);
        if (!copy) {
            oom(&p);
            parser_release(&p);
            return TGR_ERR;
        }
        free(e->url);
        e->url = copy;
    }
    out->text = p.out;
    out->utf16_len = p.u16;
    out->ents = p.ents;
    out->n_ents = p.n_ents;
    p.out = NULL;
    p.ents = NULL;
    p.n_ents = 0;
    parser_release(&p);
    return TGR_OK;
}

void rendered_release(struct rendered *r)
{
    if (!r) return;
    for (size_t k = 0; k < r->n_ents; k++)
        free(r->ents[k].url);
    free(r->ents);
    free(r->text);
    memset(r, 0, sizeof *r);
}

json_t *rendered_entities_json(const struct rendered *r)
{
    json_t *arr = json_array();
    for (size_t k = 0; arr && r && k < r->n_ents; k++) {
        const struct entity *e = &r->ents[k];
        json_t *o = json_pack("{s:s, s:i, s:i}", "type", ent_names[e->type], "offset", (int)e->offset,
                              "length", (int)e->length);
        if (o && e->type == ENT_TEXT_URL &&
            json_object_set_new(o, "url", json_string(e->url ? e->url : "")) != 0) {
            json_decref(o);
            o = NULL;
        }
        if (!o || json_array_append_new(arr, o) != 0) {
            json_decref(arr);
            return NULL;
        }
    }
    return arr;
}

void rendered_entities_put(const struct rendered *r, struct jsonout *o)
{
    jsonout_raw(o, "[");
    for (size_t k = 0; r && k < r->n_ents; k++) {
        const struct entity *e = &r->ents[k];
        jsonout_raw(o, k ? ",{\"type\":" : "{\"type\":");
        jsonout_str(o, ent_names[e->type]);
        jsonout_raw(o, ",\"offset\":");
        jsonout_int(o, e->offset);
        jsonout_raw(o, ",\"length\":");
        jsonout_int(o, e->length);
        if (e->type == ENT_TEXT_URL) {
            jsonout_raw(o, ",\"url\":");
            jsonout_str(o, e->url ? e->url : "");
        }
        jsonout_raw(o, "}");
    }
    jsonout_raw(o, "]");
}
