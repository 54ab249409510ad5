"""Issue 11, point 7: after login the portal goes only to a path of its own origin.
``?suivant=/%5Cevil.example/phish`` and ``/%09/evil.example`` left the site (a browser reads
``\\`` as ``/`` and drops tabs). The check (``static/js/redirect.js``) is run as it is by
Node here; tests/browser/test_login_redirect.py logs in through Chromium with them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

import gateway.ui

REDIRECT_JS = Path(gateway.ui.__file__).parent / "static" / "js" / "redirect.js"
ORIGIN = "https://certreg.example.fr"

# (what ?suivant= carries, URL-encoded as in a link; where login may go, None: nowhere)
CASES = [
    ("/%5Cevil.example/phish", None),
    ("/%09/evil.example", None),
    ("/%0A/evil.example", None),
    ("/%0D%0A/evil.example", None),
    ("//evil.example", None),
    ("///evil.example", None),
    ("/%2F/evil.example", None),
    ("/%2F%2Fevil.example", None),
    ("/%5C%5Cevil.example", None),
    ("%5C%5Cevil.example", None),
    ("https://evil.example/", None),
    ("https:evil.example", None),
    ("javascript:alert(1)", None),
    ("/%00/evil.example", None),
    ("evil.example", None),
    ("", None),
    ("/dossiers", "/dossiers"),
    ("/dossiers/3f1c?onglet=pieces#historique", "/dossiers/3f1c?onglet=pieces#historique"),
    ("/back-office/dossiers?status=received", "/back-office/dossiers?status=received"),
    ("/../dossiers", "/dossiers"),
    ("/registre/RNCP34825", "/registre/RNCP34825"),
]

NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_only_a_path_of_the_same_origin_is_followed() -> None:
    inputs = [unquote(raw) for raw, _ in CASES]  # what URLSearchParams.get gives the page
    script = (
        f"import {{ sameOriginPath }} from {json.dumps(REDIRECT_JS.as_uri())};\n"
        f"const inputs = {json.dumps(inputs)};\n"
        f"console.log(JSON.stringify(inputs.map((n) => sameOriginPath(n, {json.dumps(ORIGIN)}))));\n"
    )
    assert NODE is not None
    out = subprocess.run([NODE, "--input-type=module", "-e", script], capture_output=True, text=True, timeout=60, check=True)
    results = json.loads(out.stdout)
    wrong = [(raw, expected, got) for (raw, expected), got in zip(CASES, results, strict=True) if got != expected]
    assert not wrong, wrong
    hostile = sum(1 for _, e in CASES if e is None)
    print(f"\nredirect after login: {hostile} hostile targets refused, {len(CASES) - hostile} paths kept")
