"""Test support: the real PostgreSQL, RabbitMQ, S3 and SMTP servers the tests talk to.

`infra` holds plain helpers (no pytest); `plugin` exposes them as session fixtures.
Register the plugin with ``pytest_plugins = ["certreg_testing.plugin"]``.
"""

from certreg_testing.infra import (
    InfraUnavailable,
    PostgresServer,
    S3Server,
    SmtpSink,
    delete_namespace,
    free_port,
    links,
    resolve_amqp,
    resolve_postgres,
    resolve_s3,
    start_weed_mini,
    text_body,
    unique_db_prefix,
    unique_namespace,
    wait_for_port,
)

__all__ = [
    "InfraUnavailable",
    "PostgresServer",
    "S3Server",
    "SmtpSink",
    "delete_namespace",
    "free_port",
    "links",
    "resolve_amqp",
    "resolve_postgres",
    "resolve_s3",
    "start_weed_mini",
    "text_body",
    "unique_db_prefix",
    "unique_namespace",
    "wait_for_port",
]
