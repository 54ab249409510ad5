# Real infrastructure for every test tier: PostgreSQL, RabbitMQ, S3 (weed mini), SMTP sink.
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

pytest_plugins = ["certreg_testing.plugin"]

# Property tests judge results, not speed: CI shares two cores with the platform under test,
# where Hypothesis's default 200 ms deadline and its "too slow" check fail correct code.
settings.register_profile("certreg", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("certreg")

# Tests that measure time or hold many connections, or start the distributed platform (six
# processes): scripts/test runs them alone, after the others have run in parallel, so that
# another worker's load never makes them fail.
SERIAL = ("tests/e2e/", "tests/load/", "libs/runtime/tests/test_database_outage.py")
ROOT = Path(__file__).parent


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.path.relative_to(ROOT).as_posix().startswith(SERIAL):
            item.add_marker(pytest.mark.serial)
