"""Reads side by side give the sequential scan's results: the same reports, the same errors in the
same order, and one failing cluster still costs only its own part."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from subnet_monitor.aws import batching, eks
from subnet_monitor.aws.clients import AwsClients
from subnet_monitor.core.config import ScanConfig
from subnet_monitor.render.text import to_json
from subnet_monitor.scan import ScanOutcome, run_scan
from tests.moto_estate import ROLE_ARN, Vpc

CLUSTERS = 2 * batching.READ_WORKERS + 3  # more than two pools' worth
FAILING = "cluster-07"


def many_clusters(vpc: Vpc) -> dict[str, list[str]]:
    """EKS clusters each with a control-plane subnet and two node groups, and ECS clusters each with a
    service; the subnets of each cluster by name."""
    subnets: dict[str, list[str]] = {}
    for number in range(CLUSTERS):
        name = f"cluster-{number:02d}"
        control, *nodes = (vpc.subnet(prefix=27) for _ in range(3))
        vpc.eks_cluster(name, [control])
        for index, subnet in enumerate(nodes):
            vpc.eks.create_nodegroup(
                clusterName=name,
                nodegroupName=f"group-{index}",
                nodeRole=ROLE_ARN,
                subnets=[subnet],
                instanceTypes=["m5.large"],
                scalingConfig={"minSize": 0, "maxSize": 2 + number % 3, "desiredSize": 0},
            )
        service = vpc.subnet(prefix=27)
        vpc.ecs_cluster(f"ecs-{name}")
        vpc.ecs_service(f"ecs-{name}", "api", [service])
        subnets[name] = [control, *nodes, service]
    return subnets


def deny_describe_cluster(clients: AwsClients, name: str) -> None:
    """DescribeCluster of ``name`` is refused, as IAM refuses it (AccessDeniedException)."""

    def deny(params: dict[str, Any], **_: Any) -> None:
        if params.get("name") == name:
            message = f"not authorized to perform: eks:DescribeCluster on resource: cluster/{name}"
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": message}}, "DescribeCluster")

    clients.eks.meta.events.register("before-parameter-build.eks.DescribeCluster", deny)


def scan(clients: AwsClients) -> ScanOutcome:
    return run_scan(clients, ScanConfig(), publish=False)


def test_one_failing_cluster_among_many_costs_only_its_own_subnets_as_a_sequential_scan_would(
    aws: boto3.Session, clients: AwsClients, vpc: Vpc, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN 23 EKS and 23 ECS clusters, and a role that may not describe one of the EKS clusters
    subnets = many_clusters(vpc)
    deny_describe_cluster(clients, FAILING)

    # WHEN scanned with reads side by side, and again one read at a time
    concurrent = scan(clients)
    monkeypatch.setattr(batching, "READ_WORKERS", 1)
    monkeypatch.setattr(eks, "NESTED_READ_WORKERS", 1)
    sequential = scan(clients)

    # THEN only the failing cluster's own subnets are missing (its ECS twin is still there) ...
    found = {report.subnet_id for report in concurrent.reports}
    lost = set(subnets[FAILING][:3])
    assert found == {s for cluster in subnets.values() for s in cluster} - lost
    # ... its failure is the one error, naming it
    assert [(e.source, e.target) for e in concurrent.errors] == [("eks", FAILING)]
    assert "eks:DescribeCluster" in concurrent.errors[0].message
    # ... and the reports and errors are the sequential scan's, in the same order
    assert to_json(concurrent.reports) == to_json(sequential.reports)
    assert concurrent.errors == sequential.errors


def test_a_node_group_that_fails_stops_its_cluster_where_a_loop_would(
    aws: boto3.Session, clients: AwsClients, vpc: Vpc, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN many clusters, and DescribeNodegroup refused for the first node group of one of them
    subnets = many_clusters(vpc)

    def deny(params: dict[str, Any], **_: Any) -> None:
        if (params.get("clusterName"), params.get("nodegroupName")) == (FAILING, "group-0"):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "denied"}}, "DescribeNodegroup")

    clients.eks.meta.events.register("before-parameter-build.eks.DescribeNodegroup", deny)

    # WHEN scanned side by side, and one read at a time
    concurrent = scan(clients)
    monkeypatch.setattr(batching, "READ_WORKERS", 1)
    monkeypatch.setattr(eks, "NESTED_READ_WORKERS", 1)
    sequential = scan(clients)

    # THEN the cluster keeps what was read before the failure (its control-plane subnet) and loses its
    # node groups, the one that failed and the one after it, which a loop would not have reached
    found = {report.subnet_id for report in concurrent.reports}
    assert found == {s for cluster in subnets.values() for s in cluster} - set(subnets[FAILING][1:3])
    assert [(e.source, e.target, e.message) for e in concurrent.errors] == [
        (
            "eks",
            FAILING,
            "An error occurred (AccessDeniedException) when calling the DescribeNodegroup operation: denied",
        )
    ]
    assert to_json(concurrent.reports) == to_json(sequential.reports)
    assert concurrent.errors == sequential.errors
