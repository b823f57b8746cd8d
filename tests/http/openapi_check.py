"""openapi_check — holds every exchange of the HTTP tests to share/openapi.json (issue 19 item 4,
docs/DECISIONS.md 71): tgrtest.Server.request() passes each response here, which finds the
document's operation for the method and path, requires the status to be documented (or the
operation's `default`), the content type to be one the document lists, and a JSON body to match
the schema — an object with a field the document does not describe fails, since every object
schema says `additionalProperties: false`. A JSON request body that the server accepted (2xx) is
held to the operation's requestBody schema the same way, so a field the tests send and the
document lacks fails too.

The validator covers the part of JSON Schema the document uses: $ref, type (with lists), enum,
properties, required, additionalProperties, items, oneOf, minimum, maximum, minLength,
maxLength, maxItems, pattern. TGR_OPENAPI_VALIDATE=0 turns the checks off (to look at a
failure from another angle); a test can never pass by disabling them in code.
"""
import json
import os
import re

_DOC = None
_OPS = None  # [(method, compiled regex, params count, operation)]


def _load():
    global _DOC, _OPS
    if _DOC is not None:
        return _DOC
    src = os.environ.get("TGR_SRC") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    with open(os.path.join(src, "share", "openapi.json")) as f:
        _DOC = json.load(f)
    _OPS = []
    for path, methods in _DOC["paths"].items():
        rx = re.compile("^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(path)) + "$")
        for method, op in methods.items():
            _OPS.append((method.upper(), rx, path.count("{"), op))
    return _DOC


def enabled():
    return os.environ.get("TGR_OPENAPI_VALIDATE", "1") != "0"


def operation(method, path):
    """The document's operation for method and path (query ignored; HEAD is GET), or None."""
    _load()
    p = path.split("?", 1)[0]
    m = "GET" if method == "HEAD" else method
    found = [(n, op) for mm, rx, n, op in _OPS if mm == m and rx.match(p)]
    return min(found, key=lambda x: x[0])[1] if found else None


def _resolve(s):
    while isinstance(s, dict) and "$ref" in s:
        node = _DOC
        for part in s["$ref"].lstrip("#/").split("/"):
            node = node[part]
        s = node
    return s


def _type_ok(v, t):
    if t == "null":
        return v is None
    if t == "boolean":
        return isinstance(v, bool)
    if t == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if t == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    if t == "string":
        return isinstance(v, str)
    if t == "array":
        return isinstance(v, list)
    if t == "object":
        return isinstance(v, dict)
    return False


def problems(v, s, where="body"):
    """The ways v does not match schema s (empty when it does)."""
    s = _resolve(s)
    out = []
    if "oneOf" in s:
        ok = [alt for alt in s["oneOf"] if not problems(v, alt, where)]
        if len(ok) != 1:
            out.append(f"{where}: matches {len(ok)} of the oneOf alternatives, not exactly one")
        return out
    t = s.get("type")
    if t is not None:
        types = t if isinstance(t, list) else [t]
        if not any(_type_ok(v, x) for x in types):
            return [f"{where}: {json.dumps(v)[:80]} is not of type {t}"]
    if "enum" in s and v not in s["enum"]:
        out.append(f"{where}: {json.dumps(v)[:80]} is not one of {s['enum']}")
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if "minimum" in s and v < s["minimum"]:
            out.append(f"{where}: {v} < minimum {s['minimum']}")
        if "maximum" in s and v > s["maximum"]:
            out.append(f"{where}: {v} > maximum {s['maximum']}")
    if isinstance(v, str):
        if "minLength" in s and len(v) < s["minLength"]:
            out.append(f"{where}: shorter than {s['minLength']}")
        if "maxLength" in s and len(v) > s["maxLength"]:
            out.append(f"{where}: longer than {s['maxLength']}")
        if "pattern" in s and not re.search(s["pattern"], v):
            out.append(f"{where}: does not match {s['pattern']}")
    if isinstance(v, list):
        if "maxItems" in s and len(v) > s["maxItems"]:
            out.append(f"{where}: more than {s['maxItems']} items")
        if "items" in s:
            for i, x in enumerate(v):
                out += problems(x, s["items"], f"{where}[{i}]")
                if len(out) > 5:
                    break
    if isinstance(v, dict):
        props = s.get("properties", {})
        for k in s.get("required", []):
            if k not in v:
                out.append(f"{where}: required field {k!r} is missing")
        extra = s.get("additionalProperties", True)
        for k, x in v.items():
            if k in props:
                out += problems(x, props[k], f"{where}.{k}")
            elif extra is False:
                out.append(f"{where}: field {k!r} is not in the document")
            elif isinstance(extra, dict):
                out += problems(x, extra, f"{where}.{k}")
    return out


def check(method, path, status, ctype, body, request_json=None):
    """Raise AssertionError when the exchange does not match the document."""
    if not enabled():
        return
    op = operation(method, path)
    base = (ctype or "").split(";", 1)[0].strip()
    what = f"openapi: {method} {path.split('?', 1)[0]} → {status}"
    if op is None:
        # No such route: the router's 404/405, in the error shape.
        if status in (404, 405) and base == "application/json":
            errs = problems(json.loads(body), {"$ref": "#/components/schemas/Error"})
            if errs:
                raise AssertionError(f"{what}: {'; '.join(errs)}")
        return
    responses = op["responses"]
    resp = responses.get(str(status)) or responses.get("default")
    if resp is None:
        raise AssertionError(f"{what}: status {status} is not in the document")
    resp = _resolve(resp)
    content = resp.get("content")
    if base == "application/json":
        if not content or "application/json" not in content:
            raise AssertionError(f"{what}: a JSON body where the document has {sorted(content or {})}")
        try:
            value = json.loads(body)
        except ValueError:
            raise AssertionError(f"{what}: the body is not JSON")
        errs = problems(value, content["application/json"]["schema"])
        if errs:
            raise AssertionError(f"{what}: {'; '.join(errs[:6])}")
    elif body and content and base not in content and not (base.startswith("text/") and "text/*" in content):
        raise AssertionError(f"{what}: content type {base!r} where the document has {sorted(content)}")
    if request_json is not None and 200 <= status < 300:
        rb = op.get("requestBody", {}).get("content", {}).get("application/json")
        if rb is None:
            raise AssertionError(f"{what}: the server took a JSON body the document does not describe")
        errs = problems(request_json, rb["schema"], "request")
        if errs:
            raise AssertionError(f"{what}: {'; '.join(errs[:6])}")
