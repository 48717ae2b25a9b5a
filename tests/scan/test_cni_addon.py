"""The VPC CNI settings read from the cluster's vpc-cni add-on (eks:DescribeAddon), end to end on moto.

moto has no DescribeAddon: tests/conftest.py's ``vpc_cni_addons`` answers it with the documented shape
(fixtures/vpc_cni_addon.py, https://docs.aws.amazon.com/eks/latest/APIReference/API_DescribeAddon.html).
"""

from __future__ import annotations

import json
from typing import Any

from fixtures.vpc_cni_addon import VpcCniAddons
from subnet_monitor.aws.clients import AwsClients
from subnet_monitor.core.config import ScanConfig
from subnet_monitor.scan import ScanOutcome, run_scan
from tests.moto_estate import ROLE_ARN, Vpc

PREFIX_ON = json.dumps({"env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}})


def cluster_with_nodegroup(vpc: Vpc, name: str) -> str:
    nodes = vpc.subnet(prefix=22)
    vpc.eks_cluster(name, [vpc.subnet()])
    vpc.eks.create_nodegroup(
        clusterName=name,
        nodegroupName="general",
        nodeRole=ROLE_ARN,
        subnets=[nodes],
        instanceTypes=["m5.large"],
        scalingConfig={"minSize": 0, "maxSize": 2, "desiredSize": 0},
    )
    return nodes


def nodegroup(outcome: ScanOutcome, subnet_id: str) -> dict[str, Any]:
    report = next(r for r in outcome.reports if r.subnet_id == subnet_id)
    [workload] = report.to_dict()["workloads"]
    return workload


def settings(workload: dict[str, Any]) -> dict[str, tuple[Any, str]]:
    return {name: (s["value"], s["source"]) for name, s in workload["cni"]["settings"].items()}


def test_prefix_delegation_set_on_the_addon_puts_the_node_group_in_prefix_mode(
    clients: AwsClients, vpc: Vpc, vpc_cni_addons: VpcCniAddons
) -> None:
    # GIVEN a cluster whose vpc-cni add-on enables prefix delegation, and no cni config block
    nodes = cluster_with_nodegroup(vpc, "platform")
    vpc_cni_addons.install("platform", "v1.19.2-eksbuild.1", PREFIX_ON)

    # WHEN scanned
    outcome = run_scan(clients, ScanConfig(), publish=False)

    # THEN the headroom is in prefix mode: an m5.large at 110 pods holds 7 /28 prefixes on 1 ENI (113)
    assert outcome.errors == []
    report = next(r for r in outcome.reports if r.subnet_id == nodes)
    assert report.capacity.ips_needed_at_max == 2 * 113
    workload = nodegroup(outcome, nodes)
    # AND the report says where each setting came from
    assert workload["cni"]["addon"] == {"state": "installed", "version": "v1.19.2-eksbuild.1"}
    assert settings(workload) == {
        "prefix_delegation": (True, "addon"),
        "warm_eni_target": (1, "default"),
        "warm_ip_target": (None, "default"),
        "minimum_ip_target": (None, "default"),
        "warm_prefix_target": (1, "addon"),
        "custom_networking": (False, "default"),
    }


def test_the_config_block_overrides_the_addon_key_by_key(
    clients: AwsClients, vpc: Vpc, vpc_cni_addons: VpcCniAddons
) -> None:
    # GIVEN the add-on enables prefix delegation with WARM_IP_TARGET 5, and the config block forces it off
    nodes = cluster_with_nodegroup(vpc, "platform")
    vpc_cni_addons.install(
        "platform",
        "v1.19.2-eksbuild.1",
        json.dumps({"env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_IP_TARGET": "5"}}),
    )
    config = ScanConfig.from_env(ScanConfig.from_mapping({"cni": {"platform": {"prefixDelegation": False}}}).to_env())

    # WHEN scanned (with the config as the collector reads it from its environment)
    outcome = run_scan(clients, config, publish=False)

    # THEN prefix delegation is off (secondary IPs: 27 pods + 5 warm = 30 > 27 slots, so 3 full ENIs, 30),
    # and the add-on's WARM_IP_TARGET still counts
    assert outcome.errors == []
    assert next(r for r in outcome.reports if r.subnet_id == nodes).capacity.ips_needed_at_max == 2 * 30
    found = settings(nodegroup(outcome, nodes))
    assert found["prefix_delegation"] == (False, "config")
    assert found["warm_ip_target"] == (5, "addon")


def test_no_addon_is_a_self_managed_cni_on_the_defaults(clients: AwsClients, vpc: Vpc) -> None:
    # GIVEN a cluster without a vpc-cni add-on (DescribeAddon: ResourceNotFoundException)
    nodes = cluster_with_nodegroup(vpc, "platform")

    # WHEN scanned
    outcome = run_scan(clients, ScanConfig(), publish=False)

    # THEN that is no error, and every setting is the CNI default, said as such
    assert outcome.errors == []
    workload = nodegroup(outcome, nodes)
    assert workload["cni"]["addon"] == {"state": "absent", "version": None}
    assert {source for _, source in settings(workload).values()} == {"default"}
    assert settings(workload)["prefix_delegation"] == (False, "default")


def test_a_denied_addon_read_is_a_scan_error_of_that_cluster_only(
    clients: AwsClients, vpc: Vpc, vpc_cni_addons: VpcCniAddons
) -> None:
    # GIVEN two clusters; reading one's add-on is denied, the other's enables prefix delegation
    denied = cluster_with_nodegroup(vpc, "denied")
    fine = cluster_with_nodegroup(vpc, "fine")
    vpc_cni_addons.denied.add("denied")
    vpc_cni_addons.install("fine", "v1.19.2-eksbuild.1", PREFIX_ON)

    # WHEN scanned
    outcome = run_scan(clients, ScanConfig(), publish=False)

    # THEN the denied read is a scan error, and that cluster's settings are assumed defaults, marked unknown
    [error] = outcome.errors
    assert (error.source, error.target) == ("eks", "denied DescribeAddon vpc-cni")
    assert "AccessDeniedException" in error.message
    workload = nodegroup(outcome, denied)
    assert workload["cni"]["addon"] == {"state": "unread", "version": None}
    assert {source for _, source in settings(workload).values()} == {"unknown"}
    # AND the other cluster is read as configured
    assert settings(nodegroup(outcome, fine))["prefix_delegation"] == (True, "addon")


def test_an_upgrade_that_drops_prefix_delegation_shows_in_the_report(
    clients: AwsClients, vpc: Vpc, vpc_cni_addons: VpcCniAddons
) -> None:
    # GIVEN a cluster on prefix delegation from its add-on
    nodes = cluster_with_nodegroup(vpc, "platform")
    vpc_cni_addons.install("platform", "v1.18.6-eksbuild.1", PREFIX_ON)
    before = settings(nodegroup(run_scan(clients, ScanConfig(), publish=False), nodes))

    # WHEN the add-on is updated with configuration values that no longer set it
    vpc_cni_addons.install("platform", "v1.19.2-eksbuild.1", None)
    after = nodegroup(run_scan(clients, ScanConfig(), publish=False), nodes)

    # THEN the report's value and source change with it
    assert before["prefix_delegation"] == (True, "addon")
    assert settings(after)["prefix_delegation"] == (False, "default")
    assert after["cni"]["addon"]["version"] == "v1.19.2-eksbuild.1"


def test_unreadable_configuration_values_are_a_finding(
    clients: AwsClients, vpc: Vpc, vpc_cni_addons: VpcCniAddons
) -> None:
    # GIVEN an add-on whose WARM_PREFIX_TARGET is not a number
    nodes = cluster_with_nodegroup(vpc, "platform")
    vpc_cni_addons.install("platform", "v1.19.2-eksbuild.1", json.dumps({"env": {"WARM_PREFIX_TARGET": "lots"}}))

    # WHEN scanned
    outcome = run_scan(clients, ScanConfig(), publish=False)

    # THEN the scan goes on, the setting is the default, and a finding names the value
    report = next(r for r in outcome.reports if r.subnet_id == nodes)
    [finding] = [f for f in report.capacity.findings if f.code == "cni.unreadable-addon-configuration"]
    assert finding.subject == "platform"
    assert "env.WARM_PREFIX_TARGET = 'lots' is not a whole number" in finding.message
    assert settings(nodegroup(outcome, nodes))["warm_prefix_target"] == (1, "default")
