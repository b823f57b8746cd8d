/* h_web — serves the built web app (web/dist) for GET paths that are not API routes:
 * "/" and "/app/…" (the single-page app's own routes) get index.html, other paths the file of
 * that name if it exists. Only plain names are served: no "..", no hidden files. When the app
 * has not been built, "/" answers a short page that says how to build it.
 *
 * Compression (issue 21 item 6): the build writes NAME.br and NAME.gz beside every text file
 * worth compressing (web/vite.config.ts), and a client that accepts one of them gets it as it
 * is, with Content-Encoding — no compression at run time, no zlib in the server. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/app.h"
#include "base/util.h"
#include "http/server.h"

#define WEB_FILE_MAX (20 * 1024 * 1024)

static const char placeholder[] =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>tgr</title></head>"
    "<body><h1>tgr</h1><p>The server is running, but the web app has not been built. "
    "Run <code>make run</code> from the project's root, or use the HTTP API (see shared/API.md).</p>"
    "</body></html>";

static const char *content_type(const char *path)
{
    static const struct {
        const char *ext, *type;
    } types[] = {
        {".html", "text/html; charset=utf-8"},
        {".js", "text/javascript; charset=utf-8"},
        {".mjs", "text/javascript; charset=utf-8"},
        {".css", "text/css; charset=utf-8"},
        {".svg", "image/svg+xml"},
        {".png", "image/png"},
        {".ico", "image/x-icon"},
        {".json", "application/json"},
        {".woff2", "font/woff2"},
        {".txt", "text/plain; charset=utf-8"},
        {".map", "application/json"},
        {".webp", "image/webp"},
        {".jpg", "image/jpeg"},
    };
    const char *dot = strrchr(path, '.');
    if (dot && !strchr(dot, '/'))
        for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
            if (strcmp(dot, types[i].ext) == 0) return types[i].type;
    return NULL;
}

static int plain_path(const char *p)
{
    for (const char *s = p; *s; s++) {
        char c = *s;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' ||
              c == '.' || c == '-' || c == '_'))
            return 0;
        if (c == '.' && (s == p || s[-1] == '/')) return 0; /* "..", ".git", hidden files */
    }
    return 1;
}

/* Whether the request's Accept-Encoding lists this coding without q=0, or else "*" without q=0. */
static int accepts(struct req *r, const char *coding)
{
    const char *h = req_header(r, "Accept-Encoding");
    size_t want = strlen(coding);
    int star = 0;
    while (h && *h) {
        while (*h == ' ' || *h == '\t' || *h == ',')
            h++;
        size_t n = strcspn(h, ",; \t");
        const char *end = h + strcspn(h, ",");
        const char *q = strstr(h, "q=");
        int ok = !(q && q < end && strtod(q + 2, NULL) <= 0.0);
        if (n == want && strncasecmp(h, coding, n) == 0) return ok;
        if (n == 1 && *h == '*') star = ok;
        h = end;
    }
    return star;
}

static int send_file(struct req *r, const char *rel, int cacheable)
{
    static const struct {
        const char *coding, *suffix;
    } encoded[] = {{"br", ".br"}, {"gzip", ".gz"}};
    char path[2048];
    if (snprintf(path, sizeof path, "%s/%s", r->app->cfg.web_dir, rel) >= (int)sizeof path - 4) return 0;
    const char *ctype = content_type(path);
    if (!ctype) return 0;
    char *data = NULL;
    size_t len, plain = strlen(path);
    const char *coding = NULL;
    for (size_t i = 0; i < sizeof encoded / sizeof encoded[0] && !coding; i++) {
        if (!accepts(r, encoded[i].coding)) continue;
        memcpy(path + plain, encoded[i].suffix, strlen(encoded[i].suffix) + 1);
        if (read_file(path, WEB_FILE_MAX, &data, &len) == TGR_OK) coding = encoded[i].coding;
    }
    path[plain] = '\0';
    if (!coding && read_file(path, WEB_FILE_MAX, &data, &len) != TGR_OK) return 0;
    r->is_web = 1;
    reply_data(r, 200, ctype, data, len);
    if (coding) reply_header(r, "Content-Encoding", coding);
    reply_header(r, "Vary", "Accept-Encoding");
    reply_header(r, "Cache-Control", cacheable ? "public, max-age=31536000, immutable" : "no-cache");
    free(data);
    return 1;
}

int web_serve(struct req *r)
{
    const char *p = r->path;
    int spa = strcmp(p, "/") == 0 || strcmp(p, "/index.html") == 0 || strcmp(p, "/app") == 0 ||
              strncmp(p, "/app/", 5) == 0;
    if (spa) {
        if (send_file(r, "index.html", 0)) return 1;
        r->is_web = 1;
        reply_data(r, 200, "text/html; charset=utf-8", placeholder, sizeof placeholder - 1);
        return 1;
    }
    if (!plain_path(p + 1)) return 0;
    /* Vite puts content-hashed bundles under /assets/: they never change, so they may be cached. */
    return send_file(r, p + 1, strncmp(p, "/assets/", 8) == 0);
}
