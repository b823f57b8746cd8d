/* h_web — serves the built web app (web/dist) for GET paths that are not API routes:
 * "/" and "/app/…" (the single-page app's own routes) get index.html, other paths the file of
 * that name if it exists. Only plain names are served: no "..", no hidden files. When the app
 * has not been built, "/" answers a short page that says how to build it. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

static int send_file(struct req *r, const char *rel, int cacheable)
{
    char path[2048];
    if (snprintf(path, sizeof path, "%s/%s", r->app->cfg.web_dir, rel) >= (int)sizeof path) return 0;
    const char *ctype = content_type(path);
    if (!ctype) return 0;
    char *data;
    size_t len;
    if (read_file(path, WEB_FILE_MAX, &data, &len) != TGR_OK) return 0;
    r->is_web = 1;
    reply_data(r, 200, ctype, data, len);
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
