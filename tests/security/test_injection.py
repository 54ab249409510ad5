"""Injection fuzz over every parameter of every operation of the OpenAPI documents: path,
query, JSON and form fields, and the headers the services read — SQL, path traversal,
header injection, markup, huge and odd numbers, control characters, long and deep
values. Each request is the operation's valid request with one value replaced, sent by
a caller allowed to make it (so it reaches the code behind the door).

Asserted: no 5xx; nothing injected into a response header; markup echoed only in JSON
(never in a page a browser would render); control characters in a JSON text field are
never accepted. Prints probes and 5xx. Every class reaches every parameter in each run, a
sample of each class's payloads (``PER_CLASS``); the seed is printed."""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from certreg_testing.platform import embedded_platform

from .catalogue import POLICIES, SERVICES, Request, operations, request_for
from .world import World, build_world

SQL = ["' OR '1'='1", "1; DROP TABLE cases;--", '" OR 1=1 --', "%' UNION SELECT NULL,NULL--", "\\'; SELECT pg_sleep(5)--"]
TRAVERSAL = [
    "../../../../etc/passwd",
    "..%2f..%2f..%2fetc%2fpasswd",
    "....//....//etc/passwd",
    "/etc/passwd%00.pdf",
    "..\\..\\windows\\win.ini",
]
HEADER = ["x\r\nSet-Cookie: pwned=1", "x%0d%0aX-Injected:%201", "x\nX-Injected: 1"]
MARKUP = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "javascript:alert(1)", "{{7*7}}${7*7}"]
NUMBERS = ["100000000000000000000", "-1", "-100000000000000000000", "1e309", "NaN", "Infinity", "0x10", "9" * 400]
CONTROLS = ["\x00", "a\x00b", "\x1b[2J", "\u202e\u0645", "\x7f\x85\x9b"]
LONG = ["A" * 20_000, "Ｒéseau 𝓧 ✓ — « »"]
TEXT_PAYLOADS = SQL + TRAVERSAL + HEADER + MARKUP + NUMBERS + CONTROLS + LONG
JSON_VALUES: list[Any] = [10**20, -(10**20), 1e308, -1, 0, True, None, [], {}, ["x"] * 2000, {"$gt": ""}, [[[[[]]]]]]
DEEP = "[" * 50_000 + "]" * 50_000
# Answer 202 whatever they are sent (no account enumeration), and store nothing they are sent.
SAME_ANSWER = ("/api/identity/activation/resend", "/api/identity/password/forgot")


@pytest.fixture(scope="module")
async def fuzz_world(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[World]:
    """A world of its own: the fuzz changes what it reaches."""
    async with embedded_platform(tmp_path_factory.mktemp("fuzz")) as p:
        yield await build_world(p)


def caller(world: World, method: str, path: str) -> dict[str, str]:
    policy = POLICIES[(method, path)]
    if policy.public:
        return {}
    for kind in ("entity_manager", "onboarding", "reviewer", "director", "instructor", "commission", "si_admin", "depositor"):
        if kind in policy.allowed:
            return world.headers(kind)
    raise AssertionError((method, path))


def _resolve(doc: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    for key in ("anyOf", "oneOf"):
        for option in schema.get(key, []):
            resolved = _resolve(doc, option)
            if resolved.get("properties"):
                return resolved
    return schema


def body_fields(doc: dict[str, Any], op: dict[str, Any]) -> tuple[str | None, list[str]]:
    """The body's media type (JSON or form) and its top-level fields."""
    content = (op.get("requestBody") or {}).get("content", {})
    for media in ("application/json", "application/x-www-form-urlencoded"):
        if media in content:
            return media, list(_resolve(doc, content[media].get("schema", {})).get("properties", {}))
    return None, []


# Each run sends every class of payload to every parameter, but only PER_CLASS payloads of
# each class, drawn anew each run (the seed is printed; CERTREG_FUZZ_SEED replays a run,
# CERTREG_FUZZ_ALL=1 sends them all): the payloads of a class mostly reach the same code,
# and all of them on every parameter took minutes of each CI run.
PER_CLASS = 2
FUZZ_ALL = os.environ.get("CERTREG_FUZZ_ALL") == "1"
SEED = int(os.environ.get("CERTREG_FUZZ_SEED") or random.SystemRandom().randrange(2**32))


def some(rng: random.Random, payloads: list[Any], k: int = PER_CLASS) -> list[Any]:
    return payloads if FUZZ_ALL or len(payloads) <= k else rng.sample(payloads, k)


def variants(
    doc: dict[str, Any], method: str, path: str, op: dict[str, Any], base: Request, rng: random.Random, *, first_of_service: bool
) -> list[tuple[str, str, dict[str, Any]]]:
    """(what, class, changes to the base request) of the probes of an operation."""
    found: list[tuple[str, str, dict[str, Any]]] = []
    classes = [("sql", SQL), ("traversal", TRAVERSAL), ("header", HEADER), ("markup", MARKUP), ("number", NUMBERS)]
    classes += [("control", CONTROLS), ("long", LONG)]
    for param in op.get("parameters", []):
        name, where = param["name"], param["in"]
        if where == "header" and name.lower() == "authorization":
            continue
        for cls, payloads in classes:
            for payload in some(rng, payloads):
                if where == "path":
                    try:
                        segment = quote(payload, safe="")
                    except UnicodeEncodeError:
                        continue
                    found.append((f"path {name}", cls, {"path_param": (name, segment)}))
                elif where == "query":
                    found.append((f"query {name}", cls, {"params": {**base.params, name: payload}}))
    media, fields = body_fields(doc, op)
    for name in fields:
        for cls, payloads in classes:
            for payload in some(rng, payloads):
                found.append((f"body {name}", cls, {"field": (media, name, payload)}))
        for value in some(rng, JSON_VALUES, 4) if media == "application/json" else []:
            found.append((f"body {name}", "json-type", {"field": (media, name, value)}))
    if media == "application/json":
        found.append(("body", "deep", {"raw": DEEP}))
        found.append(("body", "not-json", {"raw": '{"a": '}))
        found.append(("body", "huge-number", {"raw": "1" + "0" * 5000}))
    # The correlation header is read by one middleware in front of every route of a service.
    for cls, payloads in (("header", HEADER), ("markup", MARKUP), ("control", CONTROLS)) if first_of_service or FUZZ_ALL else ():
        for payload in payloads:
            found.append(("header X-Correlation-Id", cls, {"header": ("X-Correlation-Id", payload)}))
    if base.files is not None:
        for cls, payloads in (("traversal", TRAVERSAL), ("header", HEADER), ("markup", MARKUP), ("control", CONTROLS)):
            for payload in payloads:
                found.append(("upload filename", cls, {"params": {**base.params, "filename": payload}, "raw_upload": True}))
    return found


async def send_probe(world: World, path: str, base: Request, headers: dict[str, str], change: dict[str, Any]) -> httpx.Response:
    url = base.path
    params = change.get("params", base.params)
    json_body, data, files, content = base.json, base.data, base.files, None
    sent_headers: dict[str, str] = dict(headers)
    raw_headers: list[tuple[bytes, bytes]] = []
    if "path_param" in change:
        name, segment = change["path_param"]
        template_parts = path.split("/")
        url_parts = url.split("/")
        url = "/".join(segment if part == "{" + name + "}" else actual for part, actual in zip(template_parts, url_parts, strict=True))
    if "field" in change:
        media, name, value = change["field"]
        if media == "application/json":
            json_body = {**(base.json or {}), name: value}
        else:
            data = {**(base.data or {}), name: value if isinstance(value, str) else json.dumps(value)}
    if "raw" in change:
        json_body, content = None, change["raw"].encode()
        sent_headers["Content-Type"] = "application/json"
    if "header" in change:
        name, value = change["header"]
        # Raw bytes, as a client may send them (CR and LF are the one thing HTTP/1.1 cannot carry).
        raw_headers.append((name.encode(), value.replace("\r", "").replace("\n", "").encode()))
    if change.get("raw_upload"):
        files, content = None, b"%PDF-1.4\n%%EOF\n"
        sent_headers["Content-Type"] = "application/octet-stream"
    all_headers = [(k.encode(), v.encode()) for k, v in sent_headers.items()] + raw_headers
    return await world.client.request(
        base.method, url, params=params, json=json_body, data=data, files=files, content=content, headers=all_headers
    )


async def test_injection_fuzz_over_every_parameter(fuzz_world: World) -> None:
    world = fuzz_world
    documents = {s: (await world.client.get(f"/api/{s}/openapi.json")).json() for s in SERVICES}
    probes = Counter[str]()
    errors: list[str] = []
    await world.refresh()
    # The login doors last: their probes are failed logins, which the throttle counts.
    logins = ("/api/identity/token", "/api/identity/onboarding-token")
    ordered = sorted(operations(documents), key=lambda o: o[1] in logins)
    rng = random.Random(SEED)
    seen_services: set[str] = set()
    for n, (method, path, op) in enumerate(ordered):
        service = path.split("/")[2]
        first_of_service = service not in seen_services
        seen_services.add(service)
        if n % 10 == 0 and path not in logins:
            await world.refresh()  # tokens live 15 minutes
        doc = documents[path.split("/")[2]]
        base = request_for(world, method, path, world.a)
        headers = caller(world, method, path)
        if path in logins:
            base.data = {"username": "personne@securite.example", "password": "x"}
        for what, cls, change in variants(doc, method, path, op, base, rng, first_of_service=first_of_service):
            response = await send_probe(world, path, base, headers, change)
            probes[cls] += 1
            where = f"{method} {path} {what} [{cls}] -> {response.status_code}"
            if response.status_code >= 500:
                errors.append(f"{where}: {response.text[:200]}")
                continue
            header_text = "\n".join(f"{k}: {v}" for k, v in response.headers.items()).lower()
            if "pwned" in header_text or "x-injected" in header_text:
                errors.append(f"{where}: header injected {dict(response.headers)}")
            if "<script>" in response.text or "onerror=" in response.text:
                kind = response.headers.get("content-type", "")
                if "json" not in kind or response.headers.get("x-content-type-options") != "nosniff":
                    errors.append(f"{where}: markup echoed as {kind}")
            if cls == "control" and "field" in change and response.status_code < 300 and path not in SAME_ANSWER:
                value = change["field"][2]
                if isinstance(value, str) and any(c in value for c in "\x00\x1b\x7f\x85\x9b"):
                    errors.append(f"{where}: a control character was accepted in a text field")
    total = sum(probes.values())
    server_errors = sum(1 for e in errors if "-> 5" in e)
    others = len(errors) - server_errors
    print(f"\ninjection fuzz (CERTREG_FUZZ_SEED={SEED}): {total} probes ({dict(probes)}), {server_errors} 5xx, {others} other findings")
    assert not errors, f"{len(errors)} findings (CERTREG_FUZZ_SEED={SEED} replays this run):\n" + "\n".join(errors[:80])
