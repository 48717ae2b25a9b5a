"""Plan files: the example parses (JSON and YAML alike), bad values are refused naming their key."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from subnet_monitor.core.capacity import max_pods
from subnet_monitor.core.config import ConfigError
from subnet_monitor.design.plan import KNOWN_INSTANCE_TYPES, load_plan, parse_plan

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "plan.json"

# amazon-eks-ami templates/shared/runtime/eni-max-pods.txt, the value of every built-in type.
ENI_MAX_PODS = {
    "t3.medium": 17,
    "t3.large": 35,
    "t3.xlarge": 58,
    "t3.2xlarge": 58,
    "m5.large": 29,
    "m5.xlarge": 58,
    "m5.2xlarge": 58,
    "m5.4xlarge": 234,
    "m5.8xlarge": 234,
    "m5.12xlarge": 234,
    "m5.16xlarge": 737,
    "m5.24xlarge": 737,
    "m6i.large": 29,
    "m6i.xlarge": 58,
    "m6i.2xlarge": 58,
    "m6i.4xlarge": 234,
    "m6g.large": 29,
    "m6g.xlarge": 58,
    "m6g.2xlarge": 58,
    "m7i.large": 29,
    "m7i.xlarge": 58,
    "m7i.2xlarge": 58,
    "m7g.large": 29,
    "m7g.xlarge": 58,
    "m7g.2xlarge": 58,
    "c5.large": 29,
    "c5.xlarge": 58,
    "c5.2xlarge": 58,
    "c5.4xlarge": 234,
    "c5a.2xlarge": 58,
    "c6i.large": 29,
    "c6i.xlarge": 58,
    "c6i.2xlarge": 58,
    "c7g.xlarge": 58,
    "r5.large": 29,
    "r5.xlarge": 58,
    "r5.2xlarge": 58,
    "r6i.large": 29,
    "r6i.xlarge": 58,
    "r6i.2xlarge": 58,
    "g5.xlarge": 58,
}


def example() -> dict[str, Any]:
    return json.loads(EXAMPLE.read_text())


def test_built_in_instance_types_give_the_published_max_pods() -> None:
    assert {name: max_pods(limits, prefix_delegation=False) for name, limits in KNOWN_INSTANCE_TYPES.items()} == (
        ENI_MAX_PODS
    )


def test_the_example_plan_parses() -> None:
    plan = load_plan(EXAMPLE)
    assert set(plan.vpcs) == {"prod-eu"}
    assert plan.vpcs["prod-eu"].cidrs == ("10.20.0.0/16", "100.64.0.0/16")
    assert len(plan.subnets) == 16
    assert plan.subnets["public-a"].public and plan.subnets["public-a"].vpc == "prod-eu"
    [eks] = plan.eks_clusters
    assert eks.cni.prefix_delegation and eks.daemonset_pods_per_node == 2 and eks.service_ipv4_cidr is None
    assert plan.ecs_trunking and plan.safety_margin_percent == 20


def test_yaml_and_json_plans_are_the_same_plan(tmp_path: Path) -> None:
    # GIVEN the example written as YAML
    target = tmp_path / "plan.yaml"
    target.write_text(yaml.safe_dump(example()))
    # THEN it reads back as the same plan
    assert load_plan(target) == load_plan(EXAMPLE)


def _with(change: Any) -> dict[str, Any]:
    document = copy.deepcopy(example())
    change(document)
    return document


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(colour="blue"), "colour: 'blue' is not a known key"),
        (lambda d: d.update(vpcs=[]), "vpcs: [] must be a non-empty list"),
        (lambda d: d["subnets"][0].update(cidr="10.20.0.0/33"), "subnets[0].cidr: '10.20.0.0/33' is not an IPv4 CIDR"),
        (lambda d: d["subnets"][0].update(cidr="10.20.0.0/29"), "subnets[0].cidr: '10.20.0.0/29' must be /16 to /28"),
        (lambda d: d["subnets"][1].update(name="public-a"), "subnets[1].name: 'public-a' is used twice"),
        (lambda d: d["subnets"][0].update(vpc="dev"), "subnets[0].vpc: 'dev' is not a VPC of the plan"),
        (
            lambda d: d["subnets"][0]["otherConsumers"].update(printer=1),
            "subnets[0].otherConsumers.printer: 1 is not a consumer category",
        ),
        (
            lambda d: d["ecsClusters"][0]["services"][0].update(subnets=["nowhere"]),
            "ecsClusters[0].services[0].subnets[0]: 'nowhere' is not a subnet of the plan",
        ),
        (
            lambda d: d["ecsClusters"][0]["services"][0].update(maximumPercent=50),
            "ecsClusters[0].services[0].maximumPercent: 50 must be a whole number, 100 or more",
        ),
        (
            lambda d: d["eksClusters"][0]["nodegroups"][0].update(instanceTypes=["x9.huge"]),
            "eksClusters[0].nodegroups[0].instanceTypes[0]: 'x9.huge' has unknown network limits",
        ),
        (
            lambda d: d["eksClusters"][0]["cni"].update(warmPrefixTarget=-1),
            "eksClusters[0].cni.warmPrefixTarget: -1 must be a whole number, 0 or more",
        ),
        (
            lambda d: d["eksClusters"][0].update(serviceIpv4Cidr="ten"),
            "eksClusters[0].serviceIpv4Cidr: 'ten' is not an IPv4 CIDR",
        ),
        (lambda d: d.update(safetyMarginPercent=-5), "safetyMarginPercent: -5 must be a number of percent"),
        (lambda d: d.update(peeredCidrs={"dc": "nope"}), "peeredCidrs.dc: 'nope' is not an IPv4 CIDR"),
        (lambda d: d.pop("subnets"), "subnets: None is required"),
        (lambda d: d["vpcs"][0].update(cidrs=["10.20.0.0/16", "x"]), "vpcs[0].cidrs[1]: 'x' is not an IPv4 CIDR"),
        (
            lambda d: d["eksClusters"][0].update(vpc="dev"),
            "eksClusters[0].vpc: 'dev' is not a VPC of the plan",
        ),
        (
            lambda d: d["eksClusters"][0]["nodegroups"][0].update(maxSize=2.5),
            "eksClusters[0].nodegroups[0].maxSize: 2.5 must be a whole number, 0 or more",
        ),
        (lambda d: d["subnets"][0].update(public="yes"), "subnets[0].public: 'yes' must be true or false"),
    ],
)
def test_bad_values_are_refused_naming_the_key(change: Any, message: str) -> None:
    with pytest.raises(ConfigError) as refused:
        parse_plan(_with(change))
    assert message in str(refused.value)


def test_instance_types_of_the_plan_extend_the_built_in_ones() -> None:
    document = _with(
        lambda d: (
            d.update(instanceTypes={"x9.huge": {"vcpus": 8, "maxEnis": 4, "ipv4PerEni": 15}}),
            d["eksClusters"][0]["nodegroups"][0].update(instanceTypes=["x9.huge"]),
        )
    )
    plan = parse_plan(document)
    assert max_pods(plan.instance_limits["x9.huge"], prefix_delegation=False) == 58


@pytest.mark.parametrize(("suffix", "content"), [(".json", "{"), (".yaml", "a: [")])
def test_unreadable_files_are_named(tmp_path: Path, suffix: str, content: str) -> None:
    target = tmp_path / f"plan{suffix}"
    target.write_text(content)
    with pytest.raises(ConfigError, match="is not valid"):
        load_plan(target)


def test_a_long_refused_value_is_cut_in_the_message() -> None:
    # GIVEN a service whose subnets are one long string instead of a list
    document = _with(lambda d: d["ecsClusters"][0]["services"][0].update(subnets="ecs-tasks-a " * 40))
    # THEN the message names the key and shows the start of the value only
    with pytest.raises(ConfigError) as refused:
        parse_plan(document)
    message = str(refused.value)
    assert message.startswith("ecsClusters[0].services[0].subnets: 'ecs-tasks-a ecs-tasks-a")
    assert "… must be a non-empty list of subnet names" in message and len(message) < 160


def test_the_schema_key_is_accepted_and_ignored() -> None:
    with_schema = _with(lambda d: d.update({"$schema": "https://example.com/plan.schema.json"}))
    without = _with(lambda d: d.pop("$schema"))
    # THEN the plan is the same plan, whatever the schema address
    assert parse_plan(with_schema).model_copy(update={"schema_ref": ""}) == parse_plan(without)
