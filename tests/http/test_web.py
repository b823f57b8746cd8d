#!/usr/bin/env python3
"""test_web — how the server hands out the built web app (src/http/h_web.c; issue 21 item 6): the
app's routes get index.html, not cached; content-hashed files under /assets/ are cached for a
year; a file with a precompressed twin (NAME.br, NAME.gz, as `npm run build` writes them) goes out
as that twin to a client that accepts its coding, Brotli first, with Content-Encoding and Vary;
a client that refuses both (q=0) or names neither gets the plain file; the twins have no URL of
their own. The web directory is the test's own, so the bytes are known.

Run: python3 tests/http/test_web.py (CTest sets TGR_BIN).
"""
import gzip
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tgrtest import Server  # noqa: E402

JS = b"export const x = '" + b"tgr " * 2000 + b"';\n"
BR = b"not really brotli, but the server never looks inside"


class WebTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.web = tempfile.TemporaryDirectory(prefix="tgr-web-")
        root = cls.web.name
        os.makedirs(os.path.join(root, "assets"))
        with open(os.path.join(root, "index.html"), "wb") as f:
            f.write(b"<!doctype html><title>tgr</title>")
        for name, data in (("app-1a2b.js", JS), ("app-1a2b.js.gz", gzip.compress(JS)), ("app-1a2b.js.br", BR),
                           ("only-gz.css", b"p{}" * 500), ("only-gz.css.gz", gzip.compress(b"p{}" * 500))):
            with open(os.path.join(root, "assets", name), "wb") as f:
                f.write(data)
        cls.srv = Server(args=["--web", root]).start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()
        cls.web.cleanup()

    def js(self, accept):
        return self.srv.get("/assets/app-1a2b.js", headers={"Accept-Encoding": accept} if accept is not None else None)

    def test_the_app_pages_are_index_html_and_not_cached(self):
        for path in ("/", "/app/login", "/app/contacts"):
            with self.subTest(path):
                r = self.srv.get(path)
                self.assertEqual(r.status, 200)
                self.assertEqual(r.body, b"<!doctype html><title>tgr</title>")
                self.assertEqual(r.header("Cache-Control"), "no-cache")

    def test_a_client_that_accepts_brotli_gets_the_br_twin(self):
        for accept in ("br", "gzip, deflate, br, zstd", "*"):
            with self.subTest(accept):
                r = self.js(accept)
                self.assertEqual((r.status, r.header("Content-Encoding"), r.body), (200, "br", BR))
                self.assertEqual(r.header("Content-Type"), "text/javascript; charset=utf-8")
                self.assertEqual(r.header("Vary"), "Accept-Encoding")
                self.assertEqual(r.header("Cache-Control"), "public, max-age=31536000, immutable")

    def test_gzip_when_brotli_is_not_accepted(self):
        for accept in ("gzip", "gzip, deflate", "br;q=0, gzip", "GZIP;q=0.5"):
            with self.subTest(accept):
                r = self.js(accept)
                self.assertEqual((r.status, r.header("Content-Encoding")), (200, "gzip"))
                self.assertEqual(gzip.decompress(r.body), JS)
        r = self.srv.get("/assets/only-gz.css", headers={"Accept-Encoding": "br, gzip"})
        self.assertEqual((r.header("Content-Encoding"), gzip.decompress(r.body)), ("gzip", b"p{}" * 500))

    def test_the_plain_file_otherwise(self):
        for accept in (None, "", "identity", "deflate", "gzip;q=0, br;q=0", "*;q=0"):
            with self.subTest(accept):
                r = self.js(accept)
                self.assertEqual((r.status, r.header("Content-Encoding"), r.body), (200, None, JS))
                self.assertEqual(r.header("Vary"), "Accept-Encoding")

    def test_the_twins_have_no_url_of_their_own(self):
        for path in ("/assets/app-1a2b.js.gz", "/assets/app-1a2b.js.br", "/assets/missing.js"):
            with self.subTest(path):
                self.assertEqual(self.srv.get(path, headers={"Accept-Encoding": "br, gzip"}).status, 404)


if __name__ == "__main__":
    unittest.main(verbosity=2)
