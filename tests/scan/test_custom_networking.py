"""VPC CNI custom networking end to end on moto: pod subnets found from the nodes' ENIs, pods counted there.

The estate is what custom networking looks like in EC2 (cni-custom-network.html): a secondary VPC CIDR
(100.64.0.0/16), node subnets and pod (ENIConfig) subnets in each zone, and nodes whose primary ENI holds
only their own address while their pod ENIs (description ``aws-K8S-<instance-id>``, tag
``node.k8s.amazonaws.com/instance_id``, as pkg/awsutils/awsutils.go names them) sit in the pod subnet of
their zone. moto 5.2.5 associates the secondary CIDR and attaches extra ENIs to an instance (shown in
DescribeInstances' ``NetworkInterfaces``); it does not launch a node group's instances, so the nodes are
run by hand with the tags EKS puts on them.
"""

from __future__ import annotations

import json
from typing import Any

from fixtures.vpc_cni_addon import VpcCniAddons
from subnet_monitor.aws.clients import AwsClients
from subnet_monitor.core.config import ScanConfig
from subnet_monitor.scan import ScanOutcome, run_scan
from tests.moto_estate import ROLE_ARN, Vpc

CLUSTER = "shop"
ZONES = ("us-east-1a", "us-east-1b")
# m5.large: 3 ENIs of 10 addresses. Custom networking leaves 2 ENIs for pods: 2 x 9 + 2 = 20 max pods
# (max-pods-calculator.sh --cni-custom-networking-enabled); a node at 18 pods holds 2 pod ENIs, full: 20.
POD_ADDRESSES_PER_NODE = 20
MAX_SIZE = 4


def node(vpc: Vpc, node_subnet: str, pod_subnet: str) -> str:
    """A managed node group's node under custom networking: its pod ENI (9 secondaries) in the pod subnet."""
    instance_id = vpc.instance(
        node_subnet,
        tags={f"kubernetes.io/cluster/{CLUSTER}": "owned", "eks:nodegroup-name": "general"},
    )
    eni = vpc.ec2.create_network_interface(
        SubnetId=pod_subnet,
        SecondaryPrivateIpAddressCount=9,
        Description=f"aws-K8S-{instance_id}",
        TagSpecifications=[
            {
                "ResourceType": "network-interface",
                "Tags": [{"Key": "node.k8s.amazonaws.com/instance_id", "Value": instance_id}],
            }
        ],
    )["NetworkInterface"]["NetworkInterfaceId"]
    vpc.ec2.attach_network_interface(NetworkInterfaceId=eni, InstanceId=instance_id, DeviceIndex=1)
    return instance_id


def custom_networking_estate(vpc: Vpc) -> dict[str, str]:
    vpc.ec2.associate_vpc_cidr_block(VpcId=vpc.vpc_id, CidrBlock="100.64.0.0/16")
    subnets = {
        "node-a": vpc.subnet(prefix=24, az=ZONES[0]),
        "node-b": vpc.subnet(prefix=24, az=ZONES[1]),
        # The pod subnet of zone a is small: 27 usable, 10 held by its node's pod ENI, 17 free.
        "pod-a": vpc.ec2.create_subnet(VpcId=vpc.vpc_id, CidrBlock="100.64.0.0/27", AvailabilityZone=ZONES[0])[
            "Subnet"
        ]["SubnetId"],
        "pod-b": vpc.ec2.create_subnet(VpcId=vpc.vpc_id, CidrBlock="100.64.32.0/19", AvailabilityZone=ZONES[1])[
            "Subnet"
        ]["SubnetId"],
    }
    vpc.eks_cluster(CLUSTER, [vpc.subnet(prefix=26, az=ZONES[0]), vpc.subnet(prefix=26, az=ZONES[1])])
    vpc.eks.create_nodegroup(
        clusterName=CLUSTER,
        nodegroupName="general",
        nodeRole=ROLE_ARN,
        subnets=[subnets["node-a"], subnets["node-b"]],
        instanceTypes=["m5.large"],
        scalingConfig={"minSize": 0, "maxSize": MAX_SIZE, "desiredSize": 2},
    )
    node(vpc, subnets["node-a"], subnets["pod-a"])
    node(vpc, subnets["node-b"], subnets["pod-b"])
    return subnets


def report(outcome: ScanOutcome, subnet_id: str) -> dict[str, Any]:
    return next(r for r in outcome.reports if r.subnet_id == subnet_id).to_dict()


def test_pod_subnets_are_discovered_and_hold_the_pods_headroom(clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN a cluster whose nodes hold their pod ENIs in pod subnets of a secondary CIDR
    subnets = custom_networking_estate(vpc)

    # WHEN scanned
    outcome = run_scan(clients, ScanConfig(), publish=False)

    # THEN the pod subnets are monitored, role eks-pod, with the node group as workload
    assert outcome.errors == []
    pod_a, pod_b = report(outcome, subnets["pod-a"]), report(outcome, subnets["pod-b"])
    node_a, node_b = report(outcome, subnets["node-a"]), report(outcome, subnets["node-b"])
    for pod in (pod_a, pod_b):
        assert pod["roles"] == ["eks-pod"]
        assert [(w["kind"], w["cluster"], w["name"]) for w in pod["workloads"]] == [
            ("eks-nodegroup", CLUSTER, "general")
        ]
        assert pod["consumers"] == {"eks_node_pod": 10}
    # AND the node subnets count one address a node (2 more nodes, one per zone)
    assert node_a["roles"] == node_b["roles"] == ["eks-node"]
    assert node_a["ips_needed_at_max"] == node_b["ips_needed_at_max"] == 1
    # AND the pod subnets count the pods: 4 nodes x 20, less the 20 the two pod ENIs hold, 30 a zone
    assert (MAX_SIZE * POD_ADDRESSES_PER_NODE - 2 * 10) // 2 == 30
    assert pod_a["ips_needed_at_max"] == pod_b["ips_needed_at_max"] == 30
    # AND the small pod subnet is the one short, not a node subnet
    assert [f["code"] for f in pod_a["finding_details"]] == ["headroom.short-at-max"]
    assert "node group shop/general's pods need 80 addresses" in pod_a["findings"][0]
    assert all(f["code"] != "headroom.short-at-max" for r in (node_a, node_b, pod_b) for f in r["finding_details"])
    # AND max pods use one ENI fewer, and the node group names its pod subnets and the evidence
    [workload] = node_a["workloads"]
    assert workload["max_pods_per_node"] == {"m5.large": {"secondary_ip": 20, "prefix": 110}}
    assert workload["pod_subnets"] == sorted([subnets["pod-a"], subnets["pod-b"]])
    assert workload["cni"]["settings"]["custom_networking"] == {"value": True, "source": "enis"}


def test_custom_networking_on_the_addon_without_pod_enis_says_the_pods_are_not_counted(
    clients: AwsClients, vpc: Vpc, vpc_cni_addons: VpcCniAddons
) -> None:
    # GIVEN a cluster whose vpc-cni add-on enables custom networking, and no node running yet
    nodes = vpc.subnet(prefix=24)
    vpc.eks_cluster(CLUSTER, [vpc.subnet(prefix=26)])
    vpc.eks.create_nodegroup(
        clusterName=CLUSTER,
        nodegroupName="general",
        nodeRole=ROLE_ARN,
        subnets=[nodes],
        instanceTypes=["m5.large"],
        scalingConfig={"minSize": 0, "maxSize": 3, "desiredSize": 0},
    )
    vpc_cni_addons.install(
        CLUSTER, "v1.19.2-eksbuild.1", json.dumps({"env": {"AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": "true"}})
    )

    # WHEN scanned
    outcome = run_scan(clients, ScanConfig(), publish=False)

    # THEN the node subnet counts the nodes' own addresses only, and a finding says where the pods are not
    node_report = report(outcome, nodes)
    assert node_report["ips_needed_at_max"] == 3
    assert "headroom.pod-subnets-unknown" in [f["code"] for f in node_report["finding_details"]]
    [workload] = node_report["workloads"]
    assert workload["max_pods_per_node"]["m5.large"]["secondary_ip"] == 20
    assert workload["cni"]["settings"]["custom_networking"] == {"value": True, "source": "addon"}


def test_a_subnet_tagged_kubernetes_io_role_cni_is_a_pod_subnet_of_the_clusters_in_its_vpc(
    clients: AwsClients, vpc: Vpc
) -> None:
    # GIVEN a cluster and, in its VPC, a subnet tagged for enhanced subnet discovery
    vpc.eks_cluster(CLUSTER, [vpc.subnet(prefix=26)])
    tagged = vpc.subnet(prefix=24, tags={"kubernetes.io/role/cni": "1"})

    # WHEN scanned
    outcome = run_scan(clients, ScanConfig(), publish=False)

    # THEN it is monitored as a pod subnet of that cluster
    tagged_report = report(outcome, tagged)
    assert tagged_report["roles"] == ["eks-pod"]
    assert tagged_report["workloads"] == [
        {"kind": "eks-tagged-subnet", "cluster": CLUSTER, "name": "kubernetes.io/role/cni"}
    ]
