# Real infrastructure for every test tier: PostgreSQL, RabbitMQ, S3 (weed mini), SMTP sink.
pytest_plugins = ["certreg_testing.plugin"]
