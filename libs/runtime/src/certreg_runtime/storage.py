"""Blob storage: S3-compatible (MinIO) in production, a local folder in the embedded
mode. Both take files from disk and give chunks back: nothing is held whole in memory."""

from __future__ import annotations

import abc
import functools
import logging
import os
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from certreg_runtime.settings import Settings

if TYPE_CHECKING:
    from minio import Minio

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
# A piece goes to S3 in parts of PART_SIZE, PARALLEL_PARTS at once: the minio client
# holds each part in memory while it sends it, so an upload costs about
# (PARALLEL_PARTS + 1) × PART_SIZE of memory, whatever the piece's size. Measured on
# ``weed mini`` with a 200 MB piece (bench/bench_uploads.py, bench/README.md): 16 MiB × 3
# took +80–100 MB of RSS; 5 MiB × 3 (S3's smallest part) +25–33 MB at the same speed or
# better (18–19 against 16 MB/s); fewer parallel parts were slower, more no faster.
# 5 MiB × 10,000 parts (S3's most) is 48 GiB, far above CERTREG_MAX_UPLOAD_BYTES.
PART_SIZE = 5 * 1024 * 1024
PARALLEL_PARTS = 3


@dataclass(frozen=True)
class StoredObject:
    key: str
    modified: datetime  # when it was written (aware, UTC)


class BlobStore(abc.ABC):
    @abc.abstractmethod
    def ensure_bucket(self, bucket: str) -> None: ...

    @abc.abstractmethod
    def put_file(self, bucket: str, key: str, path: Path, content_type: str) -> None: ...

    @abc.abstractmethod
    def iter_chunks(self, bucket: str, key: str, chunk_size: int = CHUNK) -> Iterator[bytes]: ...

    @abc.abstractmethod
    def delete(self, bucket: str, key: str) -> None: ...

    @abc.abstractmethod
    def exists(self, bucket: str, key: str) -> bool: ...

    @abc.abstractmethod
    def ping(self, bucket: str) -> bool: ...

    @abc.abstractmethod
    def list_objects(self, bucket: str) -> Iterator[StoredObject]:
        """Every object of the bucket (streamed, in no particular order)."""


class S3BlobStore(BlobStore):
    # The readiness ping fails fast: short timeouts, no retry (the minio client's own
    # defaults are 5 minutes and 5 retries, which made /readyz hang).
    ping_connect_timeout = 1.0
    ping_read_timeout = 1.5

    def __init__(
        self, endpoint: str, access_key: str | None, secret_key: str | None, *, secure: bool = False, region: str | None = None
    ) -> None:
        from minio import Minio

        self._new_client = functools.partial(Minio, endpoint, access_key=access_key, secret_key=secret_key, secure=secure, region=region)
        self.client = self._new_client()
        self._ping_client: Minio | None = None

    def ensure_bucket(self, bucket: str) -> None:
        from minio.error import S3Error

        if self.client.bucket_exists(bucket):
            return
        try:
            self.client.make_bucket(bucket)
        except S3Error as exc:  # created meanwhile by another replica
            if exc.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                raise

    def put_file(self, bucket: str, key: str, path: Path, content_type: str) -> None:
        self.client.fput_object(bucket, key, str(path), content_type=content_type, part_size=PART_SIZE, num_parallel_uploads=PARALLEL_PARTS)

    def iter_chunks(self, bucket: str, key: str, chunk_size: int = CHUNK) -> Iterator[bytes]:
        response = self.client.get_object(bucket, key)
        try:
            yield from response.stream(chunk_size)
        finally:
            response.close()
            response.release_conn()

    def delete(self, bucket: str, key: str) -> None:
        self.client.remove_object(bucket, key)

    def exists(self, bucket: str, key: str) -> bool:
        from minio.error import S3Error

        try:
            self.client.stat_object(bucket, key)
            return True
        except S3Error as exc:
            if exc.code in ("NoSuchKey", "NoSuchObject", "NoSuchBucket"):
                return False
            raise

    def list_objects(self, bucket: str) -> Iterator[StoredObject]:
        for obj in self.client.list_objects(bucket, recursive=True):
            if obj.object_name is not None and obj.last_modified is not None and not obj.is_dir:
                yield StoredObject(obj.object_name, obj.last_modified.astimezone(UTC))

    def ping(self, bucket: str) -> bool:
        """The bucket answers, within about ``ping_connect_timeout + ping_read_timeout``
        per request (one more the first time, to learn the region)."""
        if self._ping_client is None:
            self._ping_client = self._fail_fast_client()
        return self._ping_client.bucket_exists(bucket)

    def _fail_fast_client(self) -> Minio:
        import certifi
        import urllib3

        http = urllib3.PoolManager(
            timeout=urllib3.Timeout(connect=self.ping_connect_timeout, read=self.ping_read_timeout),
            retries=urllib3.Retry(total=0, connect=0, read=0, redirect=0, status=0),
            maxsize=2,
            cert_reqs="CERT_REQUIRED",
            ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        )
        return self._new_client(http_client=http)


class LocalBlobStore(BlobStore):
    """A folder per bucket. Keys may contain slashes; they never leave the folder."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def _path(self, bucket: str, key: str) -> Path:
        path = (self.root / bucket / key).resolve()
        if not path.is_relative_to(self.root / bucket):
            raise ValueError("key escapes its bucket")
        return path

    def ensure_bucket(self, bucket: str) -> None:
        (self.root / bucket).mkdir(parents=True, exist_ok=True)

    def put_file(self, bucket: str, key: str, path: Path, content_type: str) -> None:
        target = self._path(bucket, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(target.name + ".partial")
        shutil.copyfile(path, partial)
        os.replace(partial, target)

    def iter_chunks(self, bucket: str, key: str, chunk_size: int = CHUNK) -> Iterator[bytes]:
        with open(self._path(bucket, key), "rb") as fh:
            while chunk := fh.read(chunk_size):
                yield chunk

    def delete(self, bucket: str, key: str) -> None:
        self._path(bucket, key).unlink(missing_ok=True)

    def exists(self, bucket: str, key: str) -> bool:
        return self._path(bucket, key).is_file()

    def ping(self, bucket: str) -> bool:
        return (self.root / bucket).is_dir()

    def list_objects(self, bucket: str) -> Iterator[StoredObject]:
        """Files left ``.partial`` by a crash are listed too (under that name)."""
        root = self.root / bucket
        for path in root.rglob("*") if root.is_dir() else ():
            if path.is_file():
                yield StoredObject(path.relative_to(root).as_posix(), datetime.fromtimestamp(path.stat().st_mtime, UTC))


def create_blob_store(settings: Settings) -> BlobStore:
    if settings.s3_endpoint:
        return S3BlobStore(
            settings.s3_endpoint, settings.s3_access_key, settings.s3_secret_key, secure=settings.s3_secure, region=settings.s3_region
        )
    return LocalBlobStore(settings.data_dir / "blobs")


T = TypeVar("T")


def delete_quietly(blobs: BlobStore, bucket: str, key: str) -> None:
    """Best effort (an orphan object is harmless, a failed request because of it is not)."""
    try:
        blobs.delete(bucket, key)
    except Exception:
        log.exception("could not delete object %s/%s", bucket, key)


def store_then_record(blobs: BlobStore, bucket: str, key: str, path: Path, content_type: str, record: Callable[[], T]) -> T:
    """The object first, then its row (``record`` writes and commits it): a row never
    points to a missing object, and if the row cannot be written the object goes too."""
    blobs.put_file(bucket, key, path, content_type)
    try:
        return record()
    except BaseException:
        delete_quietly(blobs, bucket, key)
        raise
