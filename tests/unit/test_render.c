/* test_render — campaign templates → text + entities as Telegram will show them: every tag, the
 * <br>/<p> line rules, escapes, placeholders (values, fallbacks, hostile values that must stay
 * literal), UTF-16 offsets around emoji, every way a template is refused (with the message a user
 * reads), link safety, tracking rewrite, link listing, and 64 KiB inputs. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/render.h"
#include "base/util.h"

/* Render tmpl (it must be valid) and check its text; the caller checks entities and releases. */
static struct rendered rendered_ok(const char *tmpl, const struct render_vars *v, const char *want)
{
    struct rendered r;
    struct render_error err;
    if (render(tmpl, v, NULL, NULL, &r, &err) != TGR_OK)
        fail_msg("render(\"%s\") failed: %s", tmpl, err.message);
    assert_string_equal(r.text, want);
    assert_int_equal(r.utf16_len, utf16_length(r.text, strlen(r.text)));
    if (render_check(tmpl, NULL, &err) != TGR_OK)
        fail_msg("render_check(\"%s\") failed: %s", tmpl, err.message);
    return r;
}

/* Just the text, for cases without entities. */
static void text_is(const char *tmpl, const struct render_vars *v, const char *want)
{
    struct rendered r = rendered_ok(tmpl, v, want);
    assert_int_equal(r.n_ents, 0);
    rendered_release(&r);
}

static void ent_is(const struct rendered *r, size_t k, enum entity_type type, int32_t offset, int32_t length)
{
    if (k >= r->n_ents) fail_msg("entity %zu missing (%zu entities)", k, r->n_ents);
    assert_int_equal(r->ents[k].type, type);
    assert_int_equal(r->ents[k].offset, offset);
    assert_int_equal(r->ents[k].length, length);
}

/* One tag around one word: a single entity covering it. */
static void one_entity(const char *tmpl, const char *want, enum entity_type type, int32_t offset,
                       int32_t length)
{
    struct rendered r = rendered_ok(tmpl, NULL, want);
    assert_int_equal(r.n_ents, 1);
    ent_is(&r, 0, type, offset, length);
    rendered_release(&r);
}

/* tmpl must be refused by render, render_check and render_links alike, with a message that
 * contains each of the given pieces (NULL-terminated). */
static void refused_(const char *tmpl, const char *want, ...)
{
    struct rendered r;
    struct render_error err;
    unsigned uses = 99;
    char *dummy[1] = {NULL};
    char **urls = dummy;
    size_t n = 99;
    if (render(tmpl, NULL, NULL, NULL, &r, &err) == TGR_OK)
        fail_msg("render(\"%s\") should have failed, gave \"%s\"", tmpl, r.text);
    assert_null(r.text);
    assert_null(r.ents);
    assert_true(utf16_length(err.message, strlen(err.message)) > 0);
    va_list ap;
    va_start(ap, want);
    for (const char *w = want; w; w = va_arg(ap, const char *))
        if (!strstr(err.message, w))
            fail_msg("message for \"%s\" is \"%s\", expected it to mention \"%s\"", tmpl, err.message, w);
    va_end(ap);
    struct render_error err2;
    assert_int_equal(render_check(tmpl, &uses, &err2), TGR_ERR);
    assert_string_equal(err2.message, err.message);
    assert_int_equal(uses, 0);
    assert_int_equal(render_links(tmpl, &urls, &n, &err2), TGR_ERR);
    assert_null(urls);
    assert_int_equal(n, 0);
    assert_string_equal(err2.message, err.message);
}
#define refused(tmpl, ...) refused_(tmpl, __VA_ARGS__, (const char *)NULL)

static void href_refused(const char *href, const char *want)
{
    char tmpl[256];
    snprintf(tmpl, sizeof tmpl, "Go <a href=\"%s\">here</a>", href);
    refused(tmpl, want, "at character 4");
}

/* ---- plain text and tags ---- */

static void test_plain_text(void **state)
{
    struct rendered r = rendered_ok("Hello, world > all", NULL, "Hello, world > all");
    assert_int_equal(r.n_ents, 0);
    assert_int_equal(r.utf16_len, 18);
    rendered_release(&r);
    text_is("", NULL, "");
    text_is("{x} } { }} a{b", NULL, "{x} } { }} a{b");
    text_is("100% > 99% ; 'quotes' \"double\"", NULL, "100% > 99% ; 'quotes' \"double\"");
}

static void test_each_tag(void **state)
{
    one_entity("a <b>bold</b>", "a bold", ENT_BOLD, 2, 4);
    one_entity("a <strong>bold</strong>", "a bold", ENT_BOLD, 2, 4);
    one_entity("a <i>it</i>", "a it", ENT_ITALIC, 2, 2);
    one_entity("a <em>it</em>", "a it", ENT_ITALIC, 2, 2);
    one_entity("a <u>un</u>", "a un", ENT_UNDERLINE, 2, 2);
    one_entity("a <s>st</s>", "a st", ENT_STRIKETHROUGH, 2, 2);
    one_entity("a <code>x = 1</code>", "a x = 1", ENT_CODE, 2, 5);
    one_entity("a <pre>line1\nline2</pre>", "a line1\nline2", ENT_PRE, 2, 11);
    /* Tag names are case-insensitive, also between the opening and closing tag. */
    one_entity("<B>x</b> y", "x y", ENT_BOLD, 0, 1);
    one_entity("<StRoNg>x</STRONG>", "x", ENT_BOLD, 0, 1);
    one_entity("<b >x</b >", "x", ENT_BOLD, 0, 1);
}

static void test_link(void **state)
{
    struct rendered r = rendered_ok("Buy <a href=\"https://shop.example/sale\">now</a>!", NULL, "Buy now!");
    assert_int_equal(r.n_ents, 1);
    ent_is(&r, 0, ENT_TEXT_URL, 4, 3);
    assert_string_equal(r.ents[0].url, "https://shop.example/sale");
    rendered_release(&r);

    /* What an editor writes: single or double quotes, rel and target, escaped '&' in the query. */
    r = rendered_ok(
        "<A HREF='https://shop.example/?a=1&amp;b=2' rel=\"noopener noreferrer\" target=\"_blank\">x</a>",
        NULL, "x");
    ent_is(&r, 0, ENT_TEXT_URL, 0, 1);
    assert_string_equal(r.ents[0].url, "https://shop.example/?a=1&b=2");
    rendered_release(&r);

    /* A bare '&' in a URL is literal, as in the text. */
    r = rendered_ok("<a href = \"https://x.example/?a=1&b=2\">x</a>", NULL, "x");
    assert_string_equal(r.ents[0].url, "https://x.example/?a=1&b=2");
    rendered_release(&r);

    /* Empty link text is allowed and makes no entity. */
    text_is("<a href=\"https://x.example/\"></a>after", NULL, "after");
}

static void test_links_accepted(void **state)
{
    static const char *const ok[] = {
        "https://shop.example/sale",
        "http://127.0.0.1:8080/x",
        "https://[::1]:8443/",
        "tg://resolve?domain=shop",
        "https://\xd0\xbf\xd1\x80\xd0\xb8\xd0\xbc\xd0\xb5\xd1\x80.\xd1\x80\xd1\x84/\xd0\xbf",
        "HTTPS://Shop.Example/Sale?q=1#top",
        "https://x.example",
        "https://x.example?q",
        "https://x.example#f",
        "https://a.example/path%20with%20escapes",
    };
    for (size_t k = 0; k < sizeof ok / sizeof ok[0]; k++) {
        char tmpl[256];
        snprintf(tmpl, sizeof tmpl, "<a href=\"%s\">x</a>", ok[k]);
        struct rendered r = rendered_ok(tmpl, NULL, "x");
        ent_is(&r, 0, ENT_TEXT_URL, 0, 1);
        assert_string_equal(r.ents[0].url, ok[k]);
        rendered_release(&r);
    }
    /* The longest link allowed is 2048 bytes. */
    char tmpl[2200], url[2100];
    memset(url, 'a', sizeof url);
    memcpy(url, "https://x.example/", 18);
    url[2048] = 0;
    snprintf(tmpl, sizeof tmpl, "<a href=\"%s\">x</a>", url);
    struct rendered r = rendered_ok(tmpl, NULL, "x");
    assert_string_equal(r.ents[0].url, url);
    rendered_release(&r);
    url[2048] = 'a';
    url[2049] = 0;
    snprintf(tmpl, sizeof tmpl, "<a href=\"%s\">x</a>", url);
    refused(tmpl, "link is longer than 2048", "at character 1");
}

static void test_nested_tags(void **state)
{
    struct rendered r = rendered_ok("<b><i>x</i></b>", NULL, "x");
    assert_int_equal(r.n_ents, 2);
    ent_is(&r, 0, ENT_BOLD, 0, 1); /* same start: the outer one first */
    ent_is(&r, 1, ENT_ITALIC, 0, 1);
    rendered_release(&r);

    r = rendered_ok("<b>a<i>b<u>c</u></i>d</b><s>e</s>", NULL, "abcde");
    assert_int_equal(r.n_ents, 4);
    ent_is(&r, 0, ENT_BOLD, 0, 4);
    ent_is(&r, 1, ENT_ITALIC, 1, 2);
    ent_is(&r, 2, ENT_UNDERLINE, 2, 1);
    ent_is(&r, 3, ENT_STRIKETHROUGH, 4, 1);
    rendered_release(&r);

    /* A link can carry formatting and sit inside it. */
    r = rendered_ok("<b>Go <a href=\"https://x.example\"><i>now</i></a></b>", NULL, "Go now");
    assert_int_equal(r.n_ents, 3);
    ent_is(&r, 0, ENT_BOLD, 0, 6);
    ent_is(&r, 1, ENT_TEXT_URL, 3, 3);
    ent_is(&r, 2, ENT_ITALIC, 3, 3);
    rendered_release(&r);

    /* Self-nesting is allowed; the inner tag adds nothing. */
    r = rendered_ok("<b>a<b>b</b>c</b>", NULL, "abc");
    assert_int_equal(r.n_ents, 1);
    ent_is(&r, 0, ENT_BOLD, 0, 3);
    rendered_release(&r);
    r = rendered_ok("<b>a<strong>b</strong></b><strong>c</strong>", NULL, "abc");
    assert_int_equal(r.n_ents, 2);
    ent_is(&r, 0, ENT_BOLD, 0, 2);
    ent_is(&r, 1, ENT_BOLD, 2, 1);
    rendered_release(&r);

    /* A code block as editors write it is one pre entity. */
    r = rendered_ok("<pre><code class=\"language-c\">int x;</code></pre>", NULL, "int x;");
    assert_int_equal(r.n_ents, 1);
    ent_is(&r, 0, ENT_PRE, 0, 6);
    rendered_release(&r);
    r = rendered_ok("<pre><code>a</code></pre>", NULL, "a");
    assert_int_equal(r.n_ents, 1);
    ent_is(&r, 0, ENT_PRE, 0, 1);
    rendered_release(&r);
}

/* ---- Unicode and UTF-16 offsets ---- */

static void test_emoji_offsets(void **state)
{
    struct rendered r = rendered_ok("\xf0\x9f\x91\x8d<b>hi</b>", NULL, "\xf0\x9f\x91\x8dhi");
    ent_is(&r, 0, ENT_BOLD, 2, 2);
    assert_int_equal(r.utf16_len, 4);
    rendered_release(&r);

    /* Inside an entity an emoji counts two units. */
    r = rendered_ok("<b>a\xf0\x9f\x98\x80z</b> <i>\xf0\x9f\x8e\x89</i>", NULL,
                    "a\xf0\x9f\x98\x80z \xf0\x9f\x8e\x89");
    ent_is(&r, 0, ENT_BOLD, 0, 4);
    ent_is(&r, 1, ENT_ITALIC, 5, 2);
    assert_int_equal(r.utf16_len, 7);
    rendered_release(&r);

    /* Flags and families are several code points; each astral one counts two. */
    r = rendered_ok("\xf0\x9f\x87\xa9\xf0\x9f\x87\xaa<u>x</u>", NULL, "\xf0\x9f\x87\xa9\xf0\x9f\x87\xaax");
    ent_is(&r, 0, ENT_UNDERLINE, 4, 1);
    rendered_release(&r);
}

static void test_cyrillic_cjk(void **state)
{
    /* "Привет <b>мир</b>": BMP letters are one unit each. */
    struct rendered r =
        rendered_ok("\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 <b>\xd0\xbc\xd0\xb8\xd1\x80</b>", NULL,
                    "\xd0\x9f\xd1\x80\xd0\xb8\xd0\xb2\xd0\xb5\xd1\x82 \xd0\xbc\xd0\xb8\xd1\x80");
    ent_is(&r, 0, ENT_BOLD, 7, 3);
    assert_int_equal(r.utf16_len, 10);
    rendered_release(&r);

    /* "你好<i>世界</i>" */
    r = rendered_ok("\xe4\xbd\xa0\xe5\xa5\xbd<i>\xe4\xb8\x96\xe7\x95\x8c</i>", NULL,
                    "\xe4\xbd\xa0\xe5\xa5\xbd\xe4\xb8\x96\xe7\x95\x8c");
    ent_is(&r, 0, ENT_ITALIC, 2, 2);
    rendered_release(&r);
}

static void test_utf16_length(void **state)
{
    assert_int_equal(utf16_length("", 0), 0);
    assert_int_equal(utf16_length(NULL, 0), 0);
    assert_int_equal(utf16_length(NULL, 3), -1);
    assert_int_equal(utf16_length("abc", 3), 3);
    assert_int_equal(utf16_length("abc", 2), 2);
    assert_int_equal(utf16_length("\xc3\xa9", 2), 1);         /* é */
    assert_int_equal(utf16_length("\xe2\x82\xac", 3), 1);     /* € */
    assert_int_equal(utf16_length("\xf0\x9f\x91\x8d", 4), 2); /* 👍 */
    assert_int_equal(utf16_length("a\xf0\x9f\x91\x8d"
                                  "b",
                                  6),
                     4);                                       /* a👍b */
    assert_int_equal(utf16_length("\xf4\x8f\xbf\xbf", 4), 2);  /* U+10FFFF */
    assert_int_equal(utf16_length("a\0b", 3), 3);              /* NUL is a character */
    assert_int_equal(utf16_length("\xff", 1), -1);             /* never valid */
    assert_int_equal(utf16_length("\x80", 1), -1);             /* lone continuation */
    assert_int_equal(utf16_length("\xc0\x80", 2), -1);         /* overlong NUL */
    assert_int_equal(utf16_length("\xe0\x80\xaf", 3), -1);     /* overlong '/' */
    assert_int_equal(utf16_length("\xed\xa0\x80", 3), -1);     /* surrogate */
    assert_int_equal(utf16_length("\xf4\x90\x80\x80", 4), -1); /* above U+10FFFF */
    assert_int_equal(utf16_length("\xf0\x9f\x91", 3), -1);     /* truncated */
    assert_int_equal(utf16_length("\xf0\x9f\x91\x8d", 3), -1); /* cut by len */
}

/* ---- line breaks ---- */

static void test_newlines_kept(void **state)
{
    struct rendered r = rendered_ok("a\n<b>b\nc</b>\n\nd", NULL, "a\nb\nc\n\nd");
    ent_is(&r, 0, ENT_BOLD, 2, 3);
    rendered_release(&r);
    text_is("\n\nleading kept", NULL, "\n\nleading kept");
}

static void test_br(void **state)
{
    text_is("a<br>b<br/>c<br />d<BR>e<Br  />f", NULL, "a\nb\nc\nd\ne\nf");
    text_is("a<br><br>b", NULL, "a\n\nb");
    /* A break inside an entity is part of it; one just before the closing tag is not. */
    struct rendered r = rendered_ok("<b>a<br>b</b>", NULL, "a\nb");
    ent_is(&r, 0, ENT_BOLD, 0, 3);
    rendered_release(&r);
    r = rendered_ok("<b>a<br></b>b", NULL, "a\nb");
    ent_is(&r, 0, ENT_BOLD, 0, 1);
    rendered_release(&r);
    r = rendered_ok("a<br><i>b</i>", NULL, "a\nb");
    ent_is(&r, 0, ENT_ITALIC, 2, 1);
    rendered_release(&r);
}

static void test_paragraphs(void **state)
{
    text_is("<p>A</p><p>B</p>", NULL, "A\nB");
    text_is("<p>A</p><p><br></p><p>B</p>", NULL, "A\n\nB");
    text_is("<p>A</p><p><br></p><p><br></p><p>B</p>", NULL, "A\n\n\nB");
    text_is("<p>A<br>B</p><p>C</p>", NULL, "A\nB\nC");
    text_is("<p>A<br></p><p>B</p>", NULL, "A\nB");
    text_is("<P>A</P>", NULL, "A");
    text_is("Hello<p>A</p>World", NULL, "Hello\nA\nWorld");
    text_is("Hello\n<p>A</p>", NULL, "Hello\nA");
    /* Whitespace laid out between paragraphs is not text. */
    text_is("<p>A</p>\n  <p>B</p>\n", NULL, "A\nB");
    text_is("<p><br></p><p>A</p>", NULL, "\nA");

    /* Formatting inside paragraphs keeps its offsets; an entity never swallows the break. */
    struct rendered r = rendered_ok("<p><b>A</b></p><p><i>B</i></p>", NULL, "A\nB");
    ent_is(&r, 0, ENT_BOLD, 0, 1);
    ent_is(&r, 1, ENT_ITALIC, 2, 1);
    rendered_release(&r);
    r = rendered_ok("<b><p>A</p><p>B</p></b>", NULL, "A\nB");
    assert_int_equal(r.n_ents, 1);
    ent_is(&r, 0, ENT_BOLD, 0, 3);
    rendered_release(&r);

    /* What a rich-text editor sends. */
    r = rendered_ok("<p>Hi <strong>Anna</strong>,</p><p><br></p><p>Spring sale: <a "
                    "href=\"https://shop.example/sale\" rel=\"noopener noreferrer\" target=\"_blank\">shop "
                    "now</a></p><p><br></p>",
                    NULL, "Hi Anna,\n\nSpring sale: shop now");
    assert_int_equal(r.n_ents, 2);
    ent_is(&r, 0, ENT_BOLD, 3, 4);
    ent_is(&r, 1, ENT_TEXT_URL, 23, 8);
    rendered_release(&r);
}

static void test_trailing_newlines(void **state)
{
    text_is("Hi\n\n", NULL, "Hi");
    text_is("Hi\r\n", NULL, "Hi");
    text_is("Hi<br><br>", NULL, "Hi");
    text_is("\n\n", NULL, "");
    /* An entity that covered them is cut back, or dropped when nothing is left. */
    struct rendered r = rendered_ok("<b>Hi\n</b>\n", NULL, "Hi");
    assert_int_equal(r.n_ents, 1);
    ent_is(&r, 0, ENT_BOLD, 0, 2);
    rendered_release(&r);
    text_is("Hi<i>\n\n</i>", NULL, "Hi");
    text_is("<b></b>x<i></i>", NULL, "x");
}

/* ---- escapes ---- */

static void test_escapes(void **state)
{
    text_is("&lt;b&gt; &amp; &quot;q&quot; &#39;a&apos; x&nbsp;y &#1055; &#x1F44D; &#X41;&#x4a;", NULL,
            "<b> & \"q\" 'a' x\xc2\xa0y \xd0\x9f \xf0\x9f\x91\x8d AJ");
    /* An '&' that starts no reference is literal. */
    text_is("AT&T &foo; &#; &#12 &#x; & &amp &LT; &", NULL, "AT&T &foo; &#; &#12 &#x; & &amp &LT; &");
    text_is("&&lt;&", NULL, "&<&");
    /* An escaped emoji still counts two units. */
    struct rendered r = rendered_ok("&#x1F44D;<b>x</b>&#128077;", NULL, "\xf0\x9f\x91\x8dx\xf0\x9f\x91\x8d");
    ent_is(&r, 0, ENT_BOLD, 2, 1);
    rendered_release(&r);
    /* Escaped markup is text, not markup. */
    text_is("&lt;script&gt;alert(1)&lt;/script&gt; &#123;&#123;first_name}}", NULL,
            "<script>alert(1)</script> {{first_name}}");
}

/* ---- placeholders ---- */

static void test_placeholders_with_values(void **state)
{
    const char *tmpl =
        "<b>Hi {{first_name|there}}</b>, your last order was {{last_order}}. Code: {{discount_code}} "
        "<a href=\"https://shop.example/sale\">Shop now</a>";
    struct render_vars v = {"Anna",
                            "#1042 (\xe2\x82\xac"
                            "19.99)",
                            "SPRING-A1"};
    struct rendered r = rendered_ok(tmpl, &v,
                                    "Hi Anna, your last order was #1042 (\xe2\x82\xac"
                                    "19.99). Code: SPRING-A1 Shop now");
    assert_int_equal(r.n_ents, 2);
    ent_is(&r, 0, ENT_BOLD, 0, 7);
    ent_is(&r, 1, ENT_TEXT_URL, 61, 8);
    assert_string_equal(r.ents[1].url, "https://shop.example/sale");
    rendered_release(&r);

    unsigned uses = 0;
    struct render_error err;
    assert_int_equal(render_check(tmpl, &uses, &err), TGR_OK);
    assert_int_equal(uses, RENDER_USES_FIRST_NAME | RENDER_USES_LAST_ORDER | RENDER_USES_DISCOUNT_CODE);
    assert_int_equal(render_check("{{ discount_code }} x", &uses, &err), TGR_OK);
    assert_int_equal(uses, RENDER_USES_DISCOUNT_CODE);
    assert_int_equal(render_check("no placeholders", &uses, &err), TGR_OK);
    assert_int_equal(uses, 0);

    text_is("{{ first_name }}|{{\tlast_order\t}}|{{first_name | x }}", &v,
            "Anna|#1042 (\xe2\x82\xac"
            "19.99)|Anna");
    text_is("{{first_name}}{{first_name}}", &v, "AnnaAnna");
}

static void test_placeholders_missing(void **state)
{
    const char *tmpl = "Hi {{first_name|there}}, order {{last_order}}.";
    text_is(tmpl, NULL, "Hi there, order .");
    struct render_vars empty = {"", NULL, ""};
    text_is(tmpl, &empty, "Hi there, order .");
    text_is("Hi{{first_name|}}!", NULL, "Hi!");
    text_is("Hi {{first_name| dear friend }}!", NULL, "Hi  dear friend !");
    text_is("{{first_name|a|b}} {{first_name|>:}} {{first_name|&amp;}}", NULL, "a|b >: &amp;");
    /* A fallback with an emoji shifts what follows by two units. */
    struct rendered r =
        rendered_ok("{{first_name|\xd0\xb4\xd1\x80\xd1\x83\xd0\xb3 \xf0\x9f\x91\x8b}}, <b>x</b>", NULL,
                    "\xd0\xb4\xd1\x80\xd1\x83\xd0\xb3 \xf0\x9f\x91\x8b, x");
    ent_is(&r, 0, ENT_BOLD, 9, 1);
    rendered_release(&r);
}

/* render_as_written: placeholders stay as written, the name trimmed, the fallback kept as it is
 * (what the scorecard's best lines show); the markup around them is rendered as usual. */
static void test_placeholders_as_written(void **state)
{
    (void)state;
    struct rendered r = rendered_ok(
        "<b>Hi {{ first_name |there}}</b>, order {{last_order}}: {{discount_code| none }}!",
        &render_as_written, "Hi {{first_name|there}}, order {{last_order}}: {{discount_code| none }}!");
    ent_is(&r, 0, ENT_BOLD, 0, 23);
    rendered_release(&r);
    text_is("{{first_name|}} &amp; {{first_name|a|b}}", &render_as_written,
            "{{first_name|}} & {{first_name|a|b}}");
}

static void test_placeholders_hostile_values(void **state)
{
    /* A value is plain text: never markup, escapes or placeholders. */
    struct render_vars v = {"<b>{{first_name}}</b> &amp;", "{{discount_code}}", "}}{{"};
    struct rendered r = rendered_ok("Hi <i>{{first_name}}</i>! {{last_order}} {{discount_code}}", &v,
                                    "Hi <b>{{first_name}}</b> &amp;! {{discount_code}} }}{{");
    assert_int_equal(r.n_ents, 1);
    ent_is(&r, 0, ENT_ITALIC, 3, (int32_t)strlen(v.first_name));
    rendered_release(&r);

    /* An emoji in a value shifts the entities after it by two units, and one inside counts. */
    struct render_vars e = {"\xf0\x9f\x98\x80"
                            "Ann",
                            NULL, NULL};
    r = rendered_ok("Hi {{first_name}}! <b>Deal</b>", &e,
                    "Hi \xf0\x9f\x98\x80"
                    "Ann! Deal");
    ent_is(&r, 0, ENT_BOLD, 10, 4);
    rendered_release(&r);
    r = rendered_ok("<b>{{first_name}}</b><i>!</i>", &e,
                    "\xf0\x9f\x98\x80"
                    "Ann!");
    ent_is(&r, 0, ENT_BOLD, 0, 5);
    ent_is(&r, 1, ENT_ITALIC, 5, 1);
    rendered_release(&r);

    /* Invalid UTF-8 in a value becomes U+FFFD instead of failing the message. */
    struct render_vars bad = {"A\xff"
                              "B",
                              "\xe2\x82", "x\xf0\x9f\x91"};
    r = rendered_ok("{{first_name}}|{{last_order}}|{{discount_code}}<b>!</b>", &bad,
                    "A\xef\xbf\xbd"
                    "B|\xef\xbf\xbd|x\xef\xbf\xbd!");
    ent_is(&r, 0, ENT_BOLD, 8, 1);
    rendered_release(&r);

    /* Newlines in a value are kept; it is not trimmed at the end unless it ends the message. */
    struct render_vars nl = {"Ann\n", NULL, NULL};
    text_is("{{first_name}}x", &nl, "Ann\nx");
    text_is("x {{first_name}}", &nl, "x Ann");
}

/* ---- refusals ---- */

static void test_refused_tags(void **state)
{
    refused("Hello <script>alert(1)</script>", "unknown tag <script>", "at character 7");
    refused("\xf0\x9f\x91\x8d<script>", "unknown tag <script>", "at character 2"); /* characters, not bytes */
    refused("\xd0\x9f\xd1\x80<img src=\"x\">", "unknown tag <img>", "at character 3");
    refused("a </script>", "unknown tag </script>", "at character 3");
    refused("<tg-spoiler>x</tg-spoiler>", "unknown tag <tg-spoiler>");
    refused("<span>x</span>", "unknown tag <span>");
    refused("<!-- note -->", "unknown tag", "at character 1");
    refused("a < b", "unknown tag", "at character 3", "&lt;");
    refused("a<", "unknown tag", "at character 2");
    refused("<b class=\"x\">y</b>", "attribute class is not allowed on <b>", "at character 1");
    refused("<code class=\"language-c\">x</code>", "attribute class is not allowed on <code>");
    refused("<p style=\"color:red\">x</p>", "attribute style is not allowed on <p>");
    refused("<a href=\"https://x.example\" onclick=\"alert(1)\">z</a>",
            "attribute onclick is not allowed on <a>");
    refused("<a>z</a>", "<a> at character 1 needs an href");
    refused("<a rel=\"x\">z</a>", "needs an href");
    refused("<a href=https://x.example>z</a>", "attribute href", "needs a quoted value");
    refused("<a href>z</a>", "attribute href", "needs a quoted value");
    refused("<a href=\"https://x.example\"title=\"t\">z</a>", "malformed tag <a>");
    refused("<a href=\"https://a.example\" href=\"https://b.example\">z</a>", "two href");
    refused("Hi <b", "<b at character 4 is not closed");
    refused("Hi <b x", "<b at character 4 is not closed");
    refused("<b>x</b", "</b at character 5 is not closed");
    refused("<a href=\"https://x.example>z</a>", "<a at character 1 is not closed");
    refused("<b <i>x</i>", "<b at character 1 is not closed");
    refused("<b/>x", "only <br> can close itself");
    refused("<p/>", "only <br> can close itself");
    refused("a</br>", "<br> has no closing tag", "at character 2");
    refused("<b>x</b class=\"y\">", "closing tag </b>", "cannot have attributes");
    refused("<b>x</b/>", "malformed tag </b/>");
    refused("<a href=\"https://a.example\">x <a href=\"https://b.example\">y</a></a>",
            "links cannot be nested", "at character 31");
}

static void test_refused_nesting(void **state)
{
    refused("<b><i>x</b></i>", "misnested", "</b> at character 8", "<i> (character 4)");
    refused("<p><b>x</p></b>", "misnested", "</p>");
    refused("a</b>", "</b> at character 2 has no opening <b>");
    refused("<b>x</i>", "</i> at character 5 has no opening <i>");
    refused("<b>x</strong>", "</strong>", "has no opening");
    refused("</p>", "</p> at character 1 has no opening");
    refused("<b>Hi", "<b> at character 1 is never closed");
    refused("<b>Hi</b><i><u>x</u>", "<i> at character 10 is never closed");
    refused("<p>open paragraph", "<p> at character 1 is never closed");
}

static void test_refused_placeholders(void **state)
{
    refused("Hi {{foo}}", "unknown placeholder {{foo}}", "at character 4");
    refused("Hi {{ Foo |x}}", "unknown placeholder {{Foo}}");
    refused("{{}}", "unknown placeholder {{}}", "at character 1");
    refused("{{first name}}", "unknown placeholder {{first name}}");
    refused("{{{first_name}}}", "unknown placeholder {{{first_name}}");
    refused("\xf0\x9f\x91\x8d {{first_name", "{{ at character 3 is never closed");
    refused("{{first_name|a{{b}}", "{{ at character 1 is never closed");
    refused("{{first_name|<b>x</b>}}", "placeholder at character 1", "\"<\"");
    refused("Hi {{first_name</b>", "placeholder at character 4");
    refused("<a href=\"https://x.example/{{first_name}}\">z</a>", "placeholders are not allowed inside tags",
            "at character 1");
    refused("<a href='https://x.example/' rel=\"{{last_order}}\">z</a>",
            "placeholders are not allowed inside tags");
    refused("x <a {{first_name}}>z</a>", "placeholders are not allowed inside tags", "at character 3");
}

static void test_refused_text(void **state)
{
    refused("ok \xff", "invalid UTF-8 at character 4");
    refused("\xd0\x9f\xd1", "invalid UTF-8 at character 2");
    refused("x\xed\xa0\x80", "invalid UTF-8 at character 2"); /* surrogate */
    refused("x\xc0\xbc", "invalid UTF-8 at character 2");     /* overlong '<' */
    refused("<a href=\"https://x.example/\xff\">z</a>", "invalid UTF-8");
    refused("&#0;", "invalid character reference &#0;", "at character 1");
    refused("x&#xD800;", "invalid character reference &#xD800;", "at character 2");
    refused("&#x110000;", "invalid character reference");
    refused("&#99999999999999999999;", "invalid character reference");
    refused("<a href=\"https://x.example/&#0;\">z</a>", "invalid character reference");
    struct render_error err;
    struct rendered r;
    assert_int_equal(render(NULL, NULL, NULL, NULL, &r, &err), TGR_ERR);
    assert_true(err.message[0] != 0);
}

static void test_refused_links(void **state)
{
    static const struct {
        const char *href, *want;
    } bad[] = {
        {"javascript:alert(1)", "http(s):// or tg://"},
        {"JaVaScRiPt:alert(1)", "http(s):// or tg://"},
        {"javascript://%0aalert(1)", "http(s):// or tg://"},
        {"javascript&#58;alert(1)", "http(s):// or tg://"},
        {"javascript&#x3a;alert(1)", "http(s):// or tg://"},
        {"&#106;avascript:alert(1)", "http(s):// or tg://"},
        {" javascript:alert(1)", "spaces or control characters"},
        {" https://x.example/", "spaces or control characters"},
        {"https://x.example/ ", "spaces or control characters"},
        {"jav&#x09;ascript:alert(1)", "spaces or control characters"},
        {"java\nscript:alert(1)", "spaces or control characters"},
        {"java\tscript:alert(1)", "spaces or control characters"},
        {"&#x0D;https://x.example/", "spaces or control characters"},
        {"\xe2\x80\x8bhttps://x.example/", "spaces or control characters"}, /* zero-width space */
        {"https://x.example/&nbsp;", "spaces or control characters"},
        {"https://ex ample.com/", "spaces or control characters"},
        {"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==", "http(s):// or tg://"},
        {"vbscript:msgbox(1)", "http(s):// or tg://"},
        {"mailto:a@b.example", "http(s):// or tg://"},
        {"file:///etc/passwd", "http(s):// or tg://"},
        {"ftp://x.example/", "http(s):// or tg://"},
        {"/relative/path", "http(s):// or tg://"},
        {"relative", "http(s):// or tg://"},
        {"//evil.example/", "http(s):// or tg://"},
        {"#top", "http(s):// or tg://"},
        {"", "http(s):// or tg://"},
        {"https:/x.example", "http(s):// or tg://"},
        {"https:x.example", "http(s):// or tg://"},
        {"tg:resolve", "http(s):// or tg://"},
        {"tg://", "http(s):// or tg://"},
        {"https://", "no host"},
        {"https:///path", "no host"},
        {"http://:80/", "no host"},
        {"https://?q", "no host"},
        {"https://shop.example@evil.example/", "user name"},
        {"https://user:pw@x.example/", "user name"},
        {"https://x.example\\@evil.example", "\\"},
        {"https://x.example/&lt;script&gt;", "<"},
        {"https://x.example/&quot;", "\""},
        {"https://x.exa!mple/", "invalid host"},
        {"https://x.example:8o/", "invalid port"},
        {"https://x.example:/", "invalid host"},
        {"https://[::1/", "invalid host"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        href_refused(bad[k].href, bad[k].want);
    /* Every link refusal reads as being about the link. */
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++)
        href_refused(bad[k].href, "link");
}

static void test_refused_sizes(void **state)
{
    /* 64 KiB is the most a template may be. */
    size_t n = 65536;
    char *t = malloc(n + 2);
    assert_non_null(t);
    memset(t, 'a', n + 1);
    t[n] = 0;
    struct rendered r;
    struct render_error err;
    assert_int_equal(render(t, NULL, NULL, NULL, &r, &err), TGR_OK);
    assert_int_equal(r.utf16_len, 65536);
    rendered_release(&r);
    t[n] = 'a';
    t[n + 1] = 0;
    refused(t, "longer than 65536 bytes");

    /* Placeholders cannot blow a message up without limit. */
    size_t ph = strlen("{{first_name}}"), count = n / ph;
    for (size_t k = 0; k < count; k++)
        memcpy(t + k * ph, "{{first_name}}", ph);
    t[count * ph] = 0;
    char big[301];
    memset(big, 'N', 300);
    big[300] = 0;
    struct render_vars v = {big, NULL, NULL};
    assert_int_equal(render(t, &v, NULL, NULL, &r, &err), TGR_ERR);
    assert_non_null(strstr(err.message, "longer than"));
    assert_null(r.text);
    big[100] = 0;
    assert_int_equal(render(t, &v, NULL, NULL, &r, &err), TGR_OK);
    assert_int_equal(r.utf16_len, (int32_t)(count * 100));
    rendered_release(&r);
    free(t);
}

/* ---- tracking, link listing, JSON ---- */

struct tracker {
    int calls;
};

static const char *track(void *ctx, const char *url)
{
    struct tracker *t = ctx;
    t->calls++;
    if (!strcmp(url, "https://shop.example/sale")) return "https://t.example/t/abc";
    return NULL;
}

static void test_map_url(void **state)
{
    struct tracker tr = {0};
    struct rendered r;
    struct render_error err;
    const char *tmpl =
        "<a href=\"https://shop.example/sale\">Sale</a> <a href=\"tg://resolve?domain=shop\">Chat</a> "
        "<a href=\"https://shop.example/sale\"><b>Again</b></a><a href=\"https://x.example/\"></a>";
    assert_int_equal(render(tmpl, NULL, track, &tr, &r, &err), TGR_OK);
    assert_string_equal(r.text, "Sale Chat Again");
    assert_int_equal(r.n_ents, 4);
    ent_is(&r, 0, ENT_TEXT_URL, 0, 4);
    assert_string_equal(r.ents[0].url, "https://t.example/t/abc");
    ent_is(&r, 1, ENT_TEXT_URL, 5, 4);
    assert_string_equal(r.ents[1].url, "tg://resolve?domain=shop"); /* NULL keeps the link */
    ent_is(&r, 2, ENT_TEXT_URL, 10, 5);
    assert_string_equal(r.ents[2].url, "https://t.example/t/abc");
    ent_is(&r, 3, ENT_BOLD, 10, 5);
    assert_int_equal(tr.calls, 3); /* the empty link is not sent, so not tracked */

    json_t *j = rendered_entities_json(&r);
    char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
    assert_string_equal(
        s, "[{\"type\":\"text_url\",\"offset\":0,\"length\":4,\"url\":\"https://t.example/t/abc\"},"
           "{\"type\":\"text_url\",\"offset\":5,\"length\":4,\"url\":\"tg://resolve?domain=shop\"},"
           "{\"type\":\"text_url\",\"offset\":10,\"length\":5,\"url\":\"https://t.example/t/abc\"},"
           "{\"type\":\"bold\",\"offset\":10,\"length\":5}]");
    free(s);
    json_decref(j);
    rendered_release(&r);
    rendered_release(&r); /* released twice is harmless */
}

static void test_entities_json(void **state)
{
    struct rendered r =
        rendered_ok("<b>b</b><i>i</i><u>u</u><s>s</s><code>c</code><pre>p</pre>", NULL, "biuscp");
    json_t *j = rendered_entities_json(&r);
    assert_int_equal(json_array_size(j), 6);
    static const char *const names[] = {"bold", "italic", "underline", "strikethrough", "code", "pre"};
    for (size_t k = 0; k < 6; k++) {
        json_t *e = json_array_get(j, k);
        assert_string_equal(json_string_value(json_object_get(e, "type")), names[k]);
        assert_int_equal(json_integer_value(json_object_get(e, "offset")), k);
        assert_int_equal(json_integer_value(json_object_get(e, "length")), 1);
        assert_null(json_object_get(e, "url"));
        assert_int_equal(json_object_size(e), 3);
    }
    json_decref(j);
    rendered_release(&r);

    r = rendered_ok("plain", NULL, "plain");
    j = rendered_entities_json(&r);
    assert_true(json_is_array(j));
    assert_int_equal(json_array_size(j), 0);
    json_decref(j);
    rendered_release(&r);
}

static void test_render_links(void **state)
{
    char **urls = NULL;
    size_t n = 0;
    struct render_error err;
    const char *tmpl = "<a href=\"https://b.example/\">1</a><a href='https://a.example/?x=1&amp;y=2'>2</a>"
                       "<a href=\"https://b.example/\">3</a><a href=\"tg://resolve?domain=s\"></a>"
                       "<a href=\"https://a.example/?x=1&y=2\">5</a><a href=\"https://B.example/\">6</a>";
    assert_int_equal(render_links(tmpl, &urls, &n, &err), TGR_OK);
    assert_int_equal(n, 4);
    assert_string_equal(urls[0], "https://b.example/");
    assert_string_equal(urls[1], "https://a.example/?x=1&y=2");
    assert_string_equal(urls[2], "tg://resolve?domain=s"); /* listed even without text */
    assert_string_equal(urls[3], "https://B.example/");
    render_links_free(urls, n);

    assert_int_equal(render_links("no links {{first_name}}", &urls, &n, &err), TGR_OK);
    assert_int_equal(n, 0);
    render_links_free(urls, n);

    /* Many links: each distinct one once, in order. */
    size_t count = 1600, cap = count * 48 + 1, len = 0;
    char *t = malloc(cap);
    assert_non_null(t);
    for (size_t k = 0; k < count; k++)
        len += (size_t)snprintf(t + len, cap - len, "<a href=\"https://x.example/%zu\">x</a>", k % 1200);
    assert_int_equal(render_links(t, &urls, &n, &err), TGR_OK);
    assert_int_equal(n, 1200);
    for (size_t k = 0; k < n; k++) {
        char want[64];
        snprintf(want, sizeof want, "https://x.example/%zu", k);
        assert_string_equal(urls[k], want);
    }
    render_links_free(urls, n);
    free(t);
}

/* ---- large inputs ---- */

static char *repeat(const char *piece, size_t times, const char *tail)
{
    size_t pl = strlen(piece), tl = strlen(tail);
    char *t = malloc(pl * times + tl + 1);
    assert_non_null(t);
    for (size_t k = 0; k < times; k++)
        memcpy(t + k * pl, piece, pl);
    memcpy(t + pl * times, tail, tl + 1);
    return t;
}

static void test_large_templates(void **state)
{
    struct rendered r;
    struct render_error err;

    /* 8192 entities in exactly 64 KiB. */
    char *t = repeat("<b>x</b>", 8192, "");
    assert_int_equal(strlen(t), 65536);
    assert_int_equal(render(t, NULL, NULL, NULL, &r, &err), TGR_OK);
    assert_int_equal(r.n_ents, 8192);
    ent_is(&r, 8191, ENT_BOLD, 8191, 1);
    rendered_release(&r);
    free(t);

    /* Deep nesting does not use the C stack. */
    char *open = repeat("<i>", 9000, "x"), *close = repeat("</i>", 9000, "");
    size_t ol = strlen(open);
    t = malloc(ol + strlen(close) + 1);
    assert_non_null(t);
    memcpy(t, open, ol);
    memcpy(t + ol, close, strlen(close) + 1);
    assert_int_equal(render(t, NULL, NULL, NULL, &r, &err), TGR_OK);
    assert_int_equal(r.n_ents, 1);
    ent_is(&r, 0, ENT_ITALIC, 0, 1);
    rendered_release(&r);
    assert_int_equal(render(open, NULL, NULL, NULL, &r, &err), TGR_ERR);
    assert_non_null(strstr(err.message, "<i> at character 26998 is never closed"));
    free(open);
    free(close);
    free(t);

    /* Inputs that would be quadratic for a naive scanner. */
    static const char *const pieces[] = {
        "{", "{{", "&", "&#", "&#1", "<p>", "<br>", "{ {", "}}", "\xf0\x9f\x91\x8d", "a\n"};
    for (size_t k = 0; k < sizeof pieces / sizeof pieces[0]; k++) {
        t = repeat(pieces[k], 65536 / strlen(pieces[k]), "");
        int rc = render(t, NULL, NULL, NULL, &r, &err);
        if (rc == TGR_OK)
            rendered_release(&r);
        else
            assert_true(err.message[0] != 0);
        free(t);
    }
    t = repeat("x", 65000, "");
    memcpy(t, "{{first_name|", 13);
    assert_int_equal(render(t, NULL, NULL, NULL, &r, &err), TGR_ERR);
    free(t);
    t = repeat("<a href=\"https://x.example/?&amp;\">x</a>{{first_name|y}}&lt;", 1000, "");
    assert_int_equal(render(t, NULL, NULL, NULL, &r, &err), TGR_OK);
    assert_int_equal(r.n_ents, 1000);
    rendered_release(&r);
    free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_text),
        cmocka_unit_test(test_each_tag),
        cmocka_unit_test(test_link),
        cmocka_unit_test(test_links_accepted),
        cmocka_unit_test(test_nested_tags),
        cmocka_unit_test(test_emoji_offsets),
        cmocka_unit_test(test_cyrillic_cjk),
        cmocka_unit_test(test_utf16_length),
        cmocka_unit_test(test_newlines_kept),
        cmocka_unit_test(test_br),
        cmocka_unit_test(test_paragraphs),
        cmocka_unit_test(test_trailing_newlines),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_placeholders_with_values),
        cmocka_unit_test(test_placeholders_missing),
        cmocka_unit_test(test_placeholders_hostile_values),
        cmocka_unit_test(test_refused_tags),
        cmocka_unit_test(test_refused_nesting),
        cmocka_unit_test(test_refused_placeholders),
        cmocka_unit_test(test_refused_text),
        cmocka_unit_test(test_refused_links),
        cmocka_unit_test(test_refused_sizes),
        cmocka_unit_test(test_map_url),
        cmocka_unit_test(test_placeholders_as_written),
        cmocka_unit_test(test_entities_json),
        cmocka_unit_test(test_render_links),
        cmocka_unit_test(test_large_templates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
