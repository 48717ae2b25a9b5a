"""The vpc-cni add-on's configuration values, read as the CNI reads its environment (core.cni)."""

from __future__ import annotations

import pytest

from subnet_monitor.core.cni import AddonState, Source, VpcCniAddon, parse_addon_configuration, resolve_cni
from subnet_monitor.core.config import ScanConfig

YAML = """
env:
  ENABLE_PREFIX_DELEGATION: "True"
  WARM_IP_TARGET: "0"
  MINIMUM_IP_TARGET: 10
  AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG: true
"""


def test_yaml_values_read_like_the_cni_reads_them() -> None:
    # WHEN YAML configuration values are parsed (strconv.ParseBool spellings, bare YAML scalars, 0 = unset)
    values, problems = parse_addon_configuration(YAML)

    # THEN
    assert problems == []
    assert values == {
        "prefix_delegation": True,
        "warm_ip_target": None,
        "minimum_ip_target": 10,
        "custom_networking": True,
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"env": {"ENABLE_PREFIX_DELEGATION": "yes"}}', "env.ENABLE_PREFIX_DELEGATION = 'yes' is not true or false"),
        ('{"env": {"WARM_ENI_TARGET": "-1"}}', "env.WARM_ENI_TARGET = '-1' is not a whole number"),
        ('{"env": ["WARM_ENI_TARGET"]}', "configurationValues.env is not an object"),
        ('"just a string"', "configurationValues is not an object"),
        ("env: [unclosed", "configurationValues is neither JSON nor YAML"),
    ],
)
def test_what_does_not_parse_is_a_problem_not_a_crash(text: str, problem: str) -> None:
    values, problems = parse_addon_configuration(text)
    assert values == {}
    [found] = problems
    assert found.startswith(problem)


def test_empty_configuration_values_set_nothing() -> None:
    assert parse_addon_configuration(None) == ({}, [])
    assert parse_addon_configuration("  ") == ({}, [])


def test_config_keys_stay_overrides_through_the_collector_environment() -> None:
    # GIVEN a config block that sets only maxPods and warmEniTarget
    config = ScanConfig.from_mapping({"cni": {"prod": {"maxPods": 58, "warmEniTarget": 0}}})

    # WHEN it goes through the environment and is laid over an add-on that sets prefix delegation
    block = ScanConfig.from_env(config.to_env()).cni["prod"]
    addon = VpcCniAddon(AddonState.INSTALLED, "v1.19.2-eksbuild.1", '{"env": {"ENABLE_PREFIX_DELEGATION": "true"}}')
    resolved = resolve_cni("prod", block, addon)

    # THEN the keys the block sets win, the add-on's keys count, the rest are defaults
    assert (resolved.settings.max_pods, resolved.settings.warm_eni_target) == (58, 0)
    assert resolved.settings.prefix_delegation is True
    assert resolved.sources["warm_eni_target"] is Source.CONFIG
    assert resolved.sources["prefix_delegation"] is Source.ADDON
    assert resolved.sources["warm_prefix_target"] is Source.DEFAULT


def test_prefixes_on_the_enis_show_as_their_own_source() -> None:
    resolved = resolve_cni("prod", None, VpcCniAddon(AddonState.ABSENT))
    assert resolved.report(prefixes_seen=True)["settings"]["prefix_delegation"] == {"value": True, "source": "enis"}
