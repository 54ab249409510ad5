# Real infrastructure for every test tier: PostgreSQL, RabbitMQ, S3 (weed mini), SMTP sink.
from hypothesis import HealthCheck, settings

pytest_plugins = ["certreg_testing.plugin"]

# Property tests judge results, not speed: CI shares two cores with the platform under test,
# where Hypothesis's default 200 ms deadline and its "too slow" check fail correct code.
settings.register_profile("certreg", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("certreg")
