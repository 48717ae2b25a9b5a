"""The VPC CNI settings a cluster runs with, and where each one came from.

Pure: the EKS adapter hands in what ``eks:DescribeAddon(addonName="vpc-cni")`` returned
(:class:`VpcCniAddon`); this module parses its ``configurationValues`` and lays the ``cni`` config
block over it. Per setting, the first that has it wins:

1. the ``cni`` config block (source ``config``): an override, for self-managed CNIs or to force a value;
2. the managed ``vpc-cni`` add-on's configuration values (source ``addon``);
3. the CNI's defaults (source ``default``), or ``unknown`` when the add-on could not be read (the
   value is then the default, assumed; the read failure is a scan error).

The defaults assumed are those of the CNI README and the manifest EKS installs (``capacity``'s
``DEFAULT_*`` constants: ENABLE_PREFIX_DELEGATION false, WARM_ENI_TARGET 1, WARM_PREFIX_TARGET 1,
WARM_IP_TARGET and MINIMUM_IP_TARGET unset, AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG false). They have not
changed since v1.9.0 brought prefix delegation, older than any add-on version EKS still offers, so one
set serves every ``addonVersion``; the report carries the version beside them.
https://github.com/aws/amazon-vpc-cni-k8s/blob/master/README.md
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from enum import StrEnum
from typing import Any

from subnet_monitor.core.capacity import CniSettings
from subnet_monitor.core.findings import Finding, Severity

# DescribeAddon: "addon": {"addonName", "addonVersion", "configurationValues": "string", ...}
# https://docs.aws.amazon.com/eks/latest/APIReference/API_DescribeAddon.html
VPC_CNI_ADDON = "vpc-cni"
# "You can specify the configuration values in JSON or YAML format"; the vpc-cni add-on's schema
# (aws eks describe-addon-configuration --addon-name vpc-cni) puts aws-node's variables under "env",
# each a string, e.g. {"env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}}.
# https://docs.aws.amazon.com/eks/latest/userguide/cni-increase-ip-addresses-procedure.html
ADDON_CONFIGURATION_URL = "https://docs.aws.amazon.com/eks/latest/userguide/eks-add-ons.html"
ENV_KEY = "env"
# aws-node variable -> CniSettings field; custom networking is read and reported, not modelled here.
CUSTOM_NETWORKING = "custom_networking"
ENV_SETTINGS = {
    "ENABLE_PREFIX_DELEGATION": "prefix_delegation",
    "WARM_ENI_TARGET": "warm_eni_target",
    "WARM_IP_TARGET": "warm_ip_target",
    "MINIMUM_IP_TARGET": "minimum_ip_target",
    "WARM_PREFIX_TARGET": "warm_prefix_target",
    "AWS_VPC_K8S_CNI_CUSTOM_NETWORK_CFG": CUSTOM_NETWORKING,
}
BOOLEAN_SETTINGS = frozenset({"prefix_delegation", CUSTOM_NETWORKING})
# The CNI reads booleans with Go's strconv.ParseBool, which takes exactly these spellings.
# https://pkg.go.dev/strconv#ParseBool
TRUE_WORDS = frozenset({"1", "t", "T", "TRUE", "true", "True"})
FALSE_WORDS = frozenset({"0", "f", "F", "FALSE", "false", "False"})

UNREADABLE_ADDON_CONFIGURATION = "cni.unreadable-addon-configuration"


class AddonState(StrEnum):
    """What DescribeAddon said about the cluster's ``vpc-cni`` add-on."""

    INSTALLED = "installed"
    # ResourceNotFoundException: the CNI is self-managed (or another CNI); its settings are not readable.
    ABSENT = "absent"
    # The read failed (access denied, throttled): a scan error, and the settings are not known.
    UNREAD = "unread"


class Source(StrEnum):
    """Where the value of one setting in the report came from."""

    CONFIG = "config"
    ADDON = "addon"
    DEFAULT = "default"
    # The add-on could not be read: the value is the CNI default, assumed.
    UNKNOWN = "unknown"
    # Prefix delegation only: /28 prefixes on the node group's ENIs, whatever the settings say.
    ENIS = "enis"
    # A --what-if set it (core.whatif): the report is the estate as it would be, not as it is.
    WHAT_IF = "what-if"


@dataclass(frozen=True)
class VpcCniAddon:
    """The ``vpc-cni`` add-on of one cluster, as the adapter read it."""

    state: AddonState
    version: str | None = None
    configuration_values: str | None = None


@dataclass(frozen=True)
class ConfiguredCni(CniSettings):
    """A ``cni`` config block: the settings, and the keys (CniSettings field names) it sets.

    Only those keys override the add-on; the rest are the CNI defaults as placeholders."""

    keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ResolvedCni:
    """The settings a cluster runs with, per setting where it came from, and what went wrong reading them."""

    settings: CniSettings
    custom_networking: bool
    sources: Mapping[str, Source]
    addon: VpcCniAddon
    findings: tuple[Finding, ...] = ()

    def report(self, prefixes_seen: bool, custom_networking_seen: bool = False) -> dict[str, Any]:
        """The node-group workload's ``cni`` field (docs/reference/json-report.md).

        ``prefixes_seen``: the node group's subnets hold /28 prefixes; when the settings say no prefix
        delegation, the headroom model still runs in prefix mode and says so with source ``enis``.
        ``custom_networking_seen``: the cluster's nodes hold their pod ENIs in other subnets; likewise
        reported as custom networking with source ``enis`` when the settings say none.
        """
        values = {f.name: getattr(self.settings, f.name) for f in fields(CniSettings) if f.name in self.sources}
        values[CUSTOM_NETWORKING] = self.custom_networking
        settings = {name: {"value": values[name], "source": str(self.sources[name])} for name in self.sources}
        if prefixes_seen and not self.settings.prefix_delegation:
            settings["prefix_delegation"] = {"value": True, "source": str(Source.ENIS)}
        if custom_networking_seen and not self.custom_networking:
            settings[CUSTOM_NETWORKING] = {"value": True, "source": str(Source.ENIS)}
        return {"addon": {"state": str(self.addon.state), "version": self.addon.version}, "settings": settings}


def parse_addon_configuration(text: str | None) -> tuple[dict[str, Any], list[str]]:
    """The settings a ``vpc-cni`` add-on's ``configurationValues`` sets, and the problems found.

    ``text`` is JSON or YAML. Values are read as the CNI reads its environment: booleans with Go's
    ``strconv.ParseBool`` spellings, numbers as whole numbers; WARM_IP_TARGET and MINIMUM_IP_TARGET of 0
    or less mean unset (README). A value that does not parse, or a document that is not an object, is a
    problem and leaves the setting to the default; nothing raises.

    >>> parse_addon_configuration('{"env": {"ENABLE_PREFIX_DELEGATION": "true", "WARM_PREFIX_TARGET": "1"}}')
    ({'prefix_delegation': True, 'warm_prefix_target': 1}, [])
    """
    if not text or not text.strip():
        return {}, []
    document, problem = _load(text)
    if problem:
        return {}, [problem]
    if not isinstance(document, Mapping):
        return {}, ["configurationValues is not an object"]
    env = document.get(ENV_KEY, {})
    if not isinstance(env, Mapping):
        return {}, [f"configurationValues.{ENV_KEY} is not an object"]
    values: dict[str, Any] = {}
    problems = []
    for variable, name in ENV_SETTINGS.items():
        if variable not in env:
            continue
        value = _setting(name, env[variable])
        if value is _UNPARSABLE:
            problems.append(f"{ENV_KEY}.{variable} = {env[variable]!r} is not {_expected(name)}")
        else:
            values[name] = value
    return values, problems


def resolve_cni(cluster: str, configured: CniSettings | None, addon: VpcCniAddon | None) -> ResolvedCni:
    """Lay the config block over the add-on's configuration over the CNI defaults, per setting.

    ``configured`` is the cluster's ``cni`` block (a plain :class:`CniSettings` counts as setting every
    key); ``addon`` what DescribeAddon said, ``None`` when it was not asked (the cluster was not
    discovered as EKS: the config or the defaults, as before).
    """
    addon = addon or VpcCniAddon(AddonState.ABSENT)
    from_addon, problems = parse_addon_configuration(addon.configuration_values)
    config_keys = _config_keys(configured)
    fallback = Source.UNKNOWN if addon.state is AddonState.UNREAD else Source.DEFAULT
    names = [f.name for f in fields(CniSettings) if f.name in ENV_SETTINGS.values()] + [CUSTOM_NETWORKING]
    sources = {}
    chosen: dict[str, Any] = {}
    for name in names:
        if configured is not None and name in config_keys:
            sources[name], chosen[name] = Source.CONFIG, getattr(configured, name)
        elif name in from_addon:
            sources[name], chosen[name] = Source.ADDON, from_addon[name]
        else:
            sources[name] = fallback
    custom_networking = bool(chosen.pop(CUSTOM_NETWORKING, False))
    base = CniSettings(max_pods=configured.max_pods) if configured is not None else CniSettings()
    findings = tuple(
        Finding(
            code=UNREADABLE_ADDON_CONFIGURATION,
            severity=Severity.WARNING,
            subject=cluster,
            message=(
                f"EKS cluster {cluster}: the vpc-cni add-on's configuration values cannot be read ({problem}); "
                "the headroom uses the CNI's default for it"
            ),
            fix=(
                f"correct them (aws eks update-addon --cluster-name {cluster} --addon-name vpc-cni "
                "--configuration-values ...), or set the value in the cni config block"
            ),
            source=ADDON_CONFIGURATION_URL,
        )
        for problem in problems
    )
    return ResolvedCni(replace(base, **chosen), custom_networking, sources, addon, findings)


def _config_keys(configured: CniSettings | None) -> frozenset[str]:
    if configured is None:
        return frozenset()
    if isinstance(configured, ConfiguredCni):
        return configured.keys
    return frozenset(f.name for f in fields(CniSettings))


_UNPARSABLE = object()


def _setting(name: str, raw: Any) -> Any:
    # The add-on's schema asks for strings; a YAML author may write true or 1 bare: read those as the
    # CNI would read their text.
    text = str(raw).lower() if isinstance(raw, bool) else str(raw).strip()
    if name in BOOLEAN_SETTINGS:
        return True if text in TRUE_WORDS else False if text in FALSE_WORDS else _UNPARSABLE
    try:
        number = int(text)
    except ValueError:
        return _UNPARSABLE
    if name in ("warm_ip_target", "minimum_ip_target"):
        return number if number > 0 else None
    return number if number >= 0 else _UNPARSABLE


def _expected(name: str) -> str:
    return "true or false" if name in BOOLEAN_SETTINGS else "a whole number"


def _load(text: str) -> tuple[Any, str | None]:
    try:
        return json.loads(text), None
    except ValueError:
        pass
    try:
        # YAML needs PyYAML: the CLI installs it; the Lambda runtime does not have it.
        import yaml  # noqa: PLC0415
    except ImportError:
        return None, "configurationValues is YAML, and PyYAML is not installed where the scan runs"
    try:
        return yaml.safe_load(text), None
    except yaml.YAMLError as error:
        return None, f"configurationValues is neither JSON nor YAML ({str(error).splitlines()[0]})"
