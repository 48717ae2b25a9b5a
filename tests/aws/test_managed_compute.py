"""EKS Auto Mode and ECS Managed Instances, discovered through the real pipeline.

moto 5.2.5 returns no ``computeConfig`` from DescribeCluster and knows no ``managedInstancesProvider``:
the tests add the documented response shapes with botocore event hooks, in moto's answer.
- DescribeCluster ``cluster.computeConfig`` {enabled, nodePools, nodeRoleArn}:
  https://docs.aws.amazon.com/eks/latest/APIReference/API_ComputeConfigResponse.html
- DescribeCapacityProviders ``capacityProviders[].managedInstancesProvider`` {infrastructureRoleArn,
  instanceLaunchTemplate: {ec2InstanceProfileArn, networkConfiguration: {subnets, securityGroups}}},
  ``type`` MANAGED_INSTANCES and ``cluster``; the request's ``cluster`` "When specified, only capacity
  providers associated with this cluster are returned, including Amazon ECS Managed Instances capacity
  providers": the hook answers the managed provider only to a request naming its cluster.
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_DescribeCapacityProviders.html
  https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ManagedInstancesProvider.html
Auto Mode nodes carry ``eks:eks-cluster-name`` and ``eks:kubernetes-node-pool-name`` (the request tags
AmazonEKSComputePolicy requires of the instances EKS launches).
"""

from __future__ import annotations

import json
from typing import Any

from subnet_monitor.aws.clients import AwsClients
from subnet_monitor.core.models import SubnetReport
from tests.aws.test_discovery import scan, workloads
from tests.moto_estate import ROLE_ARN, Vpc

ACCOUNT = "123456789012"
AUTO_MODE = {"enabled": True, "nodePools": ["general-purpose", "system"], "nodeRoleArn": ROLE_ARN}


def _compute_config(clients: AwsClients, configs: dict[str, dict[str, Any]]) -> None:
    """DescribeCluster answers ``computeConfig`` for the clusters in ``configs``."""

    def add(parsed: dict[str, Any], **_: object) -> None:
        cluster = parsed.get("cluster", {})
        if cluster.get("name") in configs:
            cluster["computeConfig"] = configs[cluster["name"]]

    clients.eks.meta.events.register("after-call.eks.DescribeCluster", add)


def _managed_instances(clients: AwsClients, cluster: str, provider: str, subnets: list[str]) -> None:
    """``cluster`` has the Managed Instances capacity provider ``provider`` in ``subnets``."""
    asked: dict[str, Any] = {}

    def remember(params: dict[str, Any], **_: object) -> None:
        asked.clear()
        asked.update(json.loads(params["body"] or b"{}"))

    def add_provider(parsed: dict[str, Any], **_: object) -> None:
        for described in parsed.get("clusters", []):
            if described["clusterName"] == cluster:
                described["capacityProviders"] = [*described.get("capacityProviders", []), provider]

    def describe(parsed: dict[str, Any], **_: object) -> None:
        if provider not in asked.get("capacityProviders", []) or asked.get("cluster") != cluster:
            return
        parsed["failures"] = [f for f in parsed.get("failures", []) if not f.get("arn", "").endswith(provider)]
        parsed["capacityProviders"].append(
            {
                "capacityProviderArn": f"arn:aws:ecs:us-east-1:{ACCOUNT}:capacity-provider/{provider}",
                "name": provider,
                "cluster": cluster,
                "status": "ACTIVE",
                "type": "MANAGED_INSTANCES",
                "managedInstancesProvider": {
                    "infrastructureRoleArn": ROLE_ARN,
                    "instanceLaunchTemplate": {
                        "ec2InstanceProfileArn": f"arn:aws:iam::{ACCOUNT}:instance-profile/ecs-instance",
                        "networkConfiguration": {"subnets": subnets, "securityGroups": ["sg-0123456789abcdef0"]},
                    },
                    "propagateTags": "NONE",
                },
            }
        )

    clients.ecs.meta.events.register("after-call.ecs.DescribeClusters", add_provider)
    clients.ecs.meta.events.register("before-call.ecs.DescribeCapacityProviders", remember)
    clients.ecs.meta.events.register("after-call.ecs.DescribeCapacityProviders", describe)


def _codes(report: SubnetReport) -> dict[str, str]:
    return {f.code: f.severity.value for f in report.capacity.findings}


def test_auto_mode_node_pools_are_node_subnets_with_no_need_at_max(clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN an Auto Mode cluster (built-in node pools, cluster subnets cp_a and cp_b) with a node of its
    # general-purpose pool in cp_a and one of a custom pool in a subnet of its own; and a classic cluster
    # (computeConfig disabled) whose node group shares cp_b and has a subnet of its own
    cp_a, cp_b, gpu, classic_cp, classic_nodes = (vpc.subnet() for _ in range(5))
    vpc.eks_cluster("auto", [cp_a, cp_b])
    vpc.eks_cluster("classic", [classic_cp])
    vpc.eks.create_nodegroup(
        clusterName="classic",
        nodegroupName="general",
        nodeRole=ROLE_ARN,
        subnets=[classic_nodes, cp_b],
        instanceTypes=["m5.large"],
        scalingConfig={"minSize": 0, "maxSize": 4, "desiredSize": 0},
    )
    _compute_config(clients, {"auto": AUTO_MODE, "classic": {"enabled": False}})
    auto_tags = {"eks:eks-cluster-name": "auto", "kubernetes.io/cluster/auto": "owned"}
    vpc.instance(cp_a, {**auto_tags, "eks:kubernetes-node-pool-name": "general-purpose"})
    vpc.instance(gpu, {**auto_tags, "eks:kubernetes-node-pool-name": "gpu"})

    # WHEN scanned
    reports = scan(clients)

    # THEN the cluster's subnets carry its built-in node pools as eks-node, the custom pool's node brings
    # its subnet (as the node pool, not as a self-managed node)
    assert reports[cp_a].roles == ("eks-control-plane", "eks-node")
    assert workloads(reports[cp_a]) == {
        ("eks-cluster", "auto", "auto"),
        ("eks-auto-mode", "auto", "general-purpose"),
        ("eks-auto-mode", "auto", "system"),
    }
    assert reports[gpu].roles == ("eks-node",)
    assert workloads(reports[gpu]) == {("eks-auto-mode", "auto", "gpu")}
    # ...what their nodes hold now is counted, their need at max is absent and a finding says why
    for subnet in (cp_a, cp_b, gpu):
        report = reports[subnet].to_dict()
        assert "ips_needed_at_max" not in report and "scale_headroom" not in report
        assert _codes(reports[subnet])["headroom.auto-mode-unmodelled"] == "info"
        assert sum(report["consumers"].values()) == report["used_ips"]
    assert reports[gpu].to_dict()["consumers"].get("unattributed", 0) == 0  # the node's ENI, read
    # ...even where a classic node group's need is known (cp_b): never a figure as if the pods were absent
    assert "eks-nodegroup" in {w.kind for w in reports[cp_b].workloads}
    # AND the classic cluster is read as before: its own subnet has its need at max, no Auto Mode finding
    assert reports[classic_nodes].capacity.ips_needed_at_max is not None
    assert "headroom.auto-mode-unmodelled" not in _codes(reports[classic_nodes])
    assert {w.kind for r in (reports[classic_cp], reports[classic_nodes]) for w in r.workloads} == {
        "eks-cluster",
        "eks-nodegroup",
    }


def test_a_cluster_without_compute_config_ignores_auto_mode_tags(clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN a cluster without computeConfig (moto's answer) and an instance tagged as an Auto Mode node of it
    cp, tagged = vpc.subnet(), vpc.subnet()
    vpc.eks_cluster("classic", [cp])
    vpc.instance(tagged, {"eks:eks-cluster-name": "classic", "eks:kubernetes-node-pool-name": "general-purpose"})

    # WHEN scanned
    reports = scan(clients)

    # THEN nothing of Auto Mode is found: only the control plane's subnet, as before
    assert set(reports) == {cp}
    assert workloads(reports[cp]) == {("eks-cluster", "classic", "classic")}


def test_managed_instances_capacity_provider_subnets_are_instance_subnets(clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN an ECS cluster with a Managed Instances capacity provider in two subnets, and another cluster
    # with an awsvpc service
    mi_a, mi_b, web = vpc.subnet(az="us-east-1a"), vpc.subnet(az="us-east-1b"), vpc.subnet()
    vpc.ecs_cluster("orders")
    vpc.ecs_cluster("shop")
    vpc.ecs_service("shop", "web", [web])
    _managed_instances(clients, "orders", "orders-managed", [mi_a, mi_b])

    # WHEN scanned
    reports = scan(clients)

    # THEN its subnets are ecs-instance subnets with the capacity provider as workload; its need at max is
    # not known (the API gives no maximum) and a finding says so
    for subnet in (mi_a, mi_b):
        assert reports[subnet].roles == ("ecs-instance",)
        assert workloads(reports[subnet]) == {("ecs-capacity-provider", "orders", "orders-managed")}
        assert reports[subnet].capacity.ips_needed_at_max is None
        assert _codes(reports[subnet]) == {"headroom.managed-instances-unmodelled": "info"}
    # AND the other cluster's service keeps its need at max
    assert workloads(reports[web]) == {("ecs-service", "shop", "web")}
    assert reports[web].capacity.ips_needed_at_max is not None
    assert "headroom.managed-instances-unmodelled" not in _codes(reports[web])
