"""Document intake throughput and memory: a 200 MB piece up and back down through the
platform over HTTP, beside the raw S3 PUT/GET of the same file with the minio client.

The platform runs in this process (every service behind the gateway, SQLite, in-process
bus) on a real S3 server (``weed mini``, or $CERTREG_TEST_S3_* when set), served by
uvicorn on a free port; httpx streams the file up (``POST /api/filings/{id}/documents/…``)
and down (``…/content``). A thread samples this process's RSS to show that nothing holds
the file in memory.

    uv run python bench/bench_uploads.py [SIZE_MB]
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psutil
import uvicorn

from certreg.platform import embedded_app
from certreg_runtime.settings import Settings
from certreg_runtime.storage import PARALLEL_PARTS, PART_SIZE
from certreg_runtime.tokens import SigningKey, issue_token, jwks
from certreg_testing.infra import free_port, resolve_s3

MB = 1024 * 1024
CHUNK = MB


class RssPeak:
    """Samples this process's resident memory every few milliseconds while active."""

    def __init__(self, interval: float = 0.005) -> None:
        self.process = psutil.Process()
        self.interval = interval
        self.baseline = 0
        self.peak = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> RssPeak:
        self.baseline = self.peak = self.process.memory_info().rss
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.process.memory_info().rss)
            time.sleep(self.interval)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        assert self._thread is not None
        self._thread.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.baseline) / MB


def make_file(path: Path, size: int) -> str:
    """A PDF-looking file of ``size`` bytes (random content after the header); its SHA-256."""
    digest = hashlib.sha256()
    with open(path, "wb") as out:
        head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"
        out.write(head)
        digest.update(head)
        left = size - len(head)
        while left > 0:
            block = os.urandom(min(CHUNK, left))
            out.write(block)
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


def read_chunks(path: Path) -> Iterator[bytes]:
    with open(path, "rb") as fh:
        while block := fh.read(CHUNK):
            yield block


def measure(name: str, size: int, action: Callable[[], None], rows: list[tuple[str, float, float, float]]) -> None:
    with RssPeak() as rss:
        start = time.perf_counter()
        action()
        elapsed = time.perf_counter() - start
    rows.append((name, size / MB / elapsed, elapsed, rss.growth_mb))
    print(f"  {name}: {elapsed:.2f} s", flush=True)


def main() -> int:
    size = int(sys.argv[1]) * MB if len(sys.argv) > 1 else 200 * MB
    with tempfile.TemporaryDirectory(prefix="bench-uploads-") as tmp:
        work = Path(tmp)
        print("starting S3 (weed mini)…", flush=True)
        s3 = resolve_s3(work / "s3")
        server: uvicorn.Server | None = None
        thread: threading.Thread | None = None
        try:
            source = work / "piece.pdf"
            expected = make_file(source, size)

            settings = Settings(data_dir=work / "data", max_upload_bytes=size + MB, **s3.settings())
            settings.data_dir.mkdir(parents=True, exist_ok=True)
            app, platform = embedded_app(settings)
            key = SigningKey.generate()
            keys = jwks([key])
            platform.runners["filings"].ctx.verifier.jwks = lambda refresh=False: keys

            port = free_port()
            server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
            thread = threading.Thread(target=server.run, daemon=True)
            thread.start()
            deadline = time.monotonic() + 60
            while not server.started:
                if time.monotonic() > deadline or not thread.is_alive():
                    raise SystemExit("the platform did not start")
                time.sleep(0.05)

            token = issue_token(
                key,
                subject=uuid.uuid4(),
                issuer=settings.jwt_issuer,
                audience=settings.jwt_audience,
                ttl=dt.timedelta(minutes=10),
                roles=["depositor"],
                entity_id=uuid.uuid4(),
            )
            headers = {"Authorization": f"Bearer {token}"}
            base = f"http://127.0.0.1:{port}"
            rows: list[tuple[str, float, float, float]] = []
            with httpx.Client(base_url=base, headers=headers, timeout=300) as client:
                created = client.post("/api/filings", json={"repertoire": "rs", "title": "Banc d'essai"})
                created.raise_for_status()
                filing_id = created.json()["filing_id"]
                uploaded: dict[str, str] = {}

                def upload() -> None:
                    response = client.post(
                        f"/api/filings/{filing_id}/documents/opportunity_note",
                        params={"filename": "note.pdf"},
                        content=read_chunks(source),
                        headers={"Content-Length": str(size), "Content-Type": "application/pdf"},
                    )
                    response.raise_for_status()
                    uploaded.update(response.json())

                def download() -> None:
                    digest = hashlib.sha256()
                    received = 0
                    with client.stream("GET", f"/api/filings/{filing_id}/documents/{uploaded['document_id']}/content") as response:
                        response.raise_for_status()
                        for block in response.iter_bytes(CHUNK):
                            digest.update(block)
                            received += len(block)
                    if received != size or digest.hexdigest() != expected:
                        raise SystemExit("the download differs from the upload")

                print(f"platform on {base}, file of {size // MB} MB", flush=True)
                measure("platform upload (HTTP → temp file → S3)", size, upload, rows)
                if uploaded["sha256"] != expected:
                    raise SystemExit("the stored SHA-256 differs from the file's")
                measure("platform download (S3 → HTTP)", size, download, rows)

            raw = s3.client()
            bucket = f"bench-raw-{uuid.uuid4().hex[:8]}"
            raw.make_bucket(bucket)

            def raw_put() -> None:
                # The platform's part size and parallel parts (certreg_runtime.storage).
                raw.fput_object(
                    bucket,
                    "piece.pdf",
                    str(source),
                    content_type="application/pdf",
                    part_size=PART_SIZE,
                    num_parallel_uploads=PARALLEL_PARTS,
                )

            def raw_get() -> None:
                response = raw.get_object(bucket, "piece.pdf")
                try:
                    received = sum(len(block) for block in response.stream(CHUNK))
                finally:
                    response.close()
                    response.release_conn()
                if received != size:
                    raise SystemExit("raw GET returned another size")

            measure("raw S3 PUT (minio fput_object)", size, raw_put, rows)
            measure("raw S3 GET (minio get_object)", size, raw_get, rows)
            raw.remove_object(bucket, "piece.pdf")
            raw.remove_bucket(bucket)

            print()
            print(f"{'phase':<44} {'MB/s':>8} {'seconds':>8} {'peak RSS growth (MB)':>21}")
            for name, rate, elapsed, growth in rows:
                print(f"{name:<44} {rate:>8.1f} {elapsed:>8.2f} {growth:>21.1f}")
        finally:
            if server is not None:
                server.should_exit = True
            if thread is not None:
                thread.join(timeout=30)
            s3.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
