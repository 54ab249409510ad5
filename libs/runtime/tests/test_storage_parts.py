"""A piece goes to S3 in small parts (issue 16, uploads): the minio client holds each
part in memory while sending it, so the memory an upload costs is about
(PARALLEL_PARTS + 1) × PART_SIZE whatever the piece's size — bounded well under the
64 MB the issue allows for a 200 MB piece (bench/bench_uploads.py measures it)."""

from __future__ import annotations

import math
import os
from pathlib import Path

from certreg_runtime.storage import PARALLEL_PARTS, PART_SIZE, S3BlobStore

MB = 1024 * 1024


def test_a_piece_is_sent_in_parts_small_enough_to_bound_memory(s3, tmp_path: Path) -> None:
    assert (PARALLEL_PARTS + 1) * PART_SIZE <= 32 * MB
    store = S3BlobStore(s3.endpoint, s3.access_key, s3.secret_key, secure=s3.secure)
    bucket = f"parts-{os.getpid()}"
    store.ensure_bucket(bucket)
    piece = tmp_path / "piece.pdf"
    piece.write_bytes(os.urandom(21 * MB))
    store.put_file(bucket, "piece.pdf", piece, "application/pdf")
    stat = store.client.stat_object(bucket, "piece.pdf")
    assert stat.size == 21 * MB
    # A multipart object's ETag ends with its number of parts.
    assert stat.etag is not None and stat.etag.strip('"').endswith(f"-{math.ceil(21 * MB / PART_SIZE)}"), stat.etag
    assert b"".join(store.iter_chunks(bucket, "piece.pdf")) == piece.read_bytes()
