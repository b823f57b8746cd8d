#!/usr/bin/env python3
"""test_analytics — HTTP scenario tests of tracked links, order attribution and the analytics
read side: the /t/<code> redirect (tgr_ref appended with ? or &, before a #fragment; unknown or
garbled codes 404; bots, HEAD and requests without a User-Agent redirected but not counted;
repeat clicks unique once, and from one address counted once per 10 minutes; codes and refs hold
no readable id, and those of the earlier format still work), the attribution order of the order webhook (ref, then discount code,
then the latest campaign message within the 7 days before the order; refunds reverse), and the
numbers of GET /campaigns/:id/analytics, /analytics/revenue, /analytics/campaigns and
/campaigns/:id/scorecard compared with what the simulated Telegram's record file and the test's
own requests say (shared/API.md "Tracking", "Orders and revenue", "Analytics", "Campaigns";
shared/DESIGN.md §6; docs/DECISIONS.md 18, 23, 25-28, 48).

Every test drives the real binary with its bridge on the simulated Telegram through
tests/http/tgrtest.py. What Telegram received is read from the record file (deliveries.jsonl).
Servers are shared per class, --send-rate 10. Run: python3 tests/http/test_analytics.py (CTest
sets TGR_BIN).
"""
import base64
import binascii
import hashlib
import http.client
import os
import re
import shutil
import sys
import tempfile
import time
import unittest
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tgrtest import (Server, contacts_by_tg_id, connect_telegram, db_ints, parse_time,  # noqa: E402
                     read_record, sim_args, wait_until, write_scenario)

PASSWORD = "correct horse battery staple 42"
CODE = "80417"
ME_ID = "6999"
ME_PHONE = "+15550006999"
SEND_RATE = 10
BROWSER_UA = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
              "Chrome/126.0.0.0 Safari/537.36")
BOT_UAS = [
    "TelegramBot (like TwitterBot)",
    "Twitterbot/1.0",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
    "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
    "WhatsApp/2.23.20.0 A",
    "Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)",
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0)",
    "SomeCrawler/3.1",
    "Mozilla/5.0 (compatible; ExampleSpider/1.0)",
]
REF_RE = re.compile(r"^[A-Za-z0-9_.~-]+$")
OLD_CODE_LEN = 28  # the earlier format's codes and refs; new ones are no longer
SECOND_ADDRESS = "127.0.0.2"  # the whole 127/8 is local: a second client address on this machine
BATCH_WAIT = 0.35  # counted clicks are written in batches every 50 ms


def iso(dt):
    return dt.strftime("%Y-%m-%dT%H:%M:%SZ")


def days_from_now(n):
    return iso(datetime.now(timezone.utc) + timedelta(days=n))


def make_users(n, prefix, **extra):
    out = []
    for i in range(n):
        u = {"id": f"{prefix}{i:02d}", "access_hash": str(41000 + int(prefix) * 100 + i),
             "first_name": f"Buyer{prefix}x{i:02d}", "last_name": "Tester",
             "messages": [{"text": f"question number {i} about the catalogue", "ago_seconds": 3600 + i}]}
        u.update(extra)
        out.append(u)
    return out


def scenario(users):
    return {"me": {"id": ME_ID, "first_name": "Analytics Shop", "username": "analytics_shop", "phone": ME_PHONE},
            "login": {"code": CODE}, "users": users, "faults": [], "inbound": [], "record": "deliveries.jsonl"}


def split_ref(location, base):
    """(ref, fragment) of a redirect Location that must be base + ('?' or '&') + 'tgr_ref=' + ref +
    optional '#fragment'; base is the original URL without its fragment."""
    frag = ""
    if "#" in location:
        location, frag = location.split("#", 1)
        frag = "#" + frag
    sep = "&" if "?" in base else "?"
    prefix = base + sep + "tgr_ref="
    if not location.startswith(prefix):
        return None, frag
    return location[len(prefix):], frag


def blind_key(data_dir):
    """The blind-index key (crypto_kdf subkey 1, context "tgr-keys", of master key 1)."""
    with open(os.path.join(data_dir, "master.key")) as f:
        master = base64.b64decode(f.read().strip())
    return hashlib.blake2b(b"", key=master, digest_size=32, salt=(1).to_bytes(8, "little") + bytes(8),
                           person=b"tgr-keys" + bytes(8)).digest()


def old_token(blind, kind, a, b, mac_of=None):
    """A code (kind b"L": link, recipient) or ref (b"R": recipient, link) of the format issued before
    issue 13: kind, the ids as 6-byte little-endian integers, then BLAKE2b-64 keyed with the blind
    key over b"tgr-links\0" and what precedes. mac_of=(a, b) puts the MAC of other ids (a forgery)."""
    def body(x, y):
        return kind + x.to_bytes(6, "little") + y.to_bytes(6, "little")
    mac = hashlib.blake2b(b"tgr-links\0" + body(*(mac_of or (a, b))), key=blind, digest_size=8).digest()
    return base64.urlsafe_b64encode(body(a, b) + mac).rstrip(b"=").decode()


def decodings(s):
    """s as text and as every binary reading a reader might try: base64 (both alphabets, from each
    of the first four characters), base32 and hex."""
    out = [s.encode()]
    for k in range(4):
        t = s[k:]
        for alt in (t, t.replace("-", "+").replace("_", "/")):
            try:
                out.append(base64.b64decode(alt + "=" * (-len(alt) % 4), altchars=b"-_" if alt is t else None))
            except (binascii.Error, ValueError):
                pass
        for t32 in (t.upper(), t.upper().replace("0", "O").replace("1", "I")):
            try:
                out.append(base64.b32decode(t32 + "=" * (-len(t32) % 8)))
            except (binascii.Error, ValueError):
                pass
        try:
            out.append(bytes.fromhex(t))
        except ValueError:
            pass
    return out


def id_forms(n):
    """How an id could sit in a token: packed little- or big-endian in 4, 6 or 8 bytes, and as
    text when it is long enough not to turn up by chance (4+ digits)."""
    forms = [n.to_bytes(w, o) for w in (4, 6, 8) for o in ("little", "big")]
    if n >= 1000:
        forms += [str(n).encode(), f"{n:x}".encode()]
    return forms


def click_from(port, path, source, ua=BROWSER_UA):
    """GET path from the client address source; (status, Location)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
    try:
        c.request("GET", path, headers={"User-Agent": ua})
        r = c.getresponse()
        r.read()
        return r.status, r.getheader("Location")
    finally:
        c.close()


class Case(unittest.TestCase):
    """A server on its own simulated Telegram (USERS), started in setUpClass."""

    USERS = []
    _emails = 0

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tgrtest-analytics-")
        cls.scenario_path = write_scenario(cls.work, scenario(cls.USERS))
        cls.record_path = os.path.join(cls.work, "deliveries.jsonl")
        cls.srv = Server(data=os.path.join(cls.work, "data"),
                         args=sim_args(cls.scenario_path) + ["--send-rate", str(SEND_RATE)])
        try:
            cls.srv.start()
            cls.base = f"http://127.0.0.1:{cls.srv.port}/t/"
            cls.prepare()
        except BaseException:
            cls.srv.cleanup()
            shutil.rmtree(cls.work, ignore_errors=True)
            raise

    @classmethod
    def prepare(cls):
        pass

    @classmethod
    def tearDownClass(cls):
        try:
            rc = cls.srv.stop()
            err = cls.srv.stderr_text()
        finally:
            cls.srv.cleanup()
            shutil.rmtree(cls.work, ignore_errors=True)
        if rc != 0:
            raise AssertionError(f"{cls.__name__}: the server exited {rc} on SIGTERM\n{err[-2000:]}")

    # --- class-level helpers (usable from setUpClass) -------------------------------------------

    @classmethod
    def check(cls, cond, what):
        if not cond:
            raise AssertionError(what)

    @classmethod
    def account(cls):
        """A fresh account, connected, every scenario user imported, frequency cap 0. Returns
        (api key, token, {tg_user_id: contact})."""
        Case._emails += 1
        email = f"{cls.__name__.lower()}-{Case._emails}@shop.test"
        key = cls.srv.create_account(email, PASSWORD)
        token = cls.srv.login(email, PASSWORD)
        connect_telegram(cls.srv, token, ME_PHONE, CODE)
        want = {u["id"] for u in cls.USERS if u.get("messages")}
        cls.check(wait_until(lambda: want <= set(contacts_by_tg_id(cls.srv, token)), 20),
                  "the sync after verify did not import every contact within 20 s")
        r = cls.srv.request("PATCH", "/account", body={"frequency_cap_days": 0}, token=token)
        cls.check(r.status == 200, f"PATCH /account: {r!r}")
        return key, token, contacts_by_tg_id(cls.srv, token)

    @classmethod
    def get_json(cls, path, token):
        r = cls.srv.get(path, token=token)
        cls.check(r.status == 200 and isinstance(r.json, dict), f"GET {path}: {r!r}")
        return r.json

    @classmethod
    def analytics(cls, token, cid):
        return cls.get_json(f"/campaigns/{cid}/analytics", token)

    @classmethod
    def send(cls, token, marker, text, **fields):
        """Create and start a campaign whose text starts with marker, wait until it completes and
        return (campaign id, {user_id: record line})."""
        body = {"name": f"{marker} campaign", "message_text": marker + " " + text}
        body.update(fields)
        r = cls.srv.post("/campaigns", body, token=token)
        cls.check(r.status == 201, f"POST /campaigns: {r!r}")
        cid = r.json["id"]
        r = cls.srv.post(f"/campaigns/{cid}/start", {"override_quiet_hours": True}, token=token)
        cls.check(r.status == 200, f"start: {r!r}")
        done = wait_until(lambda: cls.get_json(f"/campaigns/{cid}", token)["status"] == "completed", 30)
        cls.check(done, f"campaign {cid} not completed within 30 s: {cls.analytics(token, cid)}")
        lines = [x for x in read_record(cls.record_path) if (x.get("text") or "").startswith(marker + " ")]
        by_user = {}
        for x in lines:
            cls.check(x["user_id"] not in by_user, f"delivered twice to {x['user_id']}")
            by_user[x["user_id"]] = x
        return cid, by_user

    @classmethod
    def links(cls, line):
        """The tracked paths (/t/<code>) of a record line's text_url entities, in order."""
        out = []
        for e in line.get("entities") or []:
            if e.get("type") == "text_url":
                cls.check(e["url"].startswith(cls.base), f"not a tracked link of this server: {e['url']}")
                out.append("/t/" + e["url"][len(cls.base):])
        return out

    @classmethod
    def click(cls, path, ua=BROWSER_UA, method="GET"):
        headers = {"User-Agent": ua} if ua is not None else {}
        return cls.srv.request(method, path, headers=headers)

    @classmethod
    def order(cls, key, order_id, amount, tg_user, status="paid", **extra):
        body = {"order_id": order_id, "amount": amount, "currency": "EUR", "status": status,
                "customer": {"telegram_user_id": tg_user}}
        body.update(extra)
        r = cls.srv.post("/webhooks/orders", body, api_key=key)
        cls.check(r.status == 202 and isinstance(r.json, dict) and "attributed_campaign_id" in r.json,
                  f"order {order_id}: {r!r}")
        return r.json["attributed_campaign_id"]


# --------------------------------------------------------------------------------------------
# 1. The tracked-link redirect and click counting.

class TrackingTest(Case):
    USERS = make_users(3, "61")

    @classmethod
    def prepare(cls):
        cls.key, cls.token, cls.contacts = cls.account()
        cls.n = 0

    def campaign(self, links=1):
        """A new campaign with `links` tracked links sent to every user; (cid, {user: [paths]})."""
        type(self).n += 1
        anchors = " ".join(f'<a href="https://shop.example/l{i}">link {i}</a>' for i in range(links))
        cid, lines = self.send(self.token, f"Track{self.n}", "hi {{first_name}} " + anchors)
        self.assertEqual(sorted(lines), sorted(u["id"] for u in self.USERS))
        paths = {u: self.links(x) for u, x in lines.items()}
        for u, p in paths.items():
            self.assertEqual(len(p), links, lines[u])
        return cid, paths

    def test_redirect_appends_tgr_ref_with_query_and_fragment(self):
        urls = ["https://shop.example/sale", "https://shop.example/p?x=1", "https://shop.example/f?x=1&y=two#frag",
                "https://shop.example/h#top", "https://shop.example/dir/"]
        anchors = " ".join(f'<a href="{u.replace("&", "&amp;")}">u{i}</a>' for i, u in enumerate(urls))
        cid, lines = self.send(self.token, "Redirect", "{{first_name}} " + anchors)
        refs = {}
        for user, line in lines.items():
            paths = self.links(line)
            self.assertEqual(len(paths), len(urls), line)
            for url, path in zip(urls, paths):
                r = self.click(path)
                self.assertEqual(r.status, 302, f"{path}: {r!r}")
                loc = r.header("Location") or ""
                base, _, frag = url.partition("#")
                ref, got_frag = split_ref(loc, base)
                self.assertIsNotNone(ref, f"{url} redirected to {loc!r}")
                self.assertTrue(REF_RE.match(ref), f"{url} -> {loc!r}")
                self.assertEqual(got_frag, "#" + frag if frag else "", f"{url} -> {loc!r}")
                refs.setdefault(user, set()).add(ref)
        all_refs = [r for s in refs.values() for r in s]
        for u, s in refs.items():
            for v, t in refs.items():
                if u != v:
                    self.assertFalse(s & t, f"recipients {u} and {v} share a tgr_ref")
        self.assertEqual(len(all_refs), len(set(all_refs)))
        time.sleep(BATCH_WAIT)
        a = self.analytics(self.token, cid)
        self.assertEqual((a["clicks"], a["unique_clicks"]), (len(urls) * 3, 3), a)

    def test_bots_head_and_no_user_agent_are_redirected_not_counted(self):
        cid, paths = self.campaign()
        path = paths[self.USERS[0]["id"]][0]
        tries = [("GET", None, "no User-Agent"), ("GET", "", "empty User-Agent"), ("HEAD", BROWSER_UA, "HEAD")]
        tries += [("GET", ua, ua) for ua in BOT_UAS]
        tries += [("GET", ua.upper(), ua.upper()) for ua in BOT_UAS[:2]]
        for method, ua, what in tries:
            r = self.click(path, ua=ua, method=method)
            self.assertEqual(r.status, 302, f"{what}: {r!r}")
            ref, _ = split_ref(r.header("Location") or "", "https://shop.example/l0")
            self.assertTrue(ref, f"{what}: Location {r.header('Location')!r}")
        time.sleep(BATCH_WAIT)
        a = self.analytics(self.token, cid)
        self.assertEqual((a["clicks"], a["unique_clicks"]), (0, 0), f"bot/HEAD/no-UA requests counted: {a}")
        # A person's click on the same link does count.
        self.assertEqual(self.click(path).status, 302)
        time.sleep(BATCH_WAIT)
        a = self.analytics(self.token, cid)
        self.assertEqual((a["clicks"], a["unique_clicks"]), (1, 1), a)

    def test_repeat_clicks_count_once_per_address_and_the_recipient_once(self):
        cid, paths = self.campaign(links=2)
        u0, u1 = self.USERS[0]["id"], self.USERS[1]["id"]
        for p in [paths[u0][0]] * 3 + [paths[u0][1], paths[u1][1]]:
            self.assertEqual(self.click(p).status, 302)
        time.sleep(BATCH_WAIT)
        a = self.analytics(self.token, cid)
        # One address: the three clicks on u0's first link are one; each other link counts.
        self.assertEqual((a["sent"], a["clicks"], a["unique_clicks"]), (3, 3, 2), a)
        self.assertAlmostEqual(a["ctr"], 2 / 3, places=3)

    def counts(self, cid, at_least):
        """(clicks, unique_clicks) of cid once clicks reached at_least (clicks are written in order,
        so the last counted click being there means every one before it is too)."""
        wait_until(lambda: self.analytics(self.token, cid)["clicks"] >= at_least, 15)
        a = self.analytics(self.token, cid)
        return a["clicks"], a["unique_clicks"]

    def test_twenty_clicks_from_one_address_count_once(self):
        cid, paths = self.campaign()
        u0, u1 = self.USERS[0]["id"], self.USERS[1]["id"]
        path = paths[u0][0]
        for i in range(20):
            r = self.click(path)
            self.assertEqual(r.status, 302, f"click {i}: {r!r}")  # every one is still redirected
            self.assertTrue((r.header("Location") or "").startswith("https://shop.example/l0?tgr_ref="), r)
        # Another address on the same link counts (the same recipient: unique stays 1).
        status, loc = click_from(self.srv.port, path, SECOND_ADDRESS)
        self.assertEqual(status, 302, loc)
        self.assertEqual(self.counts(cid, 2), (2, 1), "20 clicks from one address counted more than once")
        # Twenty more from each address change nothing; another recipient's link from the first does.
        for _ in range(20):
            self.assertEqual(self.click(path).status, 302)
            self.assertEqual(click_from(self.srv.port, path, SECOND_ADDRESS)[0], 302)
        self.assertEqual(self.click(paths[u1][0]).status, 302)
        self.assertEqual(self.counts(cid, 3), (3, 2))

    def test_codes_and_refs_hold_no_readable_id(self):
        cid, paths = self.campaign(links=2)
        link_ids = [r[0] for r in db_ints(self.srv.data, f"SELECT id FROM trackable_links WHERE campaign_id = {cid}")]
        rcpt_ids = [r[0] for r in db_ints(self.srv.data, f"SELECT id FROM recipients WHERE campaign_id = {cid}")]
        self.assertEqual((len(link_ids), len(rcpt_ids)), (2, len(self.USERS)))
        codes, refs = {}, {}
        for u, ps in paths.items():
            for i, p in enumerate(ps):
                r = self.click(p)
                self.assertEqual(r.status, 302, r)
                ref, _ = split_ref(r.header("Location") or "", f"https://shop.example/l{i}")
                self.assertTrue(ref, r.header("Location"))
                codes[u, i], refs[u, i] = p[len("/t/"):], ref
        for what, s in [("code", c) for c in codes.values()] + [("tgr_ref", r) for r in refs.values()]:
            self.assertLessEqual(len(s), OLD_CODE_LEN, f"{what} {s} longer than before")
            for blob in decodings(s):
                for n in link_ids + rcpt_ids:
                    for form in id_forms(n):
                        self.assertNotIn(form, blob, f"id {n} readable in the {what} {s}")
        # Nor is there shared structure to read: codes of one link for different recipients, and
        # refs of one recipient for different links, have no common beginning (the earlier format
        # shared the bytes of the id they had in common).
        b64 = lambda s: base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))  # noqa: E731
        users = sorted(paths)
        for groups in ([[codes[u, i] for u in users] for i in (0, 1)], [[refs[u, 0], refs[u, 1]] for u in users],
                       [[codes[u, 0], codes[u, 1]] for u in users], [[refs[u, i] for u in users] for i in (0, 1)]):
            for g in groups:
                for x in g:
                    for y in g:
                        if x != y:
                            self.assertNotEqual(b64(x)[:3], b64(y)[:3], f"{x} and {y} begin alike")

    def test_links_and_refs_of_the_earlier_format_still_work(self):
        cid, paths = self.campaign()
        u0 = self.USERS[0]["id"]
        contact = self.contacts[u0]["id"]
        (link_id,), = db_ints(self.srv.data, f"SELECT id FROM trackable_links WHERE campaign_id = {cid}")
        (rcpt_id,), = db_ints(self.srv.data, f"SELECT id FROM recipients WHERE campaign_id = {cid} "
                                             f"AND contact_id = {contact}")
        blind = blind_key(self.srv.data)
        old = old_token(blind, b"L", link_id, rcpt_id)
        self.assertEqual(len(old), OLD_CODE_LEN)
        self.assertNotEqual("/t/" + old, paths[u0][0], "the server still issues the earlier format")
        # A link already in a customer's chat redirects and counts, and gets a ref of the new kind.
        r = self.click("/t/" + old)
        self.assertEqual(r.status, 302, r)
        ref, _ = split_ref(r.header("Location") or "", "https://shop.example/l0")
        self.assertTrue(ref and len(ref) < OLD_CODE_LEN, r.header("Location"))
        self.assertEqual(self.counts(cid, 1), (1, 1))
        # The same click by the new code is the same link and recipient: a repeat, not counted.
        self.assertEqual(self.click(paths[u0][0]).status, 302)
        r = self.click(paths[self.USERS[1]["id"]][0])
        self.assertEqual(r.status, 302)
        self.assertEqual(self.counts(cid, 2), (2, 2))
        # Refs of both formats credit the order to this campaign (the ref beats later messages).
        self.assertEqual(self.order(self.key, f"old-ref-{cid}", 700, u0, ref=old_token(blind, b"R", rcpt_id, link_id)),
                         cid)
        self.assertEqual(self.order(self.key, f"new-ref-{cid}", 800, u0, ref=ref), cid)
        # Forgeries of the earlier format are refused: another recipient or link under this MAC,
        # a ref as a code, a code as a ref.
        for bad in (old_token(blind, b"L", link_id, rcpt_id + 1, mac_of=(link_id, rcpt_id)),
                    old_token(blind, b"L", link_id + 1, rcpt_id, mac_of=(link_id, rcpt_id)),
                    old_token(blind, b"R", rcpt_id, link_id), old_token(b"\0" * 32, b"L", link_id, rcpt_id)):
            r = self.click("/t/" + bad)
            self.assertEqual((r.status, r.header("Location")), (404, None), bad)
        self.assertIsNone(self.order(self.key, f"forged-ref-{cid}", 900, "6199999",
                                     ref=old_token(blind, b"R", rcpt_id + 1, link_id, mac_of=(rcpt_id, link_id))))
        self.assertIsNone(self.order(self.key, f"code-as-ref-{cid}", 900, "6199999", ref=old))

    def test_unknown_and_garbled_codes_are_404_and_not_counted(self):
        cid, paths = self.campaign()
        path = paths[self.USERS[0]["id"]][0]
        code = path[len("/t/"):]
        flipped = code[:-1] + ("A" if code[-1] != "A" else "B")
        mid = len(code) // 2
        flipped_mid = code[:mid] + ("x" if code[mid] != "x" else "y") + code[mid + 1:]
        bad = ["/t/zzzzzz", "/t/" + flipped, "/t/" + flipped_mid, "/t/" + code[:-2], "/t/" + code + "x",
               "/t/" + code[1:], "/t/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
               "/t/" + "9" * 200, "/t/" + code[:mid] + "%20" + code[mid:]]
        for p in bad:
            r = self.click(p)
            self.assertEqual(r.status, 404, f"{p}: {r!r}")
            self.assertTrue((r.header("Content-Type") or "").startswith("text/html"), f"{p}: {r.headers}")
            self.assertIsNone(r.header("Location"), p)
        # Not a code at all (no route): a 404 too, whatever its body. A NUL must not cut a garbled
        # code down to a valid one.
        # (A code of 256+ characters is past the router's segment limit: also only a 404.)
        wrong = []
        for p in ("/t/", "/t/" + "9" * 400, "/t/%00" + code, "/t/" + code + "/x", "/t/" + code + "%00x",
                  "/t/" + code + "%00", "/t/" + code + "%2Fx"):
            r = self.click(p)
            if r.status != 404:
                wrong.append((p, r.status, r.header("Location")))
        time.sleep(BATCH_WAIT)
        a = self.analytics(self.token, cid)
        self.assertEqual((wrong, a["clicks"], a["unique_clicks"]), ([], 0, 0),
                         "garbled codes answered other than 404 (or counted)")
        self.assertEqual(self.click(path).status, 302, "the real code still works")


# --------------------------------------------------------------------------------------------
# 2. Attribution of orders: ref, then discount code, then the 7-day window; refunds.

class AttributionTest(Case):
    USERS = make_users(3, "62")

    @classmethod
    def prepare(cls):
        cls.key, cls.token, cls.contacts = cls.account()
        cls.u = [u["id"] for u in cls.USERS]
        cls.a, lines_a = cls.send(cls.token, "AttrA", "{{first_name}} use {{discount_code}} "
                                  '<a href="https://shop.example/a">shop A</a>',
                                  discount_codes={"mode": "static", "code": "ACODE-1"})
        cls.b, lines_b = cls.send(cls.token, "AttrB", "{{first_name}} your code is {{discount_code}} today "
                                  '<a href="https://shop.example/b?src=tg">shop B</a>',
                                  discount_codes={"mode": "pool", "codes": ["BPOOL-1", "BPOOL-2", "BPOOL-3",
                                                                            "BPOOL-4"]})
        cls.pool = {}
        for user, x in lines_b.items():
            m = re.search(r"your code is (\S+) today", x["text"])
            cls.check(m, f"no pool code in {x['text']!r}")
            cls.pool[user] = m.group(1)
        cls.check(sorted(cls.pool.values()) == sorted(set(cls.pool.values())), f"pool codes repeat: {cls.pool}")
        cls.ref_a, cls.ref_b = {}, {}
        for lines, refs, base in ((lines_a, cls.ref_a, "https://shop.example/a"),
                                  (lines_b, cls.ref_b, "https://shop.example/b?src=tg")):
            for user, x in lines.items():
                r = cls.click(cls.links(x)[0])
                cls.check(r.status == 302, f"click: {r!r}")
                ref, _ = split_ref(r.header("Location") or "", base)
                cls.check(ref, f"no tgr_ref in {r.header('Location')!r}")
                refs[user] = ref
        time.sleep(BATCH_WAIT)

    def money(self, cid):
        a = self.analytics(self.token, cid)
        return a["orders"], a["revenue"]

    def assertCredited(self, order_args, want, amount):
        """Post an order, check attributed_campaign_id == want and that the analytics of A and B
        changed at once by exactly (1, amount) on want and not at all elsewhere."""
        before = {c: self.money(c) for c in (self.a, self.b)}
        got = self.order(self.key, *order_args[:3], **order_args[3])
        self.assertEqual(got, want, f"order {order_args}: attributed to {got}, want {want} (A={self.a}, B={self.b})")
        for c in (self.a, self.b):
            o, rev = before[c]
            exp = (o + 1, rev + amount) if c == want else (o, rev)
            self.assertEqual(self.money(c), exp, f"campaign {c} after order {order_args[0]}")

    def test_ref_beats_code_beats_window(self):
        u0, u1 = self.u[0], self.u[1]
        # ref of A wins over B's pool code and over the window (B is the latest message).
        self.assertCredited(("o-ref-1", 1100, u0, {"ref": self.ref_a[u0], "discount_code": self.pool[u0]}),
                            self.a, 1100)
        # ref of B wins over A's static code.
        self.assertCredited(("o-ref-2", 1200, u1, {"ref": self.ref_b[u1], "discount_code": "ACODE-1"}), self.b, 1200)
        # A's static code wins over the window (B is the latest message to u0).
        self.assertCredited(("o-code-1", 1300, u0, {"discount_code": "ACODE-1"}), self.a, 1300)
        # B's pool code handed to u1; a pool code handed to another customer still names B.
        self.assertCredited(("o-code-2", 1400, u1, {"discount_code": self.pool[u1]}), self.b, 1400)
        # No ref, no code: the latest campaign message (B).
        self.assertCredited(("o-win-1", 1500, u0, {}), self.b, 1500)
        # A customer who got no campaign message, without code or ref: nobody.
        self.assertCredited(("o-none-1", 1600, "6299999", {}), None, 0)

    def test_orders_outside_the_seven_days_are_not_credited(self):
        u2 = self.u[2]
        self.assertCredited(("o-late-1", 2100, u2, {"created_at": days_from_now(10)}), None, 0)
        self.assertCredited(("o-late-2", 2200, u2, {"created_at": days_from_now(8)}), None, 0)
        self.assertCredited(("o-early-1", 2300, u2, {"created_at": days_from_now(-1)}), None, 0)
        self.assertCredited(("o-in-1", 2400, u2, {"created_at": days_from_now(6)}), self.b, 2400)
        # A ref or a code still credits an order outside the window.
        self.assertCredited(("o-late-3", 2500, u2, {"created_at": days_from_now(10), "ref": self.ref_a[u2]}),
                            self.a, 2500)

    def test_another_accounts_ref_or_code_credits_nothing_here(self):
        other_key = self.srv.create_account("attribution-other@shop.test", PASSWORD)
        before = {c: self.money(c) for c in (self.a, self.b)}
        u0 = self.u[0]
        self.assertIsNone(self.order(other_key, "x-ref-1", 900, u0, ref=self.ref_a[u0]))
        self.assertIsNone(self.order(other_key, "x-code-1", 900, u0, discount_code="ACODE-1"))
        self.assertIsNone(self.order(other_key, "x-win-1", 900, u0))
        self.assertEqual({c: self.money(c) for c in (self.a, self.b)}, before)
        # A forged ref falls through to the next rule (here the window: B).
        ref = self.ref_a[u0]
        forged = ref[:-2] + ("yy" if ref.endswith("zz") else "zz")  # always differs from the real one
        self.assertCredited(("o-forged-1", 950, u0, {"ref": forged}), self.b, 950)

    def test_refund_reverses_the_credited_revenue(self):
        u1 = self.u[1]
        o0, rev0 = self.money(self.a)
        self.assertEqual(self.order(self.key, "o-refund-1", 3300, u1, discount_code="ACODE-1"), self.a)
        self.assertEqual(self.money(self.a), (o0 + 1, rev0 + 3300))
        rev_total0 = self.get_json("/analytics/revenue", self.token)["total"]
        got = self.order(self.key, "o-refund-1", 3300, u1, status="refunded", discount_code="ACODE-1")
        self.assertIn(got, (self.a, None))
        o1, rev1 = self.money(self.a)
        self.assertEqual(rev1, rev0, "a refund did not reverse the revenue")
        self.assertEqual(self.get_json("/analytics/revenue", self.token)["total"], rev_total0 - 3300)
        # A repeat of the refund changes nothing.
        self.order(self.key, "o-refund-1", 3300, u1, status="refunded", discount_code="ACODE-1")
        self.assertEqual(self.money(self.a), (o1, rev1))
        self.assertEqual(o1, o0, f"a refunded order still counts as an order: orders {o0} -> {o1}")


# --------------------------------------------------------------------------------------------
# 3. The analytics numbers, the revenue report, the campaigns table and the scorecard.

LINE1 = "Scoreline one for {{first_name|friend}}"
LINE2 = 'Scoreline two <a href="https://shop.example/score?c=9">see the deal</a>'
LINE3 = "Scoreline three: code {{discount_code}}"


def score_users():
    us = make_users(8, "63")
    us[0].update(read_after_seconds=0.2, click_after_seconds=0.3,
                 reply={"after_seconds": 0.5, "text": "Sounds good, interested in the deal"})
    us[1].update(read_after_seconds=0.2)
    us[2].update(read_after_seconds=0.2, reply={"after_seconds": 0.4, "text": "Which sizes do you have?"})
    us[3].update(read_after_seconds=0.2, click_after_seconds=0.3)
    us[5].update(error="USER_PRIVACY_RESTRICTED", read_after_seconds=0.2, click_after_seconds=0.2)
    us[6].update(read_after_seconds=0.2)
    return us


class ScoreTest(Case):
    """One account, one campaign to 8 users (one fails), simulated reads, replies and clicks, the
    test's own clicks and orders; then every read-side endpoint is compared with that."""

    USERS = score_users()

    @classmethod
    def prepare(cls):
        cls.key, cls.token, cls.contacts = cls.account()
        cls.cid, cls.lines = cls.send(cls.token, "Score", "\n".join([LINE1, LINE2, LINE3]),
                                      discount_codes={"mode": "static", "code": "SCORE-5"})
        users = {u["id"]: u for u in cls.USERS}
        delivered = set(cls.lines)
        cls.want_sent = len(delivered)
        cls.want_failed = len([u for u in cls.USERS if u.get("error")])
        cls.want_read = len([u for u in delivered if "read_after_seconds" in users[u]])
        cls.want_replied = len([u for u in delivered if "reply" in users[u]])
        sim_clickers = {u for u in delivered if "click_after_seconds" in users[u]}
        # The simulated clicks arrive by themselves; wait for them (and reads and replies).
        cls.check(wait_until(lambda: cls.analytics(cls.token, cls.cid)["unique_clicks"] >= len(sim_clickers)
                             and cls.analytics(cls.token, cls.cid)["replied"] >= cls.want_replied
                             and cls.analytics(cls.token, cls.cid)["read"] >= cls.want_read, 15),
                  f"events did not arrive: {cls.analytics(cls.token, cls.cid)}")
        # The test's own clicks: u01 twice, u00 once more, a bot once (not counted). Each from
        # an address that has not clicked that link yet (the simulator clicks from 127.0.0.1):
        # repeats from one address within 10 minutes count once.
        u = [x["id"] for x in cls.USERS]
        cls.path = {x: cls.links(cls.lines[x])[0] for x in delivered}
        ref = None
        for who, source in ((u[1], "127.0.0.1"), (u[1], SECOND_ADDRESS), (u[0], SECOND_ADDRESS)):
            status, loc = click_from(cls.srv.port, cls.path[who], source)
            cls.check(status == 302, f"click: {status} {loc}")
            if who == u[1]:
                ref, _ = split_ref(loc, "https://shop.example/score?c=9")
        cls.click(cls.path[u[4]], ua="TelegramBot (like TwitterBot)")
        cls.want_clicks = len(sim_clickers) + 3
        cls.want_unique = len(sim_clickers | {u[1]})
        # Orders: ref (u01), code (u04), window (u02), none (a stranger), paid then refunded (u06).
        cls.credited = {}
        for oid, amount, who, extra in (("s-ref", 2500, u[1], {"ref": ref}), ("s-code", 1500, u[4],
                                        {"discount_code": "SCORE-5"}), ("s-win", 1000, u[2], {})):
            cls.check(cls.order(cls.key, oid, amount, who, **extra) == cls.cid, f"order {oid} not credited")
            cls.credited[oid] = amount
        cls.check(cls.order(cls.key, "s-none", 700, "6399999") is None, "a stranger's order was credited")
        cls.check(cls.order(cls.key, "s-refund", 4000, u[6]) == cls.cid, "s-refund not credited")
        cls.order(cls.key, "s-refund", 4000, u[6], status="refunded")
        cls.ref_order_ref = ref
        time.sleep(BATCH_WAIT)
        cls.a = cls.analytics(cls.token, cls.cid)

    def test_counters_equal_the_record_and_the_requests(self):
        a = self.a
        got = {k: a[k] for k in ("sent", "failed", "read", "replied", "clicks", "unique_clicks", "pending")}
        want = {"sent": self.want_sent, "failed": self.want_failed, "read": self.want_read,
                "replied": self.want_replied, "clicks": self.want_clicks, "unique_clicks": self.want_unique,
                "pending": 0}
        self.assertEqual(got, want, a)
        self.assertEqual(self.want_sent, len(self.USERS) - 1)
        self.assertAlmostEqual(a["ctr"], self.want_unique / self.want_sent, places=3)
        self.assertEqual(a["failures_by_reason"], {"USER_PRIVACY_RESTRICTED": 1}, a)
        self.assertEqual((a["orders"], a["revenue"], a["currency"]),
                         (len(self.credited), sum(self.credited.values()), "EUR"), a)
        self.assertEqual(a["audience"], len(self.USERS), a)

    def test_revenue_report_sums_the_credited_orders(self):
        total = sum(self.credited.values())
        for q in ("", "?bucket=day", "?bucket=week"):
            rev = self.get_json("/analytics/revenue" + q, self.token)
            self.assertEqual((rev["currency"], rev["total"]), ("EUR", total), f"{q}: {rev}")
            self.assertEqual(rev.get("orders"), len(self.credited), f"{q}: {rev}")
            self.assertEqual(sum(s["revenue"] for s in rev["series"]), total, f"{q}: {rev['series']}")
            self.assertEqual(sum(s["orders"] for s in rev["series"]), len(self.credited), f"{q}: {rev['series']}")
            self.assertEqual(rev["by_campaign"], [{"campaign_id": self.cid, "name": "Score campaign",
                                                   "revenue": total, "orders": len(self.credited)}], q)
        day = self.get_json("/analytics/revenue?bucket=day", self.token)
        self.assertGreaterEqual(len(day["series"]), 28, "the default range is 30 days with empty buckets")
        week = self.get_json("/analytics/revenue?bucket=week", self.token)
        for s in week["series"]:
            t = datetime.strptime(s["t"][:10], "%Y-%m-%d")
            self.assertEqual(t.weekday(), 0, f"week bucket not on a Monday: {s}")
        today = datetime.now(timezone.utc)
        q = (f"?from={iso(today - timedelta(days=2))}&to={iso(today + timedelta(days=1))}&bucket=day")
        rng = self.get_json("/analytics/revenue" + q, self.token)
        self.assertEqual(rng["total"], total, rng)
        self.assertLessEqual(len(rng["series"]), 4, rng)
        old = self.get_json(f"/analytics/revenue?from={iso(today - timedelta(days=60))}"
                            f"&to={iso(today - timedelta(days=40))}&bucket=day", self.token)
        self.assertEqual(old["total"], 0, old)

    def test_campaigns_table_matches_the_analytics(self):
        rows = self.get_json("/analytics/campaigns", self.token)["campaigns"]
        row = next((r for r in rows if r["campaign_id"] == self.cid), None)
        self.assertIsNotNone(row, rows)
        keys = {"campaign_id", "name", "status", "audience", "sent", "failed", "read", "replied", "opted_out",
                "clicks", "unique_clicks", "ctr", "orders", "revenue", "pending", "started_at", "currency"}
        self.assertLessEqual(keys, set(row), row)
        for k in keys - {"campaign_id", "name", "started_at"}:
            self.assertEqual(row[k], self.a[k], f"{k}: table {row[k]} vs analytics {self.a[k]}")
        self.assertEqual(row["name"], "Score campaign")
        # The first message apart from the follow-ups, as the campaign's analytics (issue 18).
        self.assertEqual({k: v for k, v in row["first_message"].items() if k != "eta"},
                         {k: v for k, v in self.a["first_message"].items() if k != "eta"}, row)
        # The contacts list says in which currency spent is: the same as the campaign's revenue.
        self.assertEqual(self.get_json("/contacts?limit=1", self.token)["currency"], self.a["currency"])

    def test_scorecard_best_lines_and_attribution(self):
        sc = self.get_json(f"/campaigns/{self.cid}/scorecard", self.token)
        for k in ("sent", "failed", "read", "replied", "clicks", "unique_clicks", "ctr", "orders", "revenue"):
            self.assertEqual(sc["metrics"][k], self.a[k], f"metrics.{k}")
        ra = sc["revenue_attribution"]
        self.assertEqual([(x["url"], x["clicks"], x["orders"], x["revenue"]) for x in ra["by_link"]],
                         [("https://shop.example/score?c=9", self.want_clicks, 1, self.credited["s-ref"])], ra)
        self.assertEqual([(x["step"], x["orders"], x["revenue"]) for x in ra["by_step"]],
                         [(0, len(self.credited), sum(self.credited.values()))], ra)
        self.assertEqual([(x["code"], x["orders"], x["revenue"]) for x in ra["by_code"]],
                         [("SCORE-5", 1, self.credited["s-code"])], ra)
        lines = sc["best_lines"]
        got, want = {}, {}
        for marker in ("Scoreline one", "Scoreline two", "Scoreline three"):
            hits = [x for x in lines if marker in x["text"] and x["step"] == 0]
            self.assertEqual(len(hits), 1, f"{marker}: {lines}")
            got[marker] = (hits[0]["sent"], hits[0]["clicks"], hits[0]["replies"])
            want[marker] = (self.want_sent, self.want_clicks if marker == "Scoreline two" else 0, self.want_replied)
        self.assertEqual(got, want, f"(sent, clicks, replies) of each line; best_lines {lines}")
        # Placeholders as written, with their fallback (issue 18).
        self.assertTrue(next(x for x in lines if "Scoreline one" in x["text"])["text"].endswith(LINE1), lines)
        self.assertTrue(next(x for x in lines if "Scoreline three" in x["text"])["text"].endswith(LINE3), lines)
        # Ranked as the web app says: by score, highest first (ties in the message's order).
        scores = [x["score"] for x in lines]
        self.assertEqual(scores, sorted(scores, reverse=True), lines)
        ties = [x["text"] for x in lines if x["step"] == 0 and x["score"] == lines[-1]["score"]]
        markers = [m for m in ("Scoreline one", "Scoreline two", "Scoreline three") if any(m in t for t in ties)]
        self.assertEqual([next(m for m in markers if m in t) for t in ties], markers, lines)

    def test_scorecard_suggestions_select_what_they_say(self):
        def verify(cap):
            sc = self.get_json(f"/campaigns/{self.cid}/scorecard", self.token)
            sug = sc["suggestions"]
            self.assertTrue(sug, sc)
            self.assertEqual([s["kind"] for s in sug],
                             ["clicked_not_bought", "read_not_replied", "not_read", "refund_risk", "bought"])
            # The hour readers read most, as a number beside the words (the web app says it in Russian).
            not_read = next(s for s in sug if s["kind"] == "not_read")
            self.assertEqual("read_hour" in not_read, sc["metrics"]["read"] > 0, not_read)
            if "read_hour" in not_read:
                self.assertTrue(0 <= not_read["read_hour"] <= 23, not_read)
                self.assertIn(f"around {not_read['read_hour']:02d}:00", not_read["reason"], not_read)
            self.assertEqual([s["kind"] for s in sug if "read_hour" in s], ["not_read"] if sc["metrics"]["read"] else [], sug)
            for i, s in enumerate(sug):
                self.assertLessEqual({"kind", "title", "reason", "audience_count", "audience_count_after_cap",
                                      "filters"}, set(s), s)
                r = self.srv.post("/campaigns", {"name": f"Suggestion {cap}-{i}", "message_text": "Follow-up",
                                                 "filters": s["filters"]}, token=self.token)
                self.assertEqual(r.status, 201, f"{s}: {r!r}")
                aud = self.get_json(f"/campaigns/{r.json['id']}/audience", self.token)
                self.assertEqual(aud["count"], s["audience_count"], f"cap {cap}: {s} vs audience {aud['count']}")
                self.assertGreaterEqual(s["audience_count_after_cap"], s["audience_count"], s)
                # The audience says why it is smaller than the filters: the frequency cap, its length,
                # and when the first person it holds can be messaged again.
                held = s["audience_count_after_cap"] - s["audience_count"]
                self.assertEqual((aud["excluded"]["frequency_cap"], aud["frequency_cap_days"]), (held, cap), aud)
                if held:
                    ends = parse_time(aud["cap_ends_at"])
                    self.assertTrue(time.time() < ends <= time.time() + cap * 86400, aud)
                else:
                    self.assertIsNone(aud["cap_ends_at"], aud)
                self.assertEqual(self.srv.request("DELETE", f"/campaigns/{r.json['id']}", token=self.token).status,
                                 204)
            return sug

        r = self.srv.request("PATCH", "/account", body={"frequency_cap_days": 2}, token=self.token)
        self.assertEqual(r.status, 200, r)
        capped = verify(2)
        self.assertTrue(any(s["audience_count_after_cap"] > s["audience_count"] for s in capped), capped)
        r = self.srv.request("PATCH", "/account", body={"frequency_cap_days": 0}, token=self.token)
        self.assertEqual(r.status, 200, r)
        free = verify(0)
        self.assertTrue(any(s["audience_count"] > 0 for s in free), free)
        for s in free:
            self.assertEqual(s["audience_count"], s["audience_count_after_cap"], s)
        self.assertEqual(sorted(s["audience_count_after_cap"] for s in capped),
                         sorted(s["audience_count_after_cap"] for s in free))


if __name__ == "__main__":
    unittest.main(verbosity=2)
