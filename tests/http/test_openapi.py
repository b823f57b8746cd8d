#!/usr/bin/env python3
"""test_openapi — the API document (issue 19 item 4; shared/API.md "The API document",
docs/DECISIONS.md 71) cannot go stale:
- GET /openapi.json answers without a credential with share/openapi.json, an OpenAPI 3.1 document;
- its operations are exactly the route table's (src/http/routes.c), both ways;
- every property of every JSON request body it describes is one the server knows, of the type it
  says: a body with that property of a wrong type is refused 400 naming that property as having
  the wrong type (not as unknown), and a property it does not describe is refused as unknown.
Every other HTTP suite holds each response it receives (status, content type, every field) and
each JSON body the server took to the document through tgrtest (openapi_check.py); Redocly's
linter checks the document itself (ctest lint.openapi).

Run: python3 tests/http/test_openapi.py (CTest sets TGR_BIN).
"""
import json
import os
import re
import shutil
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import openapi_check  # noqa: E402
import tgrtest  # noqa: E402
from tgrtest import Server, connect_telegram, sim_args, webhook_signature, write_scenario  # noqa: E402

PASSWORD = "correct horse battery staple 9"
SCENARIO = {
    "me": {"id": "6101", "first_name": "Document Shop", "username": "document_shop", "phone": "+15550006101"},
    "login": {"code": "61010"},
    "users": [{"id": "3601", "access_hash": "36001", "first_name": "Ada", "last_name": "Field",
               "username": "ada_field", "phone": "+15550003601",
               "messages": [{"text": "Is the blue one back in stock?", "ago_seconds": 600}]}],
    "record": "deliveries.jsonl",
}


def doc():
    return openapi_check._load()


def route_table():
    """(METHOD, /path/{param}) of every route of src/http/routes.c."""
    with open(os.path.join(tgrtest.REPO, "src", "http", "routes.c")) as f:
        text = f.read()
    out = set()
    for method, path in re.findall(r'\{"([A-Z]+)", "(/[^"]*)"', text):
        out.add((method, re.sub(r":(\w+)", r"{\1}", path)))
    return out


def some_value(s):
    """A value of schema s's type (not necessarily one the server's later checks like)."""
    s = openapi_check._resolve(s)
    if "oneOf" in s:
        return some_value(s["oneOf"][0])
    if "enum" in s:
        return s["enum"][0]
    t = s.get("type")
    t = [x for x in t if x != "null"][0] if isinstance(t, list) else t
    if t == "string":
        return "x" * max(1, s.get("minLength", 1))
    if t == "integer":
        return max(1, s.get("minimum", 1))
    if t == "boolean":
        return True
    if t == "array":
        return []
    return {}


def wrong_value(s):
    """A value of a JSON type schema s does not allow (None when it allows every type)."""
    s = openapi_check._resolve(s)
    allowed = set()
    for alt in s.get("oneOf", [s]):
        alt = openapi_check._resolve(alt)
        t = alt.get("type", "object" if "properties" in alt else None)
        if t is None:
            return None
        allowed |= set(t if isinstance(t, list) else [t])
    for candidate, kind in (("text", "string"), (12345, "integer"), (True, "boolean"), ([1], "array")):
        if kind not in allowed:
            return candidate
    return None


class DocumentTest(unittest.TestCase):
    """The document as served, and beside the route table."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Server()
        cls.srv.start()

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()

    def test_served_without_a_credential_as_the_file_says(self):
        r = self.srv.get("/openapi.json")
        self.assertEqual(r.status, 200, r)
        self.assertTrue(r.header("Content-Type").startswith("application/json"))
        self.assertEqual(r.json, doc())
        self.assertEqual(r.json["openapi"], "3.1.0")

    def test_every_route_is_described_and_nothing_else(self):
        described = {(m.upper(), p) for p, ops in doc()["paths"].items() for m in ops}
        routes = route_table()
        self.assertGreater(len(routes), 50)
        self.assertEqual(sorted(routes - described), [], "routes the document does not describe")
        self.assertEqual(sorted(described - routes), [], "operations the server does not have")

    def test_every_operation_has_its_errors_and_a_summary(self):
        for path, ops in doc()["paths"].items():
            for m, op in ops.items():
                with self.subTest(op=f"{m.upper()} {path}"):
                    self.assertTrue(op.get("summary"))
                    self.assertIn("default", op["responses"])
                    self.assertTrue(any(k.startswith("2") or k.startswith("3") for k in op["responses"]))
                    if op.get("security") != []:
                        self.assertIn("401", op["responses"])

    def test_the_checker_itself_refuses_what_the_document_lacks(self):
        # The checker every suite relies on: an undocumented field, a wrong type, a status.
        with self.assertRaisesRegex(AssertionError, "'surprise' is not in the document"):
            openapi_check.check("GET", "/healthz", 200, "application/json", b'{"ok":true,"surprise":1}')
        with self.assertRaisesRegex(AssertionError, "is not of type"):
            openapi_check.check("GET", "/healthz", 200, "application/json", b'{"ok":"yes"}')
        # A status the operation does not list is held to its default: the error shape.
        with self.assertRaisesRegex(AssertionError, "207: body: required field 'error' is missing"):
            openapi_check.check("GET", "/healthz", 207, "application/json", b'{"ok":true}')
        with self.assertRaisesRegex(AssertionError, "'extra' is not in the document"):
            openapi_check.check("POST", "/auth/login", 200, "application/json",
                                json.dumps({"token": "t", "expires_at": "x", "account": {"id": 1, "email": "e",
                                                                                         "plan_type": "free"}}).encode(),
                                request_json={"email": "e", "password": "p", "extra": 1})


class RequestBodiesTest(unittest.TestCase):
    """Each documented request property, probed against the running server."""

    @classmethod
    def setUpClass(cls):
        cls.work = tempfile.mkdtemp(prefix="tgrtest-openapi-")
        cls.srv = Server(args=sim_args(write_scenario(cls.work, SCENARIO)))
        cls.srv.start()
        cls.srv.create_account("doc@openapi.test", PASSWORD)
        cls.token = cls.srv.login("doc@openapi.test", PASSWORD)
        connect_telegram(cls.srv, cls.token, SCENARIO["me"]["phone"], SCENARIO["login"]["code"])
        # The first sync runs in the background after the login.
        tgrtest.wait_until(lambda: "3601" in tgrtest.contacts_by_tg_id(cls.srv, cls.token), 30)
        cls.ids = {"contact": tgrtest.contacts_by_tg_id(cls.srv, cls.token)["3601"]["id"]}
        r = cls.srv.post("/campaigns", {"name": "Probe", "message_text": "Hello {{first_name}}"}, token=cls.token)
        assert r.status == 201, r
        cls.ids["campaign"] = r.json["id"]
        r = cls.srv.post("/segments", {"name": "Probe", "filters": {}}, token=cls.token)
        assert r.status == 201, r
        cls.ids["segment"] = r.json["id"]
        r = cls.srv.post("/account/webhook-secret", {}, token=cls.token)
        cls.secret = r.json["webhook_secret"]
        cls.account_id = cls.srv.get("/account", token=cls.token).json["id"]

    @classmethod
    def tearDownClass(cls):
        cls.srv.cleanup()
        shutil.rmtree(cls.work, ignore_errors=True)

    def send(self, method, path, body):
        raw = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
        if path == "/webhooks/orders":
            headers.update({"X-Tgr-Account": str(self.account_id), "X-Tgr-Signature": webhook_signature(self.secret, raw)})
            return self.srv.request(method, path, raw=raw, headers=headers)
        return self.srv.request(method, path, raw=raw, headers=headers, token=self.token)

    def concrete(self, path):
        kind = {"campaigns": "campaign", "segments": "segment", "contacts": "contact"}[path.split("/")[1]]
        return path.replace("{id}", str(self.ids[kind]))

    def test_every_documented_property_is_known_to_the_server_with_its_type(self):
        probed = 0
        for path, ops in doc()["paths"].items():
            for m, op in ops.items():
                body = op.get("requestBody", {}).get("content", {}).get("application/json")
                if not body:
                    continue
                schema = openapi_check._resolve(body["schema"])
                props = schema.get("properties", {})
                base = {k: some_value(props[k]) for k in schema.get("required", [])}
                url = self.concrete(path) if "{" in path else path
                with self.subTest(op=f"{m.upper()} {path}", prop="(undocumented)"):
                    r = self.send(m.upper(), url, dict(base, zz_undocumented=1))
                    self.assertEqual((r.status, r.error_field), (400, "zz_undocumented"), r)
                    self.assertIn("is not a known field", r.json["error"]["message"])
                for name, ps in props.items():
                    bad = wrong_value(ps)
                    if bad is None:
                        continue
                    with self.subTest(op=f"{m.upper()} {path}", prop=name):
                        r = self.send(m.upper(), url, dict(base, **{name: bad}))
                        self.assertEqual((r.status, r.error_field), (400, name), r)
                        self.assertNotIn("is not a known field", r.json["error"]["message"])
                        probed += 1
        self.assertGreaterEqual(probed, 45)


if __name__ == "__main__":
    unittest.main(verbosity=2)
