"""``/static``: the UI's CSS, scripts, fonts and images, served from memory.

Each file is read once (at its first request), with its strong ``ETag`` (a hash of its
content) and, for text, its gzip form. No thread, no file system call per request: a
burst of requests that fills the worker threads (sync routes, password hashing) leaves
the static files answering, and a static answer costs about what plain uvicorn's does.

Caching: a URL that carries its content's hash (``?v=<hash>``, what ``versioned()``
gives and the layout uses) is cached for a year (``immutable``); any other is
``no-cache`` — the browser revalidates with ``If-None-Match`` and gets a 304 without
the body. So a new version is never mixed with an old one and an unchanged file is
never sent twice."""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import threading
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qs

from starlette.types import Receive, Scope, Send

IMMUTABLE = b"public, max-age=31536000, immutable"
REVALIDATE = b"no-cache"
# Compressed only when the gain is worth it (fonts and images are compressed already).
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml", "application/manifest+json")
MIN_COMPRESSED_SIZE = 512
TYPES = {".js": "text/javascript", ".mjs": "text/javascript", ".css": "text/css", ".woff2": "font/woff2", ".woff": "font/woff"}


@dataclass(frozen=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    etag: bytes
    version: str
    media_type: str


def _media_type(path: Path) -> str:
    media = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{media}; charset=utf-8" if media.startswith("text/") or media == "image/svg+xml" else media


def load_asset(path: Path) -> Asset:
    body = path.read_bytes()
    digest = hashlib.sha256(body).hexdigest()[:20]
    media = _media_type(path)
    gzipped = None
    if len(body) >= MIN_COMPRESSED_SIZE and media.startswith(COMPRESSIBLE):
        packed = gzip.compress(body, compresslevel=9, mtime=0)
        gzipped = packed if len(packed) < len(body) * 0.9 else None
    return Asset(body, gzipped, f'"{digest}"'.encode(), digest, media)


class StaticAssets:
    """A plain ASGI app serving the files under ``directory`` (GET and HEAD)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self._assets: dict[str, Asset | None] = {}
        self._lock = threading.Lock()

    def asset(self, relative: str) -> Asset | None:
        """The file at ``relative`` (a path under the directory), None if there is none."""
        if relative in self._assets:
            return self._assets[relative]
        parts = PurePosixPath(relative).parts
        asset: Asset | None = None
        if parts and not any(p in ("..", ".") or p.startswith(".") or "\\" in p for p in parts):
            path = self.directory.joinpath(*parts)
            if path.is_file() and path.resolve().is_relative_to(self.directory):
                asset = load_asset(path)
        with self._lock:
            if len(self._assets) < 4096:  # bounded even if asked for every possible name
                self._assets[relative] = asset
        return asset

    def versioned(self, url_path: str) -> str:
        """``/static/…`` with its content's hash (``?v=``), or as it is if there is no such file."""
        asset = self.asset(url_path.removeprefix("/static/"))
        return f"{url_path}?v={asset.version}" if asset else url_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        assert scope["type"] == "http"
        method = scope["method"]
        relative = scope["path"][len(scope.get("root_path", "")) :].lstrip("/")
        if method not in ("GET", "HEAD"):
            await _plain(send, 405, b"Method Not Allowed", [(b"allow", b"GET, HEAD")])
            return
        asset = self.asset(relative)
        if asset is None:
            await _plain(send, 404, b"Not Found")
            return
        request_headers = dict(scope["headers"])
        version = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [""])[0]
        headers = [
            (b"etag", asset.etag),
            (b"cache-control", IMMUTABLE if version == asset.version else REVALIDATE),
            (b"x-content-type-options", b"nosniff"),
        ]
        if asset.gzipped is not None:
            headers.append((b"vary", b"Accept-Encoding"))
        wanted = _etags(request_headers.get(b"if-none-match", b""))
        if asset.etag in wanted or b"*" in wanted:
            await send({"type": "http.response.start", "status": 304, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        body = asset.body
        if asset.gzipped is not None and b"gzip" in request_headers.get(b"accept-encoding", b""):
            body = asset.gzipped
            headers.append((b"content-encoding", b"gzip"))
        headers += [(b"content-type", asset.media_type.encode()), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if method == "HEAD" else body})


def _etags(header: bytes) -> set[bytes]:
    return {tag.strip().removeprefix(b"W/") for tag in header.split(b",")}


async def _plain(send: Send, status: int, text: bytes, extra: list[tuple[bytes, bytes]] | None = None) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(text)).encode()), *(extra or [])]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": text})
