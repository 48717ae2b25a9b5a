"""What-if on the live estate: ``--what-if KIND:TARGET:KEY=VALUE``, parsed, matched with what the scan
found, and laid over the capacity model's inputs. Pure.

The scan reads AWS once; the capacity model (:func:`~subnet_monitor.core.headroom.plan_capacity`) runs
twice over the same reads: *before*, as read, and *after*, with the changes. A what-if changes a
maximum or a VPC CNI setting, never what the subnets hold now, so what moves is each subnet's need at
maximum (``ips_needed_at_max``, ``scale_headroom``), the findings, and the free /28 blocks only where a
subnet starts or stops handing out prefixes. ``status`` is the verdict (core/verdict.py), so it moves
when the headroom or the free /28s it weighs do (a subnet that no longer fits its maximum turns WARNING).

Values mean what the same setting means in AWS:

- ``nodegroup:CLUSTER/NAME:maxSize=N``: the managed node group's ``scalingConfig.maxSize``
  (https://docs.aws.amazon.com/eks/latest/APIReference/API_NodegroupScalingConfig.html);
- ``service:CLUSTER/NAME:maxTasks=N``: the service's Application Auto Scaling ``MaxCapacity``
  (https://docs.aws.amazon.com/autoscaling/application/APIReference/API_RegisterScalableTarget.html),
  reached, as the scan plans it, with ``maximumPercent`` on top during a rolling deployment;
- ``asg:NAME:maxSize=N``: a capacity provider's Auto Scaling group ``MaxSize``
  (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_UpdateAutoScalingGroup.html), NAME
  the group's name or its capacity provider's;
- ``fargate:CLUSTER/PROFILE:maxPods=N``: the config's ``fargateMaxPods`` for that profile;
- ``cluster:NAME:prefixDelegation=true|false``, ``warmIpTarget=N``, ``warmEniTarget=N``,
  ``warmPrefixTarget=N``, ``minimumIpTarget=N``: the cluster's VPC CNI variables
  ``ENABLE_PREFIX_DELEGATION``, ``WARM_IP_TARGET`` … (0 for the IP targets means unset, as in the CNI
  README, https://github.com/aws/amazon-vpc-cni-k8s/blob/master/README.md). The after-state is the
  settled one: every node runs with them, as after the nodes are replaced (nodes keep the prefixes or
  addresses they hold; https://docs.aws.amazon.com/eks/latest/best-practices/prefix-mode-linux.html).
  ``prefixDelegation`` holds as given, even where the ENIs show /28 prefixes today.

A what-if whose workload (or cluster) the scan did not find is refused: the answer would be the
estate unchanged, which reads like "no effect".
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from subnet_monitor.core.cni import ResolvedCni, Source, resolve_cni
from subnet_monitor.core.config import CLUSTER_NAME_PATTERN, ConfigError
from subnet_monitor.core.headroom import CapacityInputs
from subnet_monitor.core.models import (
    KIND_ECS_CAPACITY_PROVIDER,
    KIND_ECS_SERVICE,
    KIND_EKS_CLUSTER,
    KIND_EKS_FARGATE_PROFILE,
    KIND_EKS_NODEGROUP,
    AsgSpec,
    Discovery,
    EcsServiceSpec,
    NodegroupSpec,
    Status,
    SubnetReport,
    Workload,
)

FLAG = "--what-if"
SHAPE = "must be KIND:TARGET:KEY=VALUE, e.g. nodegroup:prod/general:maxSize=20"
WHOLE = re.compile(r"[0-9]+")
BOOLEANS = {"true": True, "false": False}
# A name of many workloads shown in a refusal: enough to spot a typo, not a page.
NAMES_SHOWN = 5


@dataclass(frozen=True)
class Kind:
    """One kind of what-if: its target's shape, the workload kind it changes, the keys it takes (as
    typed → the field they set: a spec field, ``fargate_max_pods``, or a ``CniSettings`` field) and
    which of them are true/false."""

    target: str
    workload_kind: str
    what: str
    keys: Mapping[str, str]
    booleans: frozenset[str] = frozenset()

    @property
    def qualified(self) -> bool:
        """The target is CLUSTER/NAME (else one name)."""
        return "/" in self.target


KINDS: Mapping[str, Kind] = {
    "nodegroup": Kind("CLUSTER/NAME", KIND_EKS_NODEGROUP, "EKS managed node group", {"maxSize": "max_size"}),
    "service": Kind("CLUSTER/NAME", KIND_ECS_SERVICE, "awsvpc ECS service", {"maxTasks": "max_tasks"}),
    "asg": Kind("NAME", KIND_ECS_CAPACITY_PROVIDER, "capacity provider Auto Scaling group", {"maxSize": "max_size"}),
    "fargate": Kind("CLUSTER/PROFILE", KIND_EKS_FARGATE_PROFILE, "EKS Fargate profile", {"maxPods": "max_pods"}),
    "cluster": Kind(
        "NAME",
        KIND_EKS_CLUSTER,
        "EKS cluster",
        {
            "prefixDelegation": "prefix_delegation",
            "warmIpTarget": "warm_ip_target",
            "warmEniTarget": "warm_eni_target",
            "warmPrefixTarget": "warm_prefix_target",
            "minimumIpTarget": "minimum_ip_target",
        },
        booleans=frozenset({"prefixDelegation"}),
    ),
}


@dataclass(frozen=True)
class WhatIf:
    """One ``--what-if`` as typed (``spec``) and parsed. ``cluster`` is empty for ``asg``; for
    ``cluster`` it is the cluster and ``name`` too."""

    spec: str
    kind: str
    cluster: str
    name: str
    key: str
    value: int | bool

    @property
    def target(self) -> str:
        return f"{self.cluster}/{self.name}" if KINDS[self.kind].qualified else self.name


def parse_what_if(spec: str) -> WhatIf:
    """``KIND:TARGET:KEY=VALUE`` parsed.

    >>> parse_what_if("nodegroup:prod/general:maxSize=20").value
    20

    Raises
    ------
    ConfigError
        keyed ``--what-if``, the value the spec, the reason naming the part that is wrong.
    """

    def refuse(reason: str) -> ConfigError:
        return ConfigError(FLAG, spec, reason)

    kind_name, sep, rest = spec.partition(":")
    if not sep:
        raise refuse(SHAPE)
    kind = KINDS.get(kind_name)
    if kind is None:
        raise refuse(f"kind {kind_name!r} is not one of {', '.join(KINDS)}")
    # The setting is after the last colon: an Auto Scaling group's name may hold colons itself.
    target, sep, setting = rest.rpartition(":")
    if not sep:
        raise refuse(f"has no :KEY=VALUE after the target ({kind_name}:{kind.target}:KEY=VALUE)")
    cluster, name = _target(kind_name, kind, target, refuse)
    key, sep, raw = setting.partition("=")
    if not sep:
        raise refuse(f"{setting!r} must be KEY=VALUE")
    if key not in kind.keys:
        raise refuse(f"key {key!r} is not one {kind_name} takes; known: {', '.join(kind.keys)}")
    if key in kind.booleans:
        if raw not in BOOLEANS:
            raise refuse(f"{key} must be true or false")
        value: int | bool = BOOLEANS[raw]
    else:
        if not WHOLE.fullmatch(raw):
            raise refuse(f"{key} must be a whole number, 0 or more")
        try:
            value = int(raw)
        except ValueError:  # more digits than Python converts (sys.get_int_max_str_digits)
            raise refuse(f"{key} must be a whole number, 0 or more, of fewer digits") from None
    return WhatIf(spec, kind_name, cluster, name, key, value)


def _target(kind_name: str, kind: Kind, target: str, refuse: Any) -> tuple[str, str]:
    if not kind.qualified:
        if kind_name == "cluster" and not CLUSTER_NAME_PATTERN.fullmatch(target):
            raise refuse(f"cluster {target!r} is not a valid EKS cluster name")
        if not target:
            raise refuse(f"has no {kind.target} between the colons")
        return (target, target) if kind_name == "cluster" else ("", target)
    cluster, slash, name = target.partition("/")
    if not slash:
        raise refuse(f"target {target!r} must be {kind.target}")
    if not CLUSTER_NAME_PATTERN.fullmatch(cluster):
        raise refuse(f"cluster {cluster!r} is not a valid ECS/EKS cluster name")
    # EKS node group and Fargate profile names and ECS service names: letters, digits, - and _.
    if not CLUSTER_NAME_PATTERN.fullmatch(name):
        raise refuse(f"name {name!r} is not a valid {kind.what} name (letters, digits, - and _)")
    return cluster, name


def parse_what_ifs(specs: Iterable[str]) -> tuple[WhatIf, ...]:
    """Every ``--what-if`` parsed; the same key of the same target given twice is refused.

    Raises
    ------
    ConfigError
        for the first spec refused (:func:`parse_what_if`), or the second of a pair.
    """
    parsed: dict[tuple[str, str, str], WhatIf] = {}
    for spec in specs:
        what_if = parse_what_if(spec)
        slot = (what_if.kind, what_if.target, what_if.key)
        if slot in parsed:
            raise ConfigError(FLAG, spec, f"sets {what_if.key} of {what_if.kind} {what_if.target} a second time")
        parsed[slot] = what_if
    return tuple(parsed.values())


@dataclass(frozen=True)
class Target:
    """A what-if matched with the scan: the workload it names and those whose need it changes (for a
    cluster, its managed node groups)."""

    what_if: WhatIf
    workload: Workload
    changes: frozenset[Workload]


def resolve(what_ifs: Sequence[WhatIf], discovery: Discovery) -> tuple[Target, ...]:
    """Each what-if's workload, as the scan found it.

    Raises
    ------
    ConfigError
        keyed ``--what-if``, naming the workload the scan did not find (and, when the scan could not
        read its cluster, why).
    """
    return tuple(_resolve(what_if, discovery) for what_if in what_ifs)


def _resolve(what_if: WhatIf, discovery: Discovery) -> Target:
    kind = KINDS[what_if.kind]
    if what_if.kind == "cluster":
        if what_if.cluster in discovery.cni_addons:
            nodegroups = {
                w
                for w, spec in discovery.specs.items()
                if isinstance(spec, NodegroupSpec) and w.cluster == what_if.name
            }
            return Target(what_if, Workload(KIND_EKS_CLUSTER, what_if.name, what_if.name), frozenset(nodegroups))
        raise _not_found(what_if, kind, sorted(discovery.cni_addons), discovery)
    candidates = sorted(w for w in discovery.specs if w.kind == kind.workload_kind)
    if what_if.kind == "asg":
        # A Managed Instances capacity provider has no Auto Scaling group (its spec is unbounded).
        groups = {w: spec for w in candidates if isinstance(spec := discovery.specs[w], AsgSpec)}
        candidates = sorted(groups)
        matched = [w for w, spec in groups.items() if what_if.name in (w.name, spec.name)]
        if len(matched) > 1:
            raise ConfigError(FLAG, what_if.spec, f"names {len(matched)} capacity providers' groups: {_names(matched)}")
    else:
        matched = [w for w in candidates if (w.cluster, w.name) == (what_if.cluster, what_if.name)]
    if not matched:
        raise _not_found(what_if, kind, [_label(w, kind) for w in candidates], discovery)
    return Target(what_if, matched[0], frozenset(matched))


def _label(workload: Workload, kind: Kind) -> str:
    return f"{workload.cluster}/{workload.name}" if kind.qualified else workload.name


def _names(workloads: Sequence[Workload]) -> str:
    return ", ".join(f"{w.cluster}/{w.name}" for w in workloads)


def _not_found(what_if: WhatIf, kind: Kind, found: Sequence[str], discovery: Discovery) -> ConfigError:
    more = len(found) - NAMES_SHOWN
    shown = ", ".join(found[:NAMES_SHOWN]) + (f" and {more} more" if more > 0 else "")
    reason = f"the scan found no {kind.what} {what_if.target}" + (f" (found: {shown})" if found else "")
    unread = [e for e in discovery.errors if what_if.cluster and e.target == what_if.cluster]
    if unread:
        reason += f"; cluster {what_if.cluster} could not be read: {unread[0].message}"
    return ConfigError(FLAG, what_if.spec, reason)


def cni_after(targets: Sequence[Target], cni: Mapping[str, ResolvedCni]) -> dict[str, ResolvedCni]:
    """Each cluster's VPC CNI settings with the ``cluster:`` what-ifs laid over them (source
    ``what-if``); the other clusters as they are."""
    after = dict(cni)
    for target in targets:
        what_if = target.what_if
        if what_if.kind != "cluster":
            continue
        current = after.get(what_if.name) or resolve_cni(what_if.name, None, None)
        field = KINDS["cluster"].keys[what_if.key]
        after[what_if.name] = replace(
            current,
            settings=replace(current.settings, **{field: what_if.value}),
            sources={**current.sources, field: Source.WHAT_IF},
        )
    return after


@dataclass(frozen=True)
class Change:
    """A what-if as applied: the workload, the setting, and the value the model planned with before
    (``None``: not set, e.g. a Fargate profile planned at its current size) and after."""

    spec: str
    workload: Workload
    setting: str
    before: int | bool | None
    after: int | bool
    changes: frozenset[Workload]

    def to_dict(self) -> dict[str, Any]:
        return {
            "spec": self.spec,
            "workload": self.workload.to_dict(),
            "setting": self.setting,
            "from": self.before,
            "to": self.after,
        }


def apply(targets: Sequence[Target], inputs: CapacityInputs) -> tuple[CapacityInputs, tuple[Change, ...]]:
    """The capacity model's inputs after the what-ifs, and each change with its value before."""
    specs = dict(inputs.discovery.specs)
    fargate = dict(inputs.fargate_max_pods)
    changes = []
    for target in targets:
        what_if, workload = target.what_if, target.workload
        if what_if.kind == "cluster":
            resolved = inputs.cni_resolved.get(what_if.name)
            settings = resolved.settings if resolved is not None else resolve_cni(what_if.name, None, None).settings
            before: int | bool | None = getattr(settings, KINDS["cluster"].keys[what_if.key])
        elif what_if.kind == "fargate":
            before = fargate.get(what_if.target)
            fargate[what_if.target] = int(what_if.value)
        else:
            spec = specs[workload]
            before = _planned(spec)
            field = KINDS[what_if.kind].keys[what_if.key]
            specs[workload] = replace(spec, **{field: int(what_if.value)})  # type: ignore[arg-type]
        changes.append(Change(what_if.spec, workload, what_if.key, before, what_if.value, target.changes))
    cni = cni_after(targets, inputs.cni_resolved)
    given = {t.what_if.name for t in targets if t.what_if.kind == "cluster" and t.what_if.key == "prefixDelegation"}
    after = replace(
        inputs,
        discovery=replace(inputs.discovery, specs=specs),
        cni={**inputs.cni, **{cluster: resolved.settings for cluster, resolved in cni.items()}},
        cni_resolved=cni,
        fargate_max_pods=fargate,
        prefix_delegation_given=inputs.prefix_delegation_given | given,
    )
    return after, tuple(changes)


def _planned(spec: Any) -> int:
    """The maximum the model plans a spec at: a service without a scalable target at its desired count."""
    if isinstance(spec, EcsServiceSpec):
        return spec.max_tasks if spec.max_tasks is not None else spec.desired
    return int(spec.max_size)


@dataclass(frozen=True)
class Figures:
    """One side of a subnet's what-if: the report's own fields (``None``: not applicable, left out)."""

    ips_needed_at_max: int | None
    scale_headroom: int | None
    free_prefix_blocks: int | None
    status: Status
    finding_codes: tuple[str, ...]

    @classmethod
    def of(cls, report: SubnetReport) -> Figures:
        capacity = report.capacity
        return cls(
            ips_needed_at_max=capacity.ips_needed_at_max if capacity else None,
            scale_headroom=report.scale_headroom,
            free_prefix_blocks=capacity.free_prefix_blocks if capacity else None,
            status=report.status,
            finding_codes=tuple(dict.fromkeys(f.code for f in capacity.findings)) if capacity else (),
        )

    def to_dict(self) -> dict[str, Any]:
        figures = {
            "ips_needed_at_max": self.ips_needed_at_max,
            "scale_headroom": self.scale_headroom,
            "free_prefix_blocks": self.free_prefix_blocks,
        }
        return {
            **{key: value for key, value in figures.items() if value is not None},
            "status": str(self.status),
            "finding_codes": list(self.finding_codes),
        }


@dataclass(frozen=True)
class SubnetWhatIf:
    """A subnet the what-ifs reach: the changes of its workloads, its figures before and after."""

    changes: tuple[Change, ...]
    before: Figures
    after: Figures

    def to_dict(self) -> dict[str, Any]:
        return {
            "changes": [change.to_dict() for change in self.changes],
            "before": self.before.to_dict(),
            "after": self.after.to_dict(),
        }


@dataclass(frozen=True)
class WhatIfOutcome:
    """What a scan with what-ifs found: the changes, and the subnets they reach (by subnet ID, in
    the report's order). The scan's reports are the after-state."""

    changes: tuple[Change, ...]
    subnets: Mapping[str, SubnetWhatIf]


def compare(changes: Sequence[Change], before: Sequence[SubnetReport], after: Sequence[SubnetReport]) -> WhatIfOutcome:
    """The subnets the what-ifs reach: those carrying a changed workload, and any other whose figures
    moved (a custom-networking pod subnet of another node group of the cluster)."""
    was = {report.subnet_id: report for report in before}
    subnets = {}
    for report in after:
        if report.subnet_id not in was:
            continue
        old, new = Figures.of(was[report.subnet_id]), Figures.of(report)
        held = set(report.workloads)
        touching = tuple(c for c in changes if c.changes & held)
        if touching or old != new:
            subnets[report.subnet_id] = SubnetWhatIf(touching or tuple(changes), old, new)
    return WhatIfOutcome(tuple(changes), subnets)
