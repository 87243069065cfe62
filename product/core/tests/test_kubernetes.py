"""The Kubernetes manifests (deploy/kubernetes/), checked offline as an API server and KEDA would
take them, and against what the rest of the repository says.

No kustomize binary is assumed. `render()` is the part of kustomize these kustomizations use
(`resources`, `namespace`, `images`, and `patches` that only set fields inside maps, where a
strategic merge patch and a plain recursive merge agree) and it refuses every other field, so an
overlay cannot use something this check would silently misread. Core objects are validated
against the Kubernetes JSON schemas that kubernetes-validate bundles (strict: an unknown field
fails), KEDA's against the subset of its CRD schemas vendored in deploy/kubernetes/schemas/.
"""

from __future__ import annotations

import copy
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from django.conf import settings

from worker.celery import app as celery_app

ROOT = Path(settings.BASE_DIR)
KUBERNETES = ROOT / "deploy" / "kubernetes"
# The oldest Kubernetes the manifests promise to work on, and the newest the schemas know.
KUBERNETES_VERSIONS = ("1.32", "1.37")
KUSTOMIZATION_FIELDS = {"apiVersion", "kind", "resources", "namespace", "images", "patches"}
CLUSTER_SCOPED_KINDS = {"Namespace"}
KEEL_IMAGE = "keel"
# Variables read by libraries rather than by product/settings.py: boto3 takes S3 credentials
# from the environment (django-storages; .env.example says so beside STORAGE_S3_BUCKET).
LIBRARY_VARIABLES = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_S3_REGION_NAME"}
# Without these a pod falls back to its own SQLite file and broker folder: on Kubernetes each pod
# would then be a product of its own, so they are required here although settings default them.
SHARED_STATE_VARIABLES = {"DATABASE_URL", "REDIS_URL", "SITE_URL", "CSRF_TRUSTED_ORIGINS"}

Resource = dict[str, Any]


class UnsupportedKustomization(Exception):
    pass


# --- A small, strict kustomize ---------------------------------------------------------------
def load_documents(path: Path) -> list[Resource]:
    return [document for document in yaml.safe_load_all(path.read_text()) if document]


def render(directory: Path) -> list[Resource]:
    """What `kubectl kustomize directory` prints, for the fields KUSTOMIZATION_FIELDS names."""
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    unknown = set(kustomization) - KUSTOMIZATION_FIELDS
    if unknown:
        raise UnsupportedKustomization(
            f"{directory}: {sorted(unknown)} is not understood by this check; extend render()."
        )
    resources: list[Resource] = []
    for entry in kustomization.get("resources", []):
        path = directory / entry
        resources += render(path) if path.is_dir() else load_documents(path)
    ids = [(resource["kind"], resource["metadata"]["name"]) for resource in resources]
    assert len(ids) == len(set(ids)), f"{directory}: the same object twice in {ids}"
    for patch in kustomization.get("patches", []):
        apply_patch(resources, directory, patch)
    for resource in resources:
        if "namespace" in kustomization and resource["kind"] not in CLUSTER_SCOPED_KINDS:
            resource["metadata"]["namespace"] = kustomization["namespace"]
        for image in kustomization.get("images", []):
            set_image(resource, image)
    return resources


def apply_patch(resources: list[Resource], directory: Path, patch: dict[str, Any]) -> None:
    if set(patch) != {"path"}:
        raise UnsupportedKustomization(f"{directory}: a patch with {sorted(patch)}; use `path`.")
    (body,) = load_documents(directory / patch["path"])
    refuse_lists(body, where=f"{directory / patch['path']}")
    (target,) = [
        resource
        for resource in resources
        if (resource["kind"], resource["metadata"]["name"])
        == (body["kind"], body["metadata"]["name"])
    ]
    merge(target, body)


def refuse_lists(value: Any, *, where: str) -> None:
    # A strategic merge patch merges some lists by key and replaces others; a map-only patch
    # means the same under both, so this merge is kustomize's.
    if isinstance(value, list) or value is None:
        raise UnsupportedKustomization(f"{where}: a patch here may only set fields inside maps.")
    if isinstance(value, dict):
        for item in value.values():
            refuse_lists(item, where=where)


def merge(target: dict[str, Any], patch: dict[str, Any]) -> None:
    for key, value in patch.items():
        if isinstance(value, dict) and isinstance(target.get(key), dict):
            merge(target[key], value)
        else:
            target[key] = copy.deepcopy(value)


def set_image(resource: Resource, image: dict[str, str]) -> None:
    if set(image) - {"name", "newName", "newTag"}:
        raise UnsupportedKustomization(f"images: {sorted(image)}; use name, newName, newTag.")
    for container in containers(resource):
        name, tag = split_image(container["image"])
        if name == image["name"]:
            tag = image.get("newTag", tag)
            container["image"] = image.get("newName", name) + (f":{tag}" if tag else "")


def split_image(image: str) -> tuple[str, str]:
    """`registry:5000/keel:1.0` -> (`registry:5000/keel`, `1.0`): the tag follows the last colon
    that comes after every slash."""
    name, colon, tag = image.rpartition(":")
    return (image, "") if not colon or "/" in tag else (name, tag)


# --- Reading the rendered objects ------------------------------------------------------------
def pod_spec(resource: Resource) -> dict[str, Any] | None:
    if resource["kind"] in {"Deployment", "Job"}:
        spec: dict[str, Any] = resource["spec"]["template"]["spec"]
        return spec
    return None


def containers(resource: Resource) -> Iterator[dict[str, Any]]:
    spec = pod_spec(resource)
    if spec is not None:
        yield from spec.get("initContainers", [])
        yield from spec["containers"]


def one(resources: list[Resource], kind: str, name: str) -> Resource:
    (found,) = [r for r in resources if r["kind"] == kind and r["metadata"]["name"] == name]
    return found


def config_data(resources: list[Resource]) -> dict[str, str]:
    data: dict[str, str] = one(resources, "ConfigMap", "keel-config")["data"]
    return data


def secret_keys() -> set[str]:
    text = (KUBERNETES / "base" / "secrets.env.example").read_text()
    return set(re.findall(r"^([A-Z_0-9]+)=", text, re.M))


def settings_variables() -> set[str]:
    source = (ROOT / "product" / "settings.py").read_text()
    return set(re.findall(r'(?:env(?:\.[a-z]+)?|required)\(\s*"([A-Z0-9_]+)"', source)) | {
        "KEEL_VAR_DIR"
    }


def entrypoint() -> str:
    return (ROOT / "docker" / "entrypoint.sh").read_text()


def role_queues(role: str) -> set[str]:
    """The queues `docker/entrypoint.sh <role>` consumes (its `-Q a,b`)."""
    block = re.search(rf"^  {re.escape(role)}\)\n(.*?);;", entrypoint(), re.M | re.S)
    assert block, f"docker/entrypoint.sh has no role {role}"
    (queues,) = re.findall(r"-Q (\S+)", block.group(1))
    return set(queues.split(","))


def selects(selector: dict[str, str], resource: Resource) -> bool:
    labels = resource["spec"]["template"]["metadata"]["labels"]
    return all(labels.get(key) == value for key, value in selector.items())


def kustomizations() -> list[str]:
    return sorted(
        str(path.parent.relative_to(KUBERNETES)) for path in KUBERNETES.rglob("kustomization.yaml")
    )


@pytest.fixture(params=kustomizations())
def rendered(request: pytest.FixtureRequest) -> list[Resource]:
    return render(KUBERNETES / request.param)


# --- The checks ------------------------------------------------------------------------------
def test_it_has_a_base_and_a_production_overlay() -> None:
    # A copy of the overlay for another environment is checked like these two.
    assert {"base", "overlays/production"} <= set(kustomizations())


@pytest.mark.parametrize("folder", kustomizations())
def test_it_lists_every_manifest_in_its_kustomization(folder: str) -> None:
    directory = KUBERNETES / folder
    kustomization = yaml.safe_load((directory / "kustomization.yaml").read_text())
    listed = set(kustomization.get("resources", [])) | {
        patch["path"] for patch in kustomization.get("patches", [])
    }
    on_disk = {path.name for path in directory.glob("*.yaml")} - {"kustomization.yaml"}
    assert on_disk - listed == set(), "list these under resources or patches"


def test_it_validates_against_the_kubernetes_and_keda_schemas(rendered: list[Resource]) -> None:
    for resource in rendered:
        group = resource["apiVersion"].split("/")[0]
        if group == "keda.sh":
            name = f"keda.sh_v1alpha1_{resource['kind'].lower()}.json"
            schema = json.loads((KUBERNETES / "schemas" / name).read_text())
            jsonschema.validate(resource, schema)
        else:
            for version in KUBERNETES_VERSIONS:
                kubernetes_validate.validate(resource, version, strict=True)


def test_it_would_catch_a_misspelt_field() -> None:
    deployment = one(render(KUBERNETES / "base"), "Deployment", "keel-web")
    deployment["spec"]["template"]["spec"]["containers"][0]["resource"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSIONS[0], strict=True)
    scaled = one(render(KUBERNETES / "base"), "ScaledObject", "keel-worker")
    scaled["spec"]["minReplicas"] = 1
    schema = json.loads((KUBERNETES / "schemas" / "keda.sh_v1alpha1_scaledobject.json").read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(scaled, schema)


def test_it_reads_an_image_with_a_registry_port() -> None:
    assert split_image("registry.example.com:5000/keel:0.1.0") == (
        "registry.example.com:5000/keel",
        "0.1.0",
    )
    assert split_image("registry.example.com:5000/keel") == ("registry.example.com:5000/keel", "")
    assert split_image("keel") == ("keel", "")


def test_it_refuses_kustomize_fields_it_does_not_understand(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: []\ncommonLabels: {a: b}\n")
    with pytest.raises(UnsupportedKustomization):
        render(tmp_path)


def test_it_runs_exactly_one_beat(rendered: list[Resource]) -> None:
    beat = one(rendered, "Deployment", "keel-beat")
    assert beat["spec"]["replicas"] == 1
    assert beat["spec"]["strategy"] == {"type": "Recreate"}
    scalers = [r for r in rendered if r["kind"] in {"HorizontalPodAutoscaler", "ScaledObject"}]
    assert "keel-beat" not in {r["spec"]["scaleTargetRef"]["name"] for r in scalers}


def test_it_gives_autoscalers_the_replica_count(rendered: list[Resource]) -> None:
    deployments = {r["metadata"]["name"]: r for r in rendered if r["kind"] == "Deployment"}
    hpa = one(rendered, "HorizontalPodAutoscaler", "keel-web")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "keel-web",
    }
    assert [m["resource"]["name"] for m in hpa["spec"]["metrics"]] == ["cpu"]
    scaled = {r["spec"]["scaleTargetRef"]["name"] for r in rendered if r["kind"] == "ScaledObject"}
    assert scaled == {"keel-worker", "keel-knowledge-worker"}
    for name in scaled | {"keel-web"}:
        # An applied `replicas` would reset the autoscaler's count on every apply.
        assert "replicas" not in deployments[name]["spec"], name


def test_it_scales_each_worker_on_the_queues_it_consumes(rendered: list[Resource]) -> None:
    declared = {queue.name for queue in celery_app.conf.task_queues}
    authentications = {
        r["metadata"]["name"] for r in rendered if r["kind"] == "TriggerAuthentication"
    }
    for scaled in (r for r in rendered if r["kind"] == "ScaledObject"):
        deployment = one(rendered, "Deployment", scaled["spec"]["scaleTargetRef"]["name"])
        (role,) = deployment["spec"]["template"]["spec"]["containers"][0]["args"]
        triggers = scaled["spec"]["triggers"]
        assert {t["type"] for t in triggers} == {"redis"}
        assert {t["metadata"]["listName"] for t in triggers} == role_queues(role) <= declared
        for trigger in triggers:
            assert int(trigger["metadata"]["listLength"]) > 0
            assert trigger["authenticationRef"]["name"] in authentications
        assert scaled["spec"]["maxReplicaCount"] > 0
        assert scaled["spec"]["minReplicaCount"] <= scaled["spec"]["maxReplicaCount"]


def test_it_sends_no_message_to_a_list_keda_does_not_watch() -> None:
    # kombu's Redis transport puts a message with a priority on `<queue>\x06\x16<priority>`, and
    # a `global_keyprefix` in front of every key: either would hide the backlog from listName.
    assert celery_app.conf.task_default_priority is None
    assert all(queue.max_priority is None for queue in celery_app.conf.task_queues)
    for folder in ("product", "worker"):
        for path in (ROOT / folder).rglob("*.py"):
            if "tests" not in path.parts:
                source = path.read_text()
                assert "priority=" not in source and "global_keyprefix" not in source, (
                    f"{path}: KEDA watches the plain queue lists (deploy/kubernetes/base/*worker.yaml)"
                )


def test_it_requests_resources_for_every_container(rendered: list[Resource]) -> None:
    for resource in rendered:
        for container in containers(resource):
            resources = container["resources"]
            assert {"cpu", "memory"} <= set(resources["requests"]), container["name"]
            assert "memory" in resources["limits"], container["name"]


def test_it_probes_web_as_the_proxy_would_reach_it(rendered: list[Resource]) -> None:
    web = one(rendered, "Deployment", "keel-web")["spec"]["template"]["spec"]["containers"][0]
    assert web["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert web["livenessProbe"]["httpGet"]["path"] == "/healthz"
    allowed_hosts = config_data(rendered)["ALLOWED_HOSTS"].split(",")
    for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
        headers = {h["name"]: h["value"] for h in web[probe]["httpGet"]["httpHeaders"]}
        assert headers["Host"] in allowed_hosts
        assert headers["X-Forwarded-Proto"] == "https"


def test_it_migrates_in_the_job_and_nowhere_else(rendered: list[Resource]) -> None:
    job = one(rendered, "Job", "keel-migrate")["spec"]["template"]["spec"]
    assert job["containers"][0]["args"] == ["manage", "migrate", "--noinput"]
    assert job["restartPolicy"] == "Never"
    web = one(rendered, "Deployment", "keel-web")["spec"]["template"]["spec"]["containers"][0]
    assert {"name": "KEEL_MIGRATE_ON_START", "value": "false"} in web["env"]
    assert "KEEL_MIGRATE_ON_START" in entrypoint()
    # What the migration Job's pods wait for before new code serves or takes jobs.
    for name in ("keel-web", "keel-worker", "keel-knowledge-worker"):
        deployment = one(rendered, "Deployment", name)["spec"]["template"]["spec"]
        (wait,) = deployment["initContainers"]
        assert "manage.py migrate --check" in " ".join(wait["command"])


def test_it_sets_only_variables_keel_reads(rendered: list[Resource]) -> None:
    known = settings_variables() | set(re.findall(r"\$\{([A-Z_]+)", entrypoint()))
    known |= LIBRARY_VARIABLES
    set_here = set(config_data(rendered)) | secret_keys()
    for resource in rendered:
        for container in containers(resource):
            set_here |= {variable["name"] for variable in container.get("env", [])}
    assert set_here - known == set(), "a variable nothing reads (misspelt?)"


def test_it_provides_every_required_setting(rendered: list[Resource]) -> None:
    source = (ROOT / "product" / "settings.py").read_text()
    # `required(...)` names some; ALLOWED_HOSTS and EMAIL_URL stop a production start too.
    required = set(re.findall(r'required\(\s*"([A-Z0-9_]+)"', source)) | {
        "ALLOWED_HOSTS",
        "EMAIL_URL",
    }
    assert required - set(config_data(rendered)) - secret_keys() == set()
    assert SHARED_STATE_VARIABLES - set(config_data(rendered)) - secret_keys() == set()
    assert config_data(rendered)["DEBUG"] == "false"
    for resource in rendered:
        for container in containers(resource):
            assert container["envFrom"] == [
                {"configMapRef": {"name": "keel-config"}},
                {"secretRef": {"name": "keel-secrets"}},
            ], container["name"]
    # The Secret is made by hand from secrets.env.example: none is committed with values.
    assert "Secret" not in {r["kind"] for r in rendered}


def test_it_runs_as_the_images_user_on_a_read_only_root(rendered: list[Resource]) -> None:
    (uid,) = re.findall(r"--uid (\d+)", (ROOT / "Dockerfile").read_text())
    multiprocess_dir = config_data(rendered)["PROMETHEUS_MULTIPROC_DIR"]
    for resource in rendered:
        spec = pod_spec(resource)
        if spec is None:
            continue
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert spec["securityContext"]["runAsUser"] == int(uid)
        for container in containers(resource):
            assert split_image(container["image"])[0].split("/")[-1] == KEEL_IMAGE
            assert container["securityContext"]["readOnlyRootFilesystem"] is True
            mounts = {mount["mountPath"] for mount in container["volumeMounts"]}
            # Settings create the metrics directory at start, so every process needs it.
            assert {"/tmp", multiprocess_dir} <= mounts, container["name"]
            # /app/var holds the collected static files (Dockerfile): only beat, which serves
            # none, may hide it, and it must, to write its schedule there.
            assert ("/app/var" in mounts) == (container["name"] == "beat"), container["name"]


def test_it_gives_workers_time_to_finish_a_job(rendered: list[Resource]) -> None:
    for name in ("keel-worker", "keel-knowledge-worker"):
        spec = one(rendered, "Deployment", name)["spec"]["template"]["spec"]
        assert spec["terminationGracePeriodSeconds"] > settings.JOB_TIME_LIMIT_S


def test_it_budgets_disruptions_for_every_scaled_deployment(rendered: list[Resource]) -> None:
    budgets = [r for r in rendered if r["kind"] == "PodDisruptionBudget"]
    for deployment in (r for r in rendered if r["kind"] == "Deployment"):
        covered = [b for b in budgets if selects(b["spec"]["selector"]["matchLabels"], deployment)]
        name = deployment["metadata"]["name"]
        # One beat: a budget that kept it would block every node drain.
        assert len(covered) == (0 if name == "keel-beat" else 1), name


def test_it_sets_the_overlays_image_namespace_and_host() -> None:
    rendered = render(KUBERNETES / "overlays" / "production")
    images = {c["image"] for r in rendered for c in containers(r)}
    assert images == {"registry.example.com/keel:0.1.0"}
    namespaced = [r for r in rendered if r["kind"] not in CLUSTER_SCOPED_KINDS]
    assert {r["metadata"]["namespace"] for r in namespaced} == {"keel"}
    (ingress,) = [r for r in rendered if r["kind"] == "Ingress"]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] in config_data(rendered)["ALLOWED_HOSTS"].split(",")
    assert config_data(rendered)["SITE_URL"] == f"https://{rule['host']}"


def test_it_answers_the_probes_in_a_production_configuration(tmp_path: Path) -> None:
    """The probes' headers get a 200 where the HTTPS redirect and the host check are on; without
    the scheme a probe gets a redirect, and a pod's address is no allowed host."""
    web = one(render(KUBERNETES / "base"), "Deployment", "keel-web")
    probe = web["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]
    headers = {h["name"]: h["value"] for h in probe["httpHeaders"]}
    script = f"""
from django.conf import settings
from django.http.request import validate_host
from django.test import Client

client = Client()
headers = {headers!r}
print(client.get({probe["path"]!r}, headers=headers).status_code)
print(client.get({probe["path"]!r}, headers={{"Host": headers["Host"]}}).status_code)
print(validate_host("10.0.0.7", settings.ALLOWED_HOSTS))
"""
    env = {key: value for key, value in os.environ.items() if key in ("PATH", "HOME", "LANG")}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "product.settings",
            "DEBUG": "false",
            "KEEL_TESTING": "false",
            "KEEL_VAR_DIR": str(tmp_path),
            "SECRET_KEY": "k8s-probe-check-7Rq9vLm2PzT8wYb4NcJ6hGd1FsK0aEe5UiOo3WlQr8dH2mVt",
            "ALLOWED_HOSTS": config_data(render(KUBERNETES / "base"))["ALLOWED_HOSTS"],
            "EMAIL_URL": "consolemail://",
            "SECURE_SSL_REDIRECT": "true",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'probe.sqlite3'}",
            "REDIS_URL": "",
        }
    )
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split()[-3:] == ["200", "301", "False"]


def test_it_starts_web_without_migrating_when_told(tmp_path: Path) -> None:
    # Stand-ins for python and uvicorn record what the entrypoint would run.
    for program in ("python", "uvicorn"):
        stub = tmp_path / program
        stub.write_text(f'#!/bin/sh\necho "{program} $*" >> "{tmp_path}/ran"\n')
        stub.chmod(0o755)
    env = {"PATH": f"{tmp_path}:/usr/bin:/bin"}

    def start_web(**extra: str) -> list[str]:
        (tmp_path / "ran").unlink(missing_ok=True)
        subprocess.run(
            ["sh", str(ROOT / "docker" / "entrypoint.sh"), "web"],
            env={**env, **extra},
            check=True,
            timeout=30,
        )
        return (tmp_path / "ran").read_text().splitlines()

    compose = start_web()
    assert compose[0] == "python manage.py migrate --noinput"
    assert compose[1].startswith("uvicorn product.asgi:application")
    kubernetes = start_web(KEEL_MIGRATE_ON_START="false")
    assert len(kubernetes) == 1 and kubernetes[0].startswith("uvicorn ")
