"""The test renderer of Kustomize: what it implements, and that it agrees with the real
one (``kubectl kustomize``) on deploy/k8s when kubectl is installed."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

from .helpers import K8S, OVERLAYS, rendered
from .kustomize import KustomizeError, render


def write(directory: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))


DEPLOYMENT = """\
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: web
    spec:
      replicas: 1
      template:
        spec:
          containers:
          - name: web
            image: app:1
            env:
            - name: A
              value: "1"
          - name: sidecar
            image: proxy
    ---
    apiVersion: autoscaling/v2
    kind: HorizontalPodAutoscaler
    metadata:
      name: web
    spec:
      maxReplicas: 3
    """


def test_patches_images_namespace_and_components(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "base/app.yaml": DEPLOYMENT,
            "base/kustomization.yaml": "resources: [app.yaml]\n",
            "comp/kustomization.yaml": """\
                apiVersion: kustomize.config.k8s.io/v1alpha1
                kind: Component
                patches:
                - patch: |-
                    $patch: delete
                    apiVersion: autoscaling/v2
                    kind: HorizontalPodAutoscaler
                    metadata:
                      name: web
                """,
            "overlay/env.yaml": """\
                apiVersion: apps/v1
                kind: Deployment
                metadata:
                  name: web
                spec:
                  template:
                    spec:
                      containers:
                      - name: web
                        env:
                        - name: B
                          value: "2"
                """,
            "overlay/kustomization.yaml": """\
                namespace: here
                resources: [../base]
                components: [../comp]
                images:
                - {name: app, newName: registry/app, newTag: "2"}
                patches:
                - path: env.yaml
                - target: {kind: Deployment, name: web}
                  patch: |-
                    - op: remove
                      path: /spec/replicas
                """,
        },
    )
    (deployment,) = render(tmp_path / "overlay")
    assert deployment["metadata"]["namespace"] == "here"
    assert "replicas" not in deployment["spec"]
    web, sidecar = deployment["spec"]["template"]["spec"]["containers"]
    assert web["image"] == "registry/app:2" and sidecar["image"] == "proxy"
    assert web["env"] == [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}]


def test_refuses_what_it_does_not_implement(tmp_path: Path) -> None:
    write(tmp_path, {"app.yaml": DEPLOYMENT, "kustomization.yaml": "resources: [app.yaml]\ncommonLabels: {a: b}\n"})
    with pytest.raises(KustomizeError, match="commonLabels"):
        render(tmp_path)


def test_a_patch_that_matches_nothing_is_an_error(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "app.yaml": DEPLOYMENT,
            "kustomization.yaml": """\
                resources: [app.yaml]
                patches:
                - target: {kind: Deployment, name: missing}
                  patch: "[{op: remove, path: /spec/replicas}]"
                """,
        },
    )
    with pytest.raises(KustomizeError, match="matches nothing"):
        render(tmp_path)


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl (with its kustomize) not installed")
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_agrees_with_kubectl_kustomize(overlay: str) -> None:
    out = subprocess.run(["kubectl", "kustomize", str(K8S / overlay)], capture_output=True, text=True, check=True, timeout=120).stdout
    theirs = {(r["kind"], r["metadata"]["name"]): r for r in yaml.safe_load_all(out) if r}
    mine = {(r["kind"], r["metadata"]["name"]): r for r in rendered(overlay)}
    assert set(mine) == set(theirs)
    for key, resource in mine.items():
        assert resource == theirs[key], key
