"""The deployment files pass their validators, offline: every Kubernetes manifest against
kubernetes-validate's bundled schemas, the compose file against the vendored compose-spec schema
(deploy/compose/schema/README.md says where it came from), the Caddyfile with `caddy validate`."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml
from django.conf import settings
from django.test import SimpleTestCase

DEPLOY = Path(settings.BASE_DIR) / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
COMPOSE = DEPLOY / "compose"
K8S_VERSION = "1.33.0"  # the oldest version the manifests promise to run on
# The process kinds the product needs (README "Processes and scaling") and what serves them.
COMPOSE_SERVICES = {
    "caddy",
    "web1",
    "web2",
    "sfu",
    "transcriber",
    "celery",
    "beat",
    "redis",
    "postgres",
    "coturn",
}
COMMANDS = {
    "web": "daphne",
    "sfu": "runsfu",
    "transcriber": "runtranscriber",
    "celery": "worker",
    "beat": "beat",
}


def manifests() -> list[tuple[Path, dict[str, Any]]]:
    out = []
    for path in sorted(KUBERNETES.glob("*.yaml")):
        out += [(path, doc) for doc in yaml.safe_load_all(path.read_text()) if doc]
    return out


def by_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for _, doc in manifests() if doc["kind"] == kind}


def container(doc: dict[str, Any]) -> dict[str, Any]:
    [c] = doc["spec"]["template"]["spec"]["containers"]
    return c


class KubernetesManifestTests(SimpleTestCase):
    def test_every_manifest_passes_kubernetes_validate_strictly(self) -> None:
        docs = manifests()
        self.assertGreaterEqual(len(docs), 15)
        for path, doc in docs:
            with self.subTest(file=path.name, kind=doc["kind"], name=doc["metadata"]["name"]):
                kubernetes_validate.validate(doc, K8S_VERSION, strict=True)

    def test_the_validator_refuses_a_broken_manifest(self) -> None:
        web = by_kind("Deployment")["web"]
        broken = json.loads(json.dumps(web))
        broken["spec"]["replicas"] = "two"
        with self.assertRaises(kubernetes_validate.ValidationError):
            kubernetes_validate.validate(broken, K8S_VERSION, strict=True)

    def test_each_process_kind_runs_with_probes_and_requests(self) -> None:
        workloads = {**by_kind("Deployment"), **by_kind("DaemonSet")}
        for name, word in COMMANDS.items():
            with self.subTest(name):
                c = container(workloads[name])
                self.assertIn(word, c["command"])
                self.assertIn("requests", c["resources"])
                if name != "beat":  # beat serves nothing to probe
                    self.assertIn("readinessProbe", c)
                    self.assertIn("livenessProbe", c)
        self.assertEqual(container(workloads["web"])["readinessProbe"]["httpGet"]["path"], "/readyz")

    def test_web_and_transcriber_autoscale(self) -> None:
        targets = {h["spec"]["scaleTargetRef"]["name"] for h in by_kind("HorizontalPodAutoscaler").values()}
        self.assertEqual(targets, {"web", "transcriber"})

    def test_the_sfu_is_on_the_host_network_with_its_port_range(self) -> None:
        sfu = by_kind("DaemonSet")["sfu"]
        self.assertTrue(sfu["spec"]["template"]["spec"]["hostNetwork"])
        config = by_kind("ConfigMap")["meet-config"]["data"]
        self.assertLess(int(config["SFU_PORT_MIN"]), int(config["SFU_PORT_MAX"]))

    def test_the_ingress_routes_to_web_and_a_secret_example_exists(self) -> None:
        [ingress] = by_kind("Ingress").values()
        backend = ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]
        self.assertEqual(backend["name"], "web")
        self.assertIn("meet-secrets", by_kind("Secret"))
        secret_keys = set(by_kind("Secret")["meet-secrets"]["stringData"])
        self.assertTrue({"SECRET_KEY", "DATABASE_URL", "REDIS_URL", "TURN_SECRET"} <= secret_keys)


class ComposeFileTests(SimpleTestCase):
    def setUp(self) -> None:
        self.text = (COMPOSE / "docker-compose.yml").read_text()
        self.compose = yaml.safe_load(self.text)
        self.schema = json.loads((COMPOSE / "schema" / "compose-spec.json").read_text())

    def test_it_passes_the_compose_spec_schema(self) -> None:
        jsonschema.Draft7Validator(self.schema).validate(self.compose)

    def test_the_schema_refuses_a_broken_file(self) -> None:
        broken = json.loads(json.dumps(self.compose))
        broken["services"]["sfu"]["network_mode"] = ["host"]
        with self.assertRaises(jsonschema.ValidationError):
            jsonschema.Draft7Validator(self.schema).validate(broken)

    def test_every_service_the_product_needs_is_there(self) -> None:
        services = self.compose["services"]
        self.assertTrue(COMPOSE_SERVICES <= set(services), COMPOSE_SERVICES - set(services))
        commands = {name: " ".join(s.get("command", [])) for name, s in services.items()}
        for kind, word in COMMANDS.items():
            self.assertTrue(any(word in c for c in commands.values()), f"no {kind} process")
        self.assertEqual(services["sfu"]["network_mode"], "host")
        self.assertIn("SFU_PORT_MIN", services["sfu"]["environment"])

    def test_every_variable_it_uses_is_in_env_example(self) -> None:
        used = set(re.findall(r"\$\{([A-Z0-9_]+)", self.text))
        example = COMPOSE / ".env.example"
        defined = {
            line.split("=", 1)[0]
            for line in example.read_text().splitlines()
            if "=" in line and not line.startswith("#")
        }
        self.assertTrue(used, "no variables found")
        self.assertEqual(used - defined, set())


class CaddyfileTests(SimpleTestCase):
    def test_caddy_validates_it(self) -> None:
        caddy = shutil.which("caddy")
        self.assertIsNotNone(caddy, "caddy is not installed (deploy/system-packages.sh installs it)")
        env = {**os.environ, "MEET_DOMAIN": "meet.example.com", "ACME_EMAIL": "ops@example.com"}
        result = subprocess.run(
            [caddy, "validate", "--adapter", "caddyfile", "--config", str(COMPOSE / "Caddyfile")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertEqual(result.returncode, 0, result.stderr[-2000:])
        text = (COMPOSE / "Caddyfile").read_text()
        self.assertIn("web1:8000 web2:8000", text)
        self.assertIn("health_uri /healthz", text)
