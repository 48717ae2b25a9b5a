"""examples/kubernetes/: the exporter's Deployment, Service, ServiceMonitor and IAM policies hang together
(the container's args are a valid ``serve`` command line, every port and selector meets its counterpart)
and the IAM policy grants the scan's read actions, the same as the stack's collector, and nothing else."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.collector import (
    ECS_CLUSTER_CONDITIONED_ACTIONS,
    ECS_SCOPED_ACTIONS,
    EKS_SCOPED_ACTIONS,
    UNSCOPED_READ_ACTIONS,
)
from subnet_monitor.cli import build_parser
from subnet_monitor.cli.serve import DEFAULT_PORT
from subnet_monitor.core.durations import parse_duration

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "kubernetes"
# Kinds and the API groups/versions that serve them: core v1, apps/v1, and the Prometheus Operator's CRD.
# https://kubernetes.io/docs/reference/kubernetes-api/ ;
# https://prometheus-operator.dev/docs/api-reference/api/#monitoring.coreos.com/v1.ServiceMonitor
API_VERSIONS = {
    "ServiceAccount": "v1",
    "Deployment": "apps/v1",
    "Service": "v1",
    "ServiceMonitor": "monitoring.coreos.com/v1",
}
SCAN_READ_ACTIONS = {
    *UNSCOPED_READ_ACTIONS,
    *ECS_CLUSTER_CONDITIONED_ACTIONS,
    *(action for actions in ECS_SCOPED_ACTIONS.values() for action in actions),
    *(action for actions in EKS_SCOPED_ACTIONS.values() for action in actions),
}


@pytest.fixture(scope="module")
def objects() -> dict[str, dict[str, Any]]:
    """Every object of the YAML files, by kind (one of each)."""
    found: dict[str, dict[str, Any]] = {}
    for path in sorted(EXAMPLES.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            assert document["kind"] not in found, f"{path.name}: a second {document['kind']}"
            found[document["kind"]] = document
    return found


def test_the_manifests_are_the_four_kinds_at_their_api_versions_in_one_namespace(objects) -> None:
    assert {kind: o["apiVersion"] for kind, o in objects.items()} == API_VERSIONS
    assert len({o["metadata"]["namespace"] for o in objects.values()}) == 1


def test_the_container_runs_serve_with_flags_the_cli_accepts_on_the_port_it_exposes(objects) -> None:
    pod = objects["Deployment"]["spec"]["template"]["spec"]
    [container] = pod["containers"]
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert container["command"] == ["subnet-monitor"]
    assert "subnet-monitor" in scripts
    args = build_parser().parse_args(container["args"])
    assert args.command == "serve"
    assert args.port == DEFAULT_PORT
    parse_duration(args.interval, flag="--interval")
    [port] = container["ports"]
    assert port["containerPort"] == args.port
    assert pod["serviceAccountName"] == objects["ServiceAccount"]["metadata"]["name"]
    for probe in ("readinessProbe", "livenessProbe"):
        assert container[probe]["httpGet"] == {"path": "/metrics", "port": port["name"]}


def test_the_service_and_the_service_monitor_reach_the_pods_metrics_port(objects) -> None:
    pod_template = objects["Deployment"]["spec"]["template"]
    [container] = pod_template["spec"]["containers"]
    [container_port] = container["ports"]
    service = objects["Service"]
    [service_port] = service["spec"]["ports"]
    assert service["spec"]["selector"].items() <= pod_template["metadata"]["labels"].items()
    assert (
        objects["Deployment"]["spec"]["selector"]["matchLabels"].items() <= pod_template["metadata"]["labels"].items()
    )
    assert service_port["targetPort"] == container_port["name"]
    assert service_port["port"] == container_port["containerPort"]
    monitor = objects["ServiceMonitor"]["spec"]
    assert monitor["selector"]["matchLabels"].items() <= service["metadata"]["labels"].items()
    [endpoint] = monitor["endpoints"]
    assert (endpoint["port"], endpoint["path"]) == (service_port["name"], "/metrics")


def test_the_iam_policy_grants_the_scans_reads_and_nothing_else() -> None:
    policy = json.loads((EXAMPLES / "iam-policy.json").read_text())
    statements = policy["Statement"]
    assert all(s["Effect"] == "Allow" for s in statements)
    granted = [action for s in statements for action in s["Action"]]
    assert sorted(granted) == sorted(SCAN_READ_ACTIONS)
    # The ECS and EKS actions that take a resource are scoped to its ARNs, as in the stack.
    for service, scoped in (("ecs", ECS_SCOPED_ACTIONS), ("eks", EKS_SCOPED_ACTIONS)):
        for resource_type, actions in scoped.items():
            [statement] = [s for s in statements if set(s["Action"]) == set(actions)]
            assert statement["Resource"] == f"arn:aws:{service}:*:*:{resource_type}/*"


def test_the_pod_identity_trust_policy_lets_only_the_exporters_service_account_assume_the_role(objects) -> None:
    """https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html"""
    [statement] = json.loads((EXAMPLES / "pod-identity-trust-policy.json").read_text())["Statement"]
    assert statement["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(statement["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    account = objects["ServiceAccount"]["metadata"]
    assert statement["Condition"]["StringEquals"] == {
        "aws:RequestTag/kubernetes-namespace": account["namespace"],
        "aws:RequestTag/kubernetes-service-account": account["name"],
    }
