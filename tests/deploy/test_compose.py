"""docker-compose.yml: every service, its dependencies and health checks, and the
configuration each certreg container gets (checked against Settings)."""

from __future__ import annotations

import json
import re
import subprocess
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from notifier.config import NotifierConfig

from .helpers import (
    ROOT,
    SERVICES,
    MissingVariable,
    certreg_containers,
    check_service,
    interpolate,
    settings_from,
    unknown_variables,
)

INFRA = {"postgres", "pgbouncer", "rabbitmq", "minio", "minio-init", "mailpit", "otel-collector", "jaeger"}
BUCKETS = {
    "certreg-entities-documents",
    "certreg-filings-documents",
    "certreg-filings-receipts",
    "certreg-notifier-letters",
    "certreg-review-documents",
}
# Long-running containers whose image has no shell or probe tool: gated by what they
# depend on instead (documented in docker-compose.yml).
NO_HEALTHCHECK = {"otel-collector"}


def env_of(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def depends_on(service: dict[str, Any]) -> dict[str, str]:
    deps = service.get("depends_on", {})
    if isinstance(deps, list):
        return dict.fromkeys(deps, "service_started")
    return {name: spec.get("condition", "service_started") for name, spec in deps.items()}


def has_healthcheck(service: dict[str, Any]) -> bool:
    check: dict[str, Any] = service.get("healthcheck") or {}
    return not check.get("disable") and bool(check.get("test"))


def test_every_service_is_there(compose: dict[str, Any]) -> None:
    expected = INFRA | set(SERVICES) | {f"migrate-{s}" for s in SERVICES} | {"gateway"}
    assert set(compose["services"]) == expected


def test_each_service_serves_itself_on_port_8000(compose: dict[str, Any]) -> None:
    containers = certreg_containers(compose)
    for name in [*SERVICES, "gateway"]:
        assert containers[name]["command"] == ["serve", name, "--port", "8000"], name
        assert containers[name]["restart"] == "unless-stopped"
    for name in SERVICES:
        migrate = containers[f"migrate-{name}"]
        assert migrate["command"] == ["migrate", name]
        assert migrate["restart"] == "no"


def test_only_the_gateway_publishes_a_port(compose: dict[str, Any]) -> None:
    published = {name for name, s in compose["services"].items() if s.get("ports")}
    assert published == {"gateway"}
    assert compose["services"]["gateway"]["ports"] == ["8000:8000"]


def test_dependencies_exist_are_acyclic_and_their_conditions_can_be_met(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name, service in services.items():
        for dep, condition in depends_on(service).items():
            assert dep in services, f"{name} depends on unknown {dep}"
            if condition == "service_healthy":
                assert has_healthcheck(services[dep]), f"{name} waits for {dep} to be healthy, but it has no health check"
            elif condition == "service_completed_successfully":
                assert services[dep].get("restart") == "no", f"{dep} is a one-shot job"
            else:
                assert condition == "service_started", condition
    visiting: set[str] = set()
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in visiting, f"dependency cycle: {' -> '.join((*path, name))}"
        if name in done:
            return
        visiting.add(name)
        for dep in depends_on(services[name]):
            visit(dep, (*path, name))
        visiting.discard(name)
        done.add(name)

    for name in services:
        visit(name, ())


def test_services_start_after_their_migration_and_the_infrastructure(compose: dict[str, Any]) -> None:
    services = compose["services"]
    for name in SERVICES:
        deps = depends_on(services[name])
        assert deps[f"migrate-{name}"] == "service_completed_successfully"
        assert deps["postgres"] == "service_healthy"
        assert deps["pgbouncer"] == "service_healthy"
        assert deps["rabbitmq"] == "service_healthy"
        assert deps["minio-init"] == "service_completed_successfully"
        assert depends_on(services[f"migrate-{name}"])["postgres"] == "service_healthy"
    assert depends_on(services["notifier"])["mailpit"] == "service_healthy"
    gateway = depends_on(services["gateway"])
    assert {s: gateway[s] for s in SERVICES} == dict.fromkeys(SERVICES, "service_healthy")
    assert depends_on(services["minio-init"])["minio"] == "service_healthy"


def test_long_running_services_have_health_checks(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        if service.get("restart") == "no" or name in NO_HEALTHCHECK:
            continue
        assert has_healthcheck(service), name
    containers = certreg_containers(compose)
    for name in SERVICES:
        test = containers[name]["healthcheck"]["test"]
        assert test[:3] == ["CMD", "python", "-c"] and "/readyz" in test[3], name
        compile(test[3], f"{name} healthcheck", "exec")
    gateway = containers["gateway"]["healthcheck"]["test"]
    assert "/healthz" in gateway[3]
    compile(gateway[3], "gateway healthcheck", "exec")


def test_certreg_containers_are_hardened(compose: dict[str, Any]) -> None:
    for name, service in certreg_containers(compose).items():
        assert service["read_only"] is True, name
        assert any(t.startswith("/tmp:") for t in service["tmpfs"]), name
        assert service["cap_drop"] == ["ALL"], name
        assert "no-new-privileges:true" in service["security_opt"], name
        assert not service["user"].startswith(("0", "root")), name


def test_environment_names_are_settings_fields(compose: dict[str, Any]) -> None:
    for name, service in certreg_containers(compose).items():
        assert unknown_variables(env_of(service)) == [], name


@pytest.mark.parametrize("name", SERVICES)
def test_each_service_gets_a_complete_production_configuration(compose: dict[str, Any], name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    env = env_of(compose["services"][name])
    settings = settings_from(env, monkeypatch)
    assert settings.environment == "production"
    check_service(settings, name)
    database = urlsplit(settings.database_url_for(name))
    assert database.scheme == "postgresql+psycopg"
    # Through the transaction pooler; the migration straight to PostgreSQL.
    assert (database.hostname, database.port) == ("pgbouncer", 6432) and database.path == f"/certreg_{name}"
    assert settings.amqp_url and urlsplit(settings.amqp_url).hostname == "rabbitmq"
    assert settings.s3_endpoint == "minio:9000" and settings.s3_access_key and settings.s3_secret_key
    assert settings.s3_secure is False
    mail = NotifierConfig()  # the notifier's own settings, from the same environment
    assert mail.smtp_host == "mailpit" and mail.smtp_port == 1025
    assert settings.public_url == "http://localhost:8000"
    assert settings.identity_url == "http://identity:8000"
    assert env["OTEL_SERVICE_NAME"] == f"certreg-{name}"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://otel-collector:4318"
    migrate = settings_from(env_of(compose["services"][f"migrate-{name}"]), monkeypatch)
    direct = urlsplit(migrate.database_url_for(name))
    assert (direct.hostname, direct.port) == ("postgres", 5432)
    assert direct._replace(netloc="") == database._replace(netloc="")
    assert (direct.username, direct.password) == (database.username, database.password)
    assert settings.db_prepared_statements is False  # transaction pooling keeps none


def test_gateway_finds_every_service_and_holds_no_secret(compose: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    env = env_of(compose["services"]["gateway"])
    settings = settings_from(env, monkeypatch)
    for name in SERVICES:
        url = urlsplit(settings.service_url(name) or "")
        assert url.hostname == name and url.port == 8000, name
        assert name in compose["services"]
    for secret in ("CERTREG_DATABASE_URL", "CERTREG_AMQP_URL", "CERTREG_S3_SECRET_KEY", "CERTREG_SMTP_PASSWORD"):
        assert secret not in env
    assert settings.environment == "production"


def test_credentials_agree_between_services_and_infrastructure(compose: dict[str, Any], example_env: dict[str, str]) -> None:
    services = compose["services"]
    env = env_of(services["filings"])
    database = urlsplit(env["CERTREG_DATABASE_URL"].replace("{service}", "filings"))
    postgres = env_of(services["postgres"])
    assert database.username == postgres["CERTREG_DB_USER"]
    assert database.password == postgres["CERTREG_DB_PASSWORD"] == example_env["CERTREG_DB_PASSWORD"]
    assert set(postgres["CERTREG_DATABASES"].split()) == set(SERVICES)
    bouncer = env_of(services["pgbouncer"])
    assert (bouncer["DB_HOST"], bouncer["DB_USER"], bouncer["DB_PASSWORD"]) == ("postgres", database.username, database.password)
    assert bouncer["POOL_MODE"] == "transaction"
    # Every database at its most, with room left for migrations, psql and backups.
    assert len(SERVICES) * int(bouncer["MAX_DB_CONNECTIONS"]) <= 100 - 10
    amqp = urlsplit(env["CERTREG_AMQP_URL"])
    rabbit = env_of(services["rabbitmq"])
    assert (amqp.username, amqp.password) == (rabbit["RABBITMQ_DEFAULT_USER"], rabbit["RABBITMQ_DEFAULT_PASS"])
    init = env_of(services["minio-init"])
    assert (env["CERTREG_S3_ACCESS_KEY"], env["CERTREG_S3_SECRET_KEY"]) == (init["S3_ACCESS_KEY"], init["S3_SECRET_KEY"])
    assert init["MINIO_ROOT_PASSWORD"] == env_of(services["minio"])["MINIO_ROOT_PASSWORD"]
    # The application user is not the MinIO administrator.
    assert init["S3_ACCESS_KEY"] != env_of(services["minio"])["MINIO_ROOT_USER"]


def test_buckets_are_created_for_every_service_that_stores_blobs(compose: dict[str, Any]) -> None:
    from certreg.platform import definitions
    from certreg_runtime.settings import Settings

    created = set(env_of(compose["services"]["minio-init"])["CERTREG_BUCKETS"].split())
    assert created == BUCKETS
    for bucket in created:
        prefix, service, purpose = bucket.split("-", 2)
        assert prefix == "certreg" and service in SERVICES and purpose
    declared = {Settings().bucket(d.name, p) for d in definitions().values() for p in d.buckets}
    assert declared <= created, f"buckets a service declares but compose does not create: {declared - created}"


def test_secrets_are_placeholders_and_required(compose_raw: dict[str, Any], example_env: dict[str, str]) -> None:
    """Every secret comes from .env (no default), and the example only holds placeholders."""
    used: set[str] = set()
    interpolate(compose_raw, example_env, used)
    assert used <= set(example_env), f"variables missing from example.env: {used - set(example_env)}"
    for secret in ("POSTGRES_PASSWORD", "CERTREG_DB_PASSWORD", "RABBITMQ_PASSWORD", "MINIO_ROOT_PASSWORD", "S3_SECRET_KEY"):
        assert example_env[secret].startswith("change-me"), secret
        without = {k: v for k, v in example_env.items() if k != secret}
        with pytest.raises(MissingVariable):
            interpolate(compose_raw, without)
    for name, service in compose_raw["services"].items():
        for key, value in env_of(service).items():
            if re.search(r"PASSWORD|SECRET|_PASS$", key):
                assert re.fullmatch(r"\$\{[A-Z0-9_]+(:[?-][^}]*)?\}", value), f"{name}: {key} is written in docker-compose.yml"


def test_interpolation_follows_compose_rules() -> None:
    env = {"SET": "x", "EMPTY": ""}
    assert interpolate("${SET:-d}/${EMPTY:-d}/${EMPTY-d}/${UNSET-d}/$$SET/$SET", env) == "x/d//d/$SET/x"
    with pytest.raises(MissingVariable):
        interpolate("${EMPTY:?needed}", env)
    assert interpolate("${EMPTY?needed}", env) == ""


def test_helper_files_are_mounted_and_valid(compose: dict[str, Any]) -> None:
    mounted = []
    for service in compose["services"].values():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).is_file(), source
                mounted.append(ROOT / source)
    assert {p.name for p in mounted} >= {"init-databases.sh", "init.sh", "certreg-policy.json", "collector.yaml"}
    for path in mounted:
        if path.suffix == ".sh":
            subprocess.run(["sh", "-n", str(path)], check=True)
        elif path.suffix == ".json":
            json.loads(path.read_text())
    policy = json.loads((ROOT / "deploy/compose/minio/certreg-policy.json").read_text())
    resources = {r for statement in policy["Statement"] for r in statement["Resource"]}
    assert "arn:aws:s3:::certreg-*" in resources and "arn:aws:s3:::*/*" not in resources


def test_traces_flow_from_the_services_to_jaeger(compose: dict[str, Any]) -> None:
    collector = yaml.safe_load((ROOT / "deploy/compose/otel/collector.yaml").read_text())
    pipeline = collector["service"]["pipelines"]["traces"]
    assert set(pipeline["receivers"]) <= set(collector["receivers"])
    assert set(pipeline["exporters"]) <= set(collector["exporters"])
    assert collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"].endswith(":4318")
    exporter = collector["exporters"][pipeline["exporters"][0]]
    assert exporter["endpoint"].split(":")[0] in compose["services"]
    assert env_of(compose["services"]["jaeger"])["COLLECTOR_OTLP_ENABLED"] == "true"


def test_operator_ui_overlay_binds_to_loopback_only() -> None:
    overlay = yaml.safe_load((ROOT / "deploy/compose/ops-ui.yml").read_text())
    for name, service in overlay["services"].items():
        assert name in INFRA
        for port in service["ports"]:
            assert port.startswith("127.0.0.1:"), port
