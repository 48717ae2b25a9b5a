"""--what-if: the spec grammar and its refusals, matching with the scan, and the deltas the capacity model's
own arithmetic gives (worked out here by hand from the formulas core/capacity.py cites, not by re-running it)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subnet_monitor.core.capacity import CniSettings, InstanceNetworkLimits
from subnet_monitor.core.cni import AddonState, Source, VpcCniAddon, resolve_cni
from subnet_monitor.core.config import ConfigError
from subnet_monitor.core.consumers import EKS_FARGATE, SubnetAddressUse
from subnet_monitor.core.headroom import CapacityInputs, plan_capacity
from subnet_monitor.core.models import (
    AsgSpec,
    Discovery,
    EcsServiceSpec,
    FargateProfileSpec,
    NodegroupSpec,
    Role,
    ScanError,
    SubnetState,
    Workload,
)
from subnet_monitor.core.whatif import KINDS, WhatIf, apply, parse_what_if, parse_what_ifs, resolve

# DescribeInstanceTypes: m5.large has 3 ENIs of 10 IPv4 addresses and 2 vCPUs.
M5_LARGE = InstanceNetworkLimits("m5.large", vcpus=2, max_enis=3, ipv4_per_eni=10)
# Secondary-IP mode, WARM_ENI_TARGET 1, at maxPods 3 x (10 - 1) + 2 = 29: 27 pods on 3 ENIs, and the warm ENI
# would be a 4th, past the instance's 3: every ENI full, 3 x 10 = 30 addresses a node.
PER_NODE_SECONDARY = 3 * 10
# Prefix mode: managed node groups cap maxPods at 110 below 30 vCPUs; 108 pods (110 - 2 host-network) need
# ceil(108 / 16) = 7 /28 prefixes; the warm prefix would be an 8th, but growth stops at maxPods (ceil(110 / 16)
# = 7 prefixes): 7 prefixes on the primary ENI, 1 + 7 x 16 = 113 addresses a node.
PER_NODE_PREFIX = 1 + 7 * 16
NODES = Workload("eks-nodegroup", "platform", "general")
SERVICE = Workload("ecs-service", "payments", "api")
ASG = Workload("ecs-capacity-provider", "payments", "payments-ec2")
PROFILE = Workload("eks-fargate-profile", "platform", "serverless")
ROLE = {NODES: Role.EKS_NODE, SERVICE: Role.ECS_TASK, ASG: Role.ECS_INSTANCE, PROFILE: Role.EKS_FARGATE}


def estate(specs: dict[Workload, Any], *, available: int = 4000, **kwargs: Any) -> CapacityInputs:
    """One /20 subnet in one zone (no spread to follow) holding the given workloads; EKS cluster platform found."""
    found = Discovery(specs=dict(specs), cni_addons={"platform": VpcCniAddon(AddonState.ABSENT)})
    for workload in specs:
        found.add("subnet-a", ROLE[workload], workload)
    found.ecs_trunking = kwargs.pop("trunking", False)
    cni = kwargs.pop("cni", CniSettings())
    return CapacityInputs(
        discovery=found,
        states={"subnet-a": SubnetState("subnet-a", "vpc-1", "az-a", "10.0.0.0/20", available)},
        address_use=kwargs.pop("address_use", {}),
        instance_addresses={},
        instance_limits={"m5.large": M5_LARGE},
        cni={"platform": cni},
        cni_resolved={"platform": resolve_cni("platform", cni, None)},
        **kwargs,
    )


def need(inputs: CapacityInputs) -> int:
    needed = plan_capacity(inputs)["subnet-a"].ips_needed_at_max
    assert needed is not None
    return needed


def what_if(inputs: CapacityInputs, *specs: str) -> tuple[int, int]:
    """The subnet's need at maximum before and after the what-ifs."""
    after, _ = apply(resolve(parse_what_ifs(specs), inputs.discovery), inputs)
    return need(inputs), need(after)


def nodegroup(max_size: int) -> NodegroupSpec:
    return NodegroupSpec(subnets=("subnet-a",), max_size=max_size, desired=0, instance_types=("m5.large",))


# --- the grammar -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "parsed"),
    [
        ("nodegroup:prod/general:maxSize=20", ("nodegroup", "prod", "general", "maxSize", 20)),
        ("service:payments/api:maxTasks=0", ("service", "payments", "api", "maxTasks", 0)),
        # An Auto Scaling group's name may hold colons and slashes: the setting is after the last colon.
        ("asg:eks-a:b/c:maxSize=7", ("asg", "", "eks-a:b/c", "maxSize", 7)),
        ("fargate:prod/serverless:maxPods=60", ("fargate", "prod", "serverless", "maxPods", 60)),
        ("cluster:prod:prefixDelegation=false", ("cluster", "prod", "prod", "prefixDelegation", False)),
        ("cluster:prod:warmIpTarget=5", ("cluster", "prod", "prod", "warmIpTarget", 5)),
    ],
)
def test_each_kind_parses(spec: str, parsed: tuple[Any, ...]) -> None:
    what = parse_what_if(spec)
    assert (what.kind, what.cluster, what.name, what.key, what.value) == parsed
    assert what.spec == spec


@pytest.mark.parametrize(
    ("spec", "reason"),
    [
        ("nodegroup:prod/ng:maxSize=-1", "maxSize must be a whole number, 0 or more"),
        ("nodegroup:prod/ng:maxSize=1.5", "maxSize must be a whole number, 0 or more"),
        ("nodegroup:prod/ng:maxSize=", "maxSize must be a whole number, 0 or more"),
        ("nodepool:prod/ng:maxSize=3", "kind 'nodepool' is not one of nodegroup, service, asg, fargate, cluster"),
        ("nodegroup:prodng:maxSize=3", "target 'prodng' must be CLUSTER/NAME"),
        ("fargate:prod:maxPods=3", "target 'prod' must be CLUSTER/PROFILE"),
        ("nodegroup:prod/:maxSize=3", "name '' is not a valid EKS managed node group name"),
        ("nodegroup:pr od/ng:maxSize=3", "cluster 'pr od' is not a valid ECS/EKS cluster name"),
        ("nodegroup:prod/ng:maxsize=3", "key 'maxsize' is not one nodegroup takes; known: maxSize"),
        ("cluster:prod:maxSize=3", "key 'maxSize' is not one cluster takes; known: prefixDelegation, warmIpTarget"),
        ("cluster:prod:prefixDelegation=yes", "prefixDelegation must be true or false"),
        ("cluster:prod/x:warmIpTarget=1", "cluster 'prod/x' is not a valid EKS cluster name"),
        ("nodegroup:prod/ng:maxSize", "'maxSize' must be KEY=VALUE"),
        ("nodegroup:prod/ng", "has no :KEY=VALUE after the target (nodegroup:CLUSTER/NAME:KEY=VALUE)"),
        ("asg::maxSize=3", "has no NAME between the colons"),
        ("nodegroup", "must be KIND:TARGET:KEY=VALUE"),
    ],
)
def test_a_bad_spec_is_refused_naming_the_part(spec: str, reason: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_what_if(spec)
    assert (refused.value.key, refused.value.value) == ("--what-if", spec)
    assert refused.value.reason.startswith(reason)


def test_the_same_setting_twice_is_refused() -> None:
    with pytest.raises(ConfigError, match="sets maxSize of nodegroup prod/ng a second time"):
        parse_what_ifs(["nodegroup:prod/ng:maxSize=3", "nodegroup:prod/other:maxSize=3", "nodegroup:prod/ng:maxSize=4"])


@given(st.text())
def test_any_text_parses_or_is_refused_under_the_flag(text: str) -> None:
    try:
        parsed = parse_what_if(text)
    except ConfigError as error:
        assert (error.key, error.value) == ("--what-if", text)
    else:
        assert parsed.spec == text and parsed.kind in KINDS and parsed.key in KINDS[parsed.kind].keys


names = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,20}", fullmatch=True)


@given(
    kind=st.sampled_from(["nodegroup", "service", "fargate"]), cluster=names, name=names, value=st.integers(0, 10**6)
)
def test_every_well_formed_spec_parses_to_its_parts(kind: str, cluster: str, name: str, value: int) -> None:
    key = next(iter(KINDS[kind].keys))
    assert parse_what_if(f"{kind}:{cluster}/{name}:{key}={value}") == WhatIf(
        f"{kind}:{cluster}/{name}:{key}={value}", kind, cluster, name, key, value
    )


# --- matched with what the scan found ------------------------------------------------------------------


def test_a_workload_the_scan_did_not_find_is_refused_naming_what_it_found() -> None:
    found = estate({NODES: nodegroup(3)}).discovery
    with pytest.raises(ConfigError) as refused:
        resolve(parse_what_ifs(["nodegroup:platform/genral:maxSize=9"]), found)
    assert refused.value.reason == "the scan found no EKS managed node group platform/genral (found: platform/general)"
    with pytest.raises(ConfigError, match="the scan found no EKS cluster analytics"):
        resolve(parse_what_ifs(["cluster:analytics:warmEniTarget=0"]), found)


def test_a_cluster_the_scan_could_not_read_says_why() -> None:
    found = Discovery(errors=[ScanError("eks", "analytics", "AccessDeniedException: not authorized")])
    with pytest.raises(ConfigError) as refused:
        resolve(parse_what_ifs(["nodegroup:analytics/spark:maxSize=9"]), found)
    assert refused.value.reason.endswith("; cluster analytics could not be read: AccessDeniedException: not authorized")


def test_an_auto_scaling_group_is_named_by_its_own_name_or_its_capacity_provider() -> None:
    found = estate({ASG: AsgSpec(("subnet-a",), max_size=4, instances=0, name="payments-asg")}).discovery
    by_group, by_provider = resolve(parse_what_ifs(["asg:payments-asg:maxSize=8", "asg:payments-ec2:maxSize=9"]), found)
    assert by_group.workload == by_provider.workload == ASG


# --- the deltas are the capacity model's arithmetic ----------------------------------------------------


@given(max_size=st.integers(0, 40), more=st.integers(0, 40))
def test_raising_a_node_group_adds_its_per_node_addresses_for_each_node(max_size: int, more: int) -> None:
    inputs = estate({NODES: nodegroup(max_size)})
    before, after = what_if(inputs, f"nodegroup:platform/general:maxSize={max_size + more}")
    assert (before, after) == (max_size * PER_NODE_SECONDARY, (max_size + more) * PER_NODE_SECONDARY)


def test_prefix_delegation_on_plans_each_node_at_its_prefixes() -> None:
    inputs = estate({NODES: nodegroup(6)})
    assert what_if(inputs, "cluster:platform:prefixDelegation=true") == (6 * PER_NODE_SECONDARY, 6 * PER_NODE_PREFIX)


def test_prefix_delegation_off_holds_even_where_the_enis_show_prefixes() -> None:
    # GIVEN /28 prefixes on the subnet's ENIs: the scan plans prefix mode whatever the settings say
    prefixes = SubnetAddressUse("subnet-a", prefixes=("10.0.0.16/28",))
    inputs = estate({NODES: nodegroup(6)}, address_use={"subnet-a": prefixes})
    # THEN the what-if asks about nodes running without them: secondary-IP mode
    assert what_if(inputs, "cluster:platform:prefixDelegation=false") == (6 * PER_NODE_PREFIX, 6 * PER_NODE_SECONDARY)


def test_warm_ip_target_changes_what_each_node_holds() -> None:
    # GIVEN maxPods 20: 18 pods; WARM_ENI_TARGET 1 keeps 2 full ENIs + 1 warm = 3 x 10 = 30 a node
    inputs = estate({NODES: nodegroup(4)}, cni=CniSettings(max_pods=20))
    # WHEN WARM_IP_TARGET=1: 18 pods + 1 = 19 secondaries on ceil(19 / 9) = 3 ENIs: 19 + 3 = 22 a node
    assert what_if(inputs, "cluster:platform:warmIpTarget=1") == (4 * 30, 4 * 22)


def test_cluster_settings_are_reported_as_the_what_ifs() -> None:
    inputs = estate({NODES: nodegroup(2)})
    after, [change] = apply(resolve(parse_what_ifs(["cluster:platform:warmEniTarget=0"]), inputs.discovery), inputs)
    cni = plan_capacity(after)["subnet-a"].workload_details[NODES]["cni"]["settings"]
    assert cni["warm_eni_target"] == {"value": 0, "source": str(Source.WHAT_IF)}
    assert change.to_dict() == {
        "spec": "cluster:platform:warmEniTarget=0",
        "workload": {"kind": "eks-cluster", "cluster": "platform", "name": "platform"},
        "setting": "warmEniTarget",
        "from": 1,
        "to": 0,
    }


def test_a_service_needs_its_deployment_peak_less_what_runs() -> None:
    # maximumPercent 200: floor(N x 200 / 100) tasks at the peak, one address each, 3 running now
    inputs = estate({SERVICE: EcsServiceSpec(("subnet-a",), desired=4, running=3)})
    assert what_if(inputs, "service:payments/api:maxTasks=10") == (4 * 2 - 3, 10 * 2 - 3)


@pytest.mark.parametrize(("trunking", "per_instance"), [(False, 1), (True, 2)])
def test_an_auto_scaling_group_needs_one_address_an_instance_two_with_trunking(
    trunking: bool, per_instance: int
) -> None:
    inputs = estate({ASG: AsgSpec(("subnet-a",), max_size=5, instances=2, name="asg")}, trunking=trunking)
    assert what_if(inputs, "asg:asg:maxSize=12") == ((5 - 2) * per_instance, (12 - 2) * per_instance)


def test_a_fargate_profile_needs_one_address_a_pod() -> None:
    # 7 Fargate pods now; no maximum configured: planned at its current size
    inputs = estate(
        {PROFILE: FargateProfileSpec(("subnet-a",))},
        address_use={"subnet-a": SubnetAddressUse("subnet-a", consumers={EKS_FARGATE: 7})},
    )
    after, [change] = apply(
        resolve(parse_what_ifs(["fargate:platform/serverless:maxPods=30"]), inputs.discovery), inputs
    )
    assert (need(inputs), need(after)) == (0, 30 - 7)
    assert (change.before, change.after) == (None, 30)


def test_a_name_that_is_one_group_and_another_provider_is_refused() -> None:
    other = Workload("ecs-capacity-provider", "batch", "payments-asg")
    found = estate({ASG: AsgSpec(("subnet-a",), max_size=4, instances=0, name="payments-asg")}).discovery
    found.specs[other] = AsgSpec(("subnet-a",), max_size=2, instances=0, name="batch-asg")
    with pytest.raises(ConfigError) as refused:
        resolve(parse_what_ifs(["asg:payments-asg:maxSize=8"]), found)
    assert refused.value.reason == "names 2 capacity providers' groups: batch/payments-asg, payments/payments-ec2"
