"""A small Kustomize renderer, enough for deploy/k8s (no kustomize binary in CI).

It implements the subset of kustomize that deploy/k8s uses and refuses anything else
(an unknown field is an error, never silently ignored): ``resources`` (files and
directories), ``components``, ``namespace``, ``images`` and ``patches`` (strategic merge,
including ``$patch: delete``, and JSON 6902 with a ``target``). When ``kubectl`` is
installed, tests/deploy checks that it renders exactly what ``kubectl kustomize`` does.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import yaml

Resource = dict[str, Any]

KUSTOMIZATION_FIELDS = {"apiVersion", "kind", "resources", "components", "namespace", "images", "patches"}
PATCH_FIELDS = {"path", "patch", "target"}
TARGET_FIELDS = {"group", "version", "kind", "name", "namespace", "labelSelector"}
# Kinds without a namespace (the ones deploy/k8s could contain).
CLUSTER_SCOPED = {
    "Namespace",
    "ClusterRole",
    "ClusterRoleBinding",
    "CustomResourceDefinition",
    "IngressClass",
    "PriorityClass",
    "StorageClass",
}
# Strategic merge: lists merged by a key instead of replaced (Kubernetes' patchMergeKey).
MERGE_KEYS = {
    "containers": "name",
    "initContainers": "name",
    "volumes": "name",
    "env": "name",
    "volumeMounts": "mountPath",
    "ports": "containerPort",
    "imagePullSecrets": "name",
}


class KustomizeError(Exception):
    pass


def render(directory: Path) -> list[Resource]:
    """The resources ``kustomize build directory`` would output (in no particular order)."""
    return _build(Path(directory), component=False)


def _load_kustomization(directory: Path) -> dict[str, Any]:
    for name in ("kustomization.yaml", "kustomization.yml", "Kustomization"):
        path = directory / name
        if path.is_file():
            data = yaml.safe_load(path.read_text()) or {}
            unknown = set(data) - KUSTOMIZATION_FIELDS
            if unknown:
                raise KustomizeError(f"{path}: fields this renderer does not implement: {sorted(unknown)}")
            return data
    raise KustomizeError(f"no kustomization in {directory}")


def _build(directory: Path, *, component: bool, resources: list[Resource] | None = None) -> list[Resource]:
    k = _load_kustomization(directory)
    expected = "Component" if component else "Kustomization"
    if k.get("kind", "Kustomization") != expected:
        raise KustomizeError(f"{directory}: kind {k.get('kind')!r}, expected {expected}")
    result = list(resources or [])
    for entry in k.get("resources", []):
        path = (directory / entry).resolve()
        if path.is_dir():
            result.extend(_build(path, component=False))
        elif path.is_file():
            result.extend(_load_documents(path))
        else:
            raise KustomizeError(f"{directory}: resource {entry} not found")
    for entry in k.get("components", []):
        result = _build((directory / entry).resolve(), component=True, resources=result)
    for patch in k.get("patches", []):
        result = _apply_patch(directory, patch, result)
    for image in k.get("images", []):
        _set_image(result, image)
    if "namespace" in k:
        for resource in result:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource.setdefault("metadata", {})["namespace"] = k["namespace"]
    _check_unique(result, directory)
    return result


def _load_documents(path: Path) -> list[Resource]:
    docs = [d for d in yaml.safe_load_all(path.read_text()) if d]
    for doc in docs:
        if not isinstance(doc, dict) or not {"apiVersion", "kind", "metadata"} <= set(doc):
            raise KustomizeError(f"{path}: not a Kubernetes object: {str(doc)[:80]}")
    return docs


def _check_unique(resources: list[Resource], directory: Path) -> None:
    seen: set[tuple[str, str, str | None]] = set()
    for r in resources:
        key = (r["kind"], r["metadata"]["name"], r["metadata"].get("namespace"))
        if key in seen:
            raise KustomizeError(f"{directory}: {key} defined twice")
        seen.add(key)


# --- patches ---------------------------------------------------------------------------


def _apply_patch(directory: Path, spec: dict[str, Any], resources: list[Resource]) -> list[Resource]:
    unknown = set(spec) - PATCH_FIELDS
    if unknown:
        raise KustomizeError(f"{directory}: patch fields not implemented: {sorted(unknown)}")
    if ("path" in spec) == ("patch" in spec):
        raise KustomizeError(f"{directory}: a patch needs exactly one of path and patch")
    text = (directory / spec["path"]).read_text() if "path" in spec else spec["patch"]
    target = spec.get("target")
    if target is not None and set(target) - TARGET_FIELDS:
        raise KustomizeError(f"{directory}: target fields not implemented: {sorted(set(target) - TARGET_FIELDS)}")
    docs = [d for d in yaml.safe_load_all(text) if d is not None]
    if len(docs) == 1 and isinstance(docs[0], list):
        if target is None:
            raise KustomizeError(f"{directory}: a JSON 6902 patch needs a target")
        matched = [r for r in resources if _matches(r, target)]
        if not matched:
            raise KustomizeError(f"{directory}: patch target {target} matches nothing")
        for resource in matched:
            for op in docs[0]:
                _json6902(resource, op)
        return resources
    for doc in docs:
        if not isinstance(doc, dict):
            raise KustomizeError(f"{directory}: unreadable patch {doc!r}")
        own = target or {"kind": doc["kind"], "name": doc["metadata"]["name"], **_group_version(doc["apiVersion"])}
        matched = [r for r in resources if _matches(r, own)]
        if not matched:
            raise KustomizeError(f"{directory}: patch for {own} matches nothing")
        if doc.get("$patch") == "delete":
            resources = [r for r in resources if not any(r is m for m in matched)]
            continue
        for resource in matched:
            patch = copy.deepcopy(doc)
            if target is not None:  # the patch's own name does not rename its targets
                patch.get("metadata", {}).pop("name", None)
                patch.get("metadata", {}).pop("namespace", None)
            _strategic_merge(resource, patch)
    return resources


def _group_version(api_version: str) -> dict[str, str]:
    group, _, version = api_version.rpartition("/")
    return {"group": group, "version": version}


def _matches(resource: Resource, target: dict[str, Any]) -> bool:
    gv = _group_version(resource["apiVersion"])
    meta = resource["metadata"]
    if "kind" in target and target["kind"] != resource["kind"]:
        return False
    if "group" in target and target["group"] != gv["group"]:
        return False
    if "version" in target and target["version"] != gv["version"]:
        return False
    if "name" in target and not re.fullmatch(target["name"], meta["name"]):
        return False
    if "namespace" in target and target["namespace"] != meta.get("namespace"):
        return False
    if "labelSelector" in target:
        labels = meta.get("labels") or {}
        for term in target["labelSelector"].split(","):
            key, _, value = term.partition("=")
            if labels.get(key.strip()) != value.strip():
                return False
    return True


def _strategic_merge(base: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if key == "$patch":
            continue
        if value is None:
            base.pop(key, None)
        elif isinstance(value, dict) and isinstance(base.get(key), dict):
            if value.get("$patch") == "replace":
                base[key] = {k: v for k, v in value.items() if k != "$patch"}
            else:
                _strategic_merge(base[key], value)
        elif isinstance(value, list) and isinstance(base.get(key), list) and key in MERGE_KEYS:
            merge_key = MERGE_KEYS[key]
            for item in value:
                existing = next((b for b in base[key] if isinstance(b, dict) and b.get(merge_key) == item.get(merge_key)), None)
                if existing is None:
                    base[key].append(copy.deepcopy(item))
                elif item.get("$patch") == "delete":
                    base[key].remove(existing)
                else:
                    _strategic_merge(existing, item)
        else:
            base[key] = copy.deepcopy(value)


def _pointer(path: str) -> list[str]:
    if not path.startswith("/"):
        raise KustomizeError(f"bad JSON pointer {path!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _json6902(resource: Resource, op: dict[str, Any]) -> None:
    parts = _pointer(op["path"])
    parent: Any = resource
    for part in parts[:-1]:
        parent = parent[int(part)] if isinstance(parent, list) else parent[part]
    last = parts[-1]
    kind = op["op"]
    if kind == "remove":
        if isinstance(parent, list):
            del parent[int(last)]
        else:
            del parent[last]
    elif kind == "replace":
        if isinstance(parent, list):
            parent[int(last)] = copy.deepcopy(op["value"])
        else:
            if last not in parent:
                raise KustomizeError(f"replace of a missing {op['path']}")
            parent[last] = copy.deepcopy(op["value"])
    elif kind == "add":
        if isinstance(parent, list):
            parent.insert(len(parent) if last == "-" else int(last), copy.deepcopy(op["value"]))
        else:
            parent[last] = copy.deepcopy(op["value"])
    else:
        raise KustomizeError(f"JSON patch op {kind!r} not implemented")


# --- images ----------------------------------------------------------------------------


def _containers(resource: Resource) -> list[dict[str, Any]]:
    spec = resource.get("spec", {})
    pod = spec.get("template", {}).get("spec", {}) if resource["kind"] != "Pod" else spec
    if resource["kind"] == "CronJob":
        pod = spec.get("jobTemplate", {}).get("spec", {}).get("template", {}).get("spec", {})
    return [*pod.get("initContainers", []), *pod.get("containers", [])]


def _set_image(resources: list[Resource], image: dict[str, Any]) -> None:
    for resource in resources:
        for container in _containers(resource):
            current = container.get("image", "")
            name, tag = _split_image(current)
            if name != image["name"]:
                continue
            new_name = image.get("newName", name)
            if "digest" in image:
                container["image"] = f"{new_name}@{image['digest']}"
            elif "newTag" in image:
                container["image"] = f"{new_name}:{image['newTag']}"
            else:
                container["image"] = new_name + (tag or "")


def _split_image(image: str) -> tuple[str, str | None]:
    if "@" in image:
        name, digest = image.split("@", 1)
        return name, "@" + digest
    head, sep, tail = image.rpartition(":")
    if sep and "/" not in tail:
        return head, ":" + tail
    return image, None
