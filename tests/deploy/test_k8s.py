"""deploy/k8s: the overlays render, every object is valid for Kubernetes 1.30 (offline
JSON schemas), and the Deployments are what an operator of a public service expects."""

from __future__ import annotations

import copy
from typing import Any
from urllib.parse import urlsplit

import kubernetes_validate
import pytest
import yaml

from notifier.config import NotifierConfig

from .helpers import (
    K8S,
    KUBERNETES_VERSION,
    OVERLAYS,
    SERVICES,
    by_kind,
    check_service,
    rendered,
    settings_from,
    unknown_variables,
)

APPS = (*SERVICES, "gateway")
SCALED = {"filings": "certreg.filings", "review": "certreg.review", "notifier": "certreg.notifier"}
KEDA_API = "keda.sh/v1alpha1"


def pod_spec(resource: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = resource["spec"]["template"]["spec"]
    return spec


def only_container(resource: dict[str, Any]) -> dict[str, Any]:
    containers: list[dict[str, Any]] = pod_spec(resource)["containers"]
    assert len(containers) == 1
    return containers[0]


def container_env(resources: list[dict[str, Any]], container: dict[str, Any]) -> dict[str, str]:
    """The environment a container gets: envFrom (ConfigMaps, Secrets) then env."""
    configmaps, secrets = by_kind(resources, "ConfigMap"), by_kind(resources, "Secret")
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(configmaps[source["configMapRef"]["name"]]["data"])
        else:
            secret = secrets[source["secretRef"]["name"]]
            env.update(secret.get("stringData", {}))
    for item in container.get("env", []):
        env[item["name"]] = item["value"]
    return env


def secret_examples() -> dict[str, dict[str, Any]]:
    """overlays/prod/secret.example.yaml: the Secrets created out of band, by name."""
    return {d["metadata"]["name"]: d for d in yaml.safe_load_all((K8S / "overlays/prod/secret.example.yaml").read_text())}


def is_app(workload: dict[str, Any]) -> bool:
    """A certreg service or the gateway (not PgBouncer, whose container is not certreg's)."""
    labels: dict[str, str] = workload["metadata"]["labels"]
    return labels.get("app.kubernetes.io/part-of") == "certreg" and labels.get("app.kubernetes.io/component") != "database-pool"


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_object_is_valid_kubernetes(overlay: str) -> None:
    resources = rendered(overlay)
    assert resources
    for resource in resources:
        if resource["apiVersion"] == KEDA_API:
            continue  # a CRD: checked by test_keda_*
        kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)


def test_the_validator_rejects_a_mistake() -> None:
    deployment = copy.deepcopy(by_kind(rendered("base"), "Deployment")["filings"])
    only_container(deployment)["readinesProbe"] = {"httpGet": {"path": "/readyz", "port": "http"}}  # typo
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("overlay", ("base", "overlays/dev", "overlays/prod"))
def test_keda_is_optional(overlay: str) -> None:
    assert not [r for r in rendered(overlay) if r["apiVersion"].startswith("keda.sh/")]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_one_deployment_service_and_pdb_per_service(overlay: str) -> None:
    resources = rendered(overlay)
    deployments = {n: d for n, d in by_kind(resources, "Deployment").items() if is_app(d)}
    assert set(deployments) == set(APPS)
    services, pdbs = by_kind(resources, "Service"), by_kind(resources, "PodDisruptionBudget")
    for name, deployment in deployments.items():
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selects(deployment["spec"]["selector"]["matchLabels"], pod_labels)
        assert only_container(deployment)["args"] == ["serve", name, "--port", "8000"]
        assert selects(services[name]["spec"]["selector"], pod_labels), name
        assert services[name]["spec"]["ports"] == [{"name": "http", "port": 8000, "targetPort": "http", "protocol": "TCP"}]
        assert selects(pdbs[name]["spec"]["selector"]["matchLabels"], pod_labels), name
        assert pdbs[name]["spec"]["maxUnavailable"] == 1


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_deployments_are_probed_non_root_read_only_and_bounded(overlay: str) -> None:
    resources = rendered(overlay)
    workloads = [by_kind(resources, "Deployment")[n] for n in APPS] + [by_kind(resources, "Job")[f"migrate-{n}"] for n in SERVICES]
    for workload in workloads:
        name = workload["metadata"]["name"]
        pod = pod_spec(workload)
        container = only_container(workload)
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["securityContext"]["runAsUser"] != 0, name
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, name
        assert pod["automountServiceAccountToken"] is False, name
        security = container["securityContext"]
        assert security["readOnlyRootFilesystem"] is True, name
        assert security["allowPrivilegeEscalation"] is False, name
        assert security["capabilities"]["drop"] == ["ALL"], name
        tmp = next(m for m in container["volumeMounts"] if m["mountPath"] == "/tmp")
        volume = next(v for v in pod["volumes"] if v["name"] == tmp["name"])
        assert "emptyDir" in volume, name
        for kind in ("requests", "limits"):
            assert set(container["resources"][kind]) >= {"cpu", "memory"}, name
        assert container["image"].split(":")[0].endswith("certreg"), name
        if workload["kind"] == "Deployment":
            assert container["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
            assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}, name
            assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}, name


# The services that receive uploads: each is streamed to /tmp (a multipart one is
# spooled there twice) before it goes to S3, up to CERTREG_MAX_UPLOAD_BYTES (250 MiB).
UPLOADERS = ("entities", "filings", "review")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_receiving_uploads_have_room_for_them_in_tmp(overlay: str) -> None:
    deployments = by_kind(rendered(overlay), "Deployment")
    for name in UPLOADERS:
        pod = pod_spec(deployments[name])
        tmp = next(m for m in only_container(deployments[name])["volumeMounts"] if m["mountPath"] == "/tmp")
        volume = next(v for v in pod["volumes"] if v["name"] == tmp["name"])
        assert volume["emptyDir"]["sizeLimit"] == "2Gi", name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_migration_job_per_service(overlay: str) -> None:
    jobs = by_kind(rendered(overlay), "Job")
    assert set(jobs) == {f"migrate-{s}" for s in SERVICES}
    for name in SERVICES:
        job = jobs[f"migrate-{name}"]
        assert only_container(job)["args"] == ["migrate", name]
        assert pod_spec(job)["restartPolicy"] == "Never"
        assert job["metadata"]["labels"]["app.kubernetes.io/component"] == "migration"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_environment_names_are_settings_fields(overlay: str) -> None:
    resources = rendered(overlay)
    for configmap in by_kind(resources, "ConfigMap").values():
        if configmap["metadata"]["name"] == "certreg-config":
            assert unknown_variables(configmap["data"]) == []
    for secret in by_kind(resources, "Secret").values():
        if secret["metadata"]["name"] == "certreg-secrets":
            assert unknown_variables(secret["stringData"]) == []
    for workload in [*by_kind(resources, "Deployment").values(), *by_kind(resources, "Job").values()]:
        if not is_app(workload):
            continue
        names = [item["name"] for item in only_container(workload).get("env", [])]
        assert unknown_variables(names) == [], workload["metadata"]["name"]


def test_prod_secret_example_lists_real_settings() -> None:
    examples = secret_examples()
    assert set(examples) == {"certreg-secrets", "certreg-migrations", "certreg-pgbouncer"}
    example = examples["certreg-secrets"]
    assert unknown_variables(example["stringData"]) == []
    assert all("CHANGE-ME" in v for v in example["stringData"].values())
    kustomization = yaml.safe_load((K8S / "overlays/prod/kustomization.yaml").read_text())
    assert "secret.example.yaml" not in kustomization["resources"]
    assert not by_kind(rendered("overlays/prod"), "Secret"), "production secrets are created out of band"


def _secrets_for(overlay: str) -> list[dict[str, Any]]:
    resources = rendered(overlay)
    if overlay.startswith("overlays/prod"):  # created out of band; the example has the same keys
        resources.extend(secret_examples().values())
    return resources


@pytest.mark.parametrize("overlay", ("overlays/dev", "overlays/prod"))
@pytest.mark.parametrize("name", SERVICES)
def test_each_service_gets_a_complete_configuration(overlay: str, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    resources = _secrets_for(overlay)
    services = by_kind(resources, "Service")
    for workload in (by_kind(resources, "Deployment")[name], by_kind(resources, "Job")[f"migrate-{name}"]):
        env = container_env(resources, only_container(workload))
        settings = settings_from(env, monkeypatch)
        assert settings.environment == "production"
        check_service(settings, name)
        database = urlsplit(settings.database_url_for(name))
        assert database.scheme == "postgresql+psycopg" and database.path == f"/certreg_{name}"
        # The service through PgBouncer (transaction pooling: no prepared statements);
        # its migrations straight to PostgreSQL (DDL and locks for the whole migration).
        through_bouncer = (database.hostname, database.port) == ("pgbouncer", 6432)
        assert through_bouncer == (workload["kind"] == "Deployment"), workload["metadata"]["name"]
        assert settings.db_prepared_statements is False
        assert settings.amqp_url and settings.amqp_url.startswith(("amqp://", "amqps://"))
        assert settings.s3_endpoint and "://" not in settings.s3_endpoint  # host:port, the minio client's form
        assert settings.s3_access_key and settings.s3_secret_key
        mail = NotifierConfig()  # the notifier's own settings, from the same environment
        assert mail.smtp_host
        assert settings.public_url.startswith("http")
        assert str(settings.data_dir).startswith("/tmp/")  # the only writable place
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http")
        assert env["OTEL_SERVICE_NAME"].startswith("certreg-") and name in env["OTEL_SERVICE_NAME"]
        identity = urlsplit(settings.identity_url or "")
        assert identity.hostname in services and identity.port == 8000
    if overlay == "overlays/dev":  # the dev overlay's infrastructure is in the cluster
        assert {"postgres", "rabbitmq", "minio", "mailpit", "jaeger"} <= set(services)
        assert urlsplit(settings.database_url_for(name)).hostname in services
        assert urlsplit(settings.amqp_url).hostname in services
        assert settings.s3_endpoint and settings.s3_endpoint.split(":")[0] in services and mail.smtp_host in services
    else:
        assert settings.s3_secure is True and mail.smtp_starttls is True
        assert settings.public_url.startswith("https://")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_gateway_finds_every_service_and_holds_no_secret(overlay: str, monkeypatch: pytest.MonkeyPatch) -> None:
    resources = rendered(overlay)
    gateway = only_container(by_kind(resources, "Deployment")["gateway"])
    assert not [s for s in gateway["envFrom"] if "secretRef" in s]
    settings = settings_from(container_env(resources, gateway), monkeypatch)
    services = by_kind(resources, "Service")
    for name in SERVICES:
        url = urlsplit(settings.service_url(name) or "")
        assert url.hostname == name and url.port == 8000 and name in services


@pytest.mark.parametrize("overlay", ("base", "overlays/dev", "overlays/prod"))
def test_intake_and_review_scale_separately_on_cpu(overlay: str) -> None:
    resources = rendered(overlay)
    hpas = by_kind(resources, "HorizontalPodAutoscaler")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()} == {"filings", "review"}
    assert len(hpas) == 2
    deployments = by_kind(resources, "Deployment")
    for hpa in hpas.values():
        target = hpa["spec"]["scaleTargetRef"]
        assert target["kind"] == "Deployment" and target["name"] in deployments
        assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        # The autoscaler owns the count: a `replicas` in the manifest would fight it.
        assert "replicas" not in deployments[target["name"]]["spec"]
        assert "cpu" in only_container(deployments[target["name"]])["resources"]["requests"]


def test_prod_scales_wider_and_keeps_two_of_everything() -> None:
    resources = rendered("overlays/prod")
    hpas = by_kind(resources, "HorizontalPodAutoscaler")
    assert hpas["filings"]["spec"]["minReplicas"] >= 2 and hpas["review"]["spec"]["minReplicas"] >= 2
    assert hpas["filings"]["spec"]["maxReplicas"] > by_kind(rendered("base"), "HorizontalPodAutoscaler")["filings"]["spec"]["maxReplicas"]
    deployments = by_kind(resources, "Deployment")
    for name in ("identity", "entities", "notifier", "gateway"):
        assert deployments[name]["spec"]["replicas"] >= 2, name
    for deployment in deployments.values():
        image = only_container(deployment)["image"]
        assert not image.endswith(":latest") and ":" in image.rsplit("/", 1)[-1], image


def test_keda_scales_on_the_queues_instead_of_the_hpas() -> None:
    resources = rendered("overlays/prod-keda")
    assert not by_kind(resources, "HorizontalPodAutoscaler"), "KEDA makes its own HPAs"
    scaled = by_kind(resources, "ScaledObject")
    assert set(scaled) == set(SCALED)
    deployments = by_kind(resources, "Deployment")
    auths = by_kind(resources, "TriggerAuthentication")
    secret_keys = set(secret_examples()["certreg-secrets"]["stringData"])
    for name, queue in SCALED.items():
        spec = scaled[name]["spec"]
        assert scaled[name]["metadata"]["namespace"] == "certreg"
        assert spec["scaleTargetRef"]["name"] == name and name in deployments
        assert "replicas" not in deployments[name]["spec"], name
        assert 1 <= spec["minReplicaCount"] <= spec["maxReplicaCount"]
        triggers = {t["type"]: t for t in spec["triggers"]}
        assert set(triggers) == {"cpu", "rabbitmq"}
        rabbit = triggers["rabbitmq"]
        assert rabbit["metadata"]["queueName"] == queue
        assert rabbit["metadata"]["mode"] == "QueueLength" and int(rabbit["metadata"]["value"]) > 0
        auth = auths[rabbit["authenticationRef"]["name"]]
        assert auth["metadata"]["namespace"] == "certreg"
        (ref,) = auth["spec"]["secretTargetRef"]
        assert ref == {"parameter": "host", "name": "certreg-secrets", "key": "CERTREG_AMQP_URL"}
        assert ref["key"] in secret_keys


def test_queue_names_follow_the_bus() -> None:
    from certreg_runtime.bus.rabbit import RabbitBus
    from certreg_runtime.settings import Settings

    bus = RabbitBus("amqp://unused/", namespace=Settings().bus_namespace)
    for name, queue in SCALED.items():
        assert bus.queue_name(name) == queue


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_ingress_fronts_the_gateway(overlay: str) -> None:
    resources = rendered(overlay)
    (ingress,) = by_kind(resources, "Ingress").values()
    services = by_kind(resources, "Service")
    backends = [p["backend"]["service"] for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
    assert backends == [{"name": "gateway", "port": {"name": "http"}}]
    assert services["gateway"]["spec"]["ports"][0]["name"] == "http"
    body = ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/proxy-body-size"]
    assert int(body.rstrip("m")) >= 250  # documents up to 250 MB
    if overlay.startswith("overlays/prod"):
        assert ingress["spec"]["tls"][0]["hosts"] == [ingress["spec"]["rules"][0]["host"]]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_network_policies_select_the_certreg_pods(overlay: str) -> None:
    resources = rendered(overlay)
    policies = by_kind(resources, "NetworkPolicy")
    deployments = by_kind(resources, "Deployment")
    services_policy = policies["certreg-services"]["spec"]["podSelector"]["matchLabels"]
    gateway_policy = policies["certreg-gateway"]["spec"]["podSelector"]["matchLabels"]
    for name in APPS:
        labels = deployments[name]["spec"]["template"]["metadata"]["labels"]
        assert selects(services_policy, labels) == (name != "gateway"), name
        assert selects(gateway_policy, labels) == (name == "gateway"), name
    allowed_from = policies["certreg-services"]["spec"]["ingress"][0]["from"][0]["podSelector"]["matchLabels"]
    assert selects(allowed_from, deployments["gateway"]["spec"]["template"]["metadata"]["labels"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_everything_lands_in_the_overlay_namespace(overlay: str) -> None:
    expected = {"base": None, "overlays/dev": "certreg-dev", "overlays/prod": "certreg", "overlays/prod-keda": "certreg"}[overlay]
    for resource in rendered(overlay):
        if resource["kind"] == "Namespace":
            assert resource["metadata"]["name"] == expected
        else:
            assert resource["metadata"].get("namespace") == expected, (resource["kind"], resource["metadata"]["name"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_pgbouncer_pools_every_service_within_the_connection_budget(overlay: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """issue 16: however many replicas the autoscalers start, PostgreSQL (max_connections
    100, 10 kept for migrations, psql and backups) sees at most PgBouncer's pods ×
    databases × MAX_DB_CONNECTIONS server connections, in transaction pooling."""
    resources = _secrets_for(overlay)
    deployments, services = by_kind(resources, "Deployment"), by_kind(resources, "Service")
    bouncer = deployments["pgbouncer"]
    container = only_container(bouncer)
    env = {item["name"]: item["value"] for item in container["env"]}
    assert env["POOL_MODE"] == "transaction"
    assert container["image"] == "edoburu/pgbouncer:v1.25.1-p0"  # the one docker-compose.yml runs
    pods = bouncer["spec"]["replicas"] + bouncer["spec"]["strategy"]["rollingUpdate"]["maxSurge"]
    assert int(env["DEFAULT_POOL_SIZE"]) <= int(env["MAX_DB_CONNECTIONS"])
    assert pods * len(SERVICES) * int(env["MAX_DB_CONNECTIONS"]) <= 100 - 10
    assert "HorizontalPodAutoscaler" not in {r["kind"] for r in resources if r["metadata"]["name"] == "pgbouncer"}
    # Every service replica's pool is a client of it: room for all of them at prod's ceilings.
    hpas = by_kind(resources, "HorizontalPodAutoscaler")
    processes = sum(hpas[n]["spec"]["maxReplicas"] if n in hpas else deployments[n]["spec"].get("replicas", 1) for n in SERVICES)
    pool = settings_from({}, monkeypatch).db_pool_size
    assert processes * pool <= int(env["MAX_CLIENT_CONN"]) * bouncer["spec"]["replicas"]
    # Reachable as pgbouncer:6432, by the services only.
    pod_labels = bouncer["spec"]["template"]["metadata"]["labels"]
    assert selects(services["pgbouncer"]["spec"]["selector"], pod_labels)
    assert services["pgbouncer"]["spec"]["ports"] == [{"name": "postgres", "port": 6432, "targetPort": "postgres", "protocol": "TCP"}]
    assert selects(by_kind(resources, "PodDisruptionBudget")["pgbouncer"]["spec"]["selector"]["matchLabels"], pod_labels)
    policy = by_kind(resources, "NetworkPolicy")["certreg-pgbouncer"]["spec"]
    assert selects(policy["podSelector"]["matchLabels"], pod_labels)
    assert policy["ingress"][0]["ports"] == [{"protocol": "TCP", "port": 6432}]
    allowed = policy["ingress"][0]["from"][0]["podSelector"]["matchLabels"]
    for name in APPS:
        assert selects(allowed, deployments[name]["spec"]["template"]["metadata"]["labels"]) == (name != "gateway"), name
    # Its upstream from its own Secret (in the dev overlay, the dev PostgreSQL).
    assert [s["secretRef"]["name"] for s in container["envFrom"]] == ["certreg-pgbouncer"]
    if overlay != "base":
        upstream = by_kind(resources, "Secret")["certreg-pgbouncer"]["stringData"]
        assert {"DB_HOST", "DB_PORT", "DB_USER", "DB_PASSWORD"} <= set(upstream)
        direct = by_kind(resources, "Secret")["certreg-migrations"]["stringData"]["CERTREG_DATABASE_URL"]
        assert (urlsplit(direct).hostname, str(urlsplit(direct).port)) == (upstream["DB_HOST"], upstream["DB_PORT"])
        assert urlsplit(direct).username == upstream["DB_USER"]
        if overlay == "overlays/dev":
            assert upstream["DB_HOST"] in services
        else:
            assert env["SERVER_TLS_SSLMODE"] == "require"
    # Hardened like the certreg pods.
    pod = pod_spec(bouncer)
    assert pod["securityContext"]["runAsNonRoot"] is True and pod["securityContext"]["runAsUser"] != 0
    assert pod["automountServiceAccountToken"] is False
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
    assert container["readinessProbe"]["tcpSocket"] == {"port": "postgres"}
