"""One distributed platform for the whole end-to-end session (starting it takes seconds)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from certreg.testing import DistributedPlatform, start_platform


@pytest.fixture(scope="session")
def platform(tmp_path_factory, postgres, amqp_url, s3, smtp_sink) -> Iterator[DistributedPlatform]:  # type: ignore[no-untyped-def]
    workdir = tmp_path_factory.mktemp("platform")
    running = start_platform(
        workdir,
        database_url_template=postgres.database_url_template(),
        amqp_url=amqp_url,
        s3_env=s3.env(),
        smtp_env=smtp_sink.env(),
    )
    try:
        yield running
    finally:
        running.stop()
