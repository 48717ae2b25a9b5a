"""``subnet-monitor fix`` as text (the plans with their AWS CLI lines) and as JSON (the contract in
docs/fix.md: ``vpcs`` and ``plans``, CDK and Terraform snippets included). Pure: no I/O."""

from __future__ import annotations

import json
from collections.abc import Sequence

from subnet_monitor.core.models import ScanError
from subnet_monitor.design.fix import FixReport, Plan, Step


def to_json(report: FixReport, errors: Sequence[ScanError] = ()) -> str:
    """The plan as JSON: ``{"margin_percent", "vpcs", "plans", "errors"}``."""
    return json.dumps({**report.to_dict(), "errors": [e.to_dict() for e in errors]}, indent=2)


def _workload(data: dict[str, str]) -> str:
    return f"{data['kind']} {data['cluster']}/{data['name']}"


def _headline(step: Step) -> str:
    f = step.fields
    if step.action == "create-subnet":
        users = ", ".join(_workload(w) for w in f["for_workloads"]) or "the subnet's users"
        return (
            f"create subnet {f['cidr']} in {f['availability_zone']} ({f['usable_ips']} usable) "
            f"as ${f['handle']}, for {users}"
        )
    if step.action == "associate-vpc-cidr":
        return f"associate the secondary CIDR {f['cidr']} with {f['vpc_id']}"
    if step.action == "configure-custom-networking":
        return f"turn on VPC CNI custom networking in cluster {f['cluster']} (ENIConfig {f['availability_zone']})"
    if step.action == "create-subnet-cidr-reservation":
        return (
            f"reserve {f['cidr']} in {f['subnet_id']} for prefixes ({f['free_prefix_blocks_now']} of "
            f"{f['prefix_blocks']} /28s free now, {f['addresses_in_use']} addresses in use to be released)"
        )
    if step.action == "delete-leaked-enis":
        return f"delete {len(f['network_interface_ids'])} leaked network interfaces ({f['addresses']} addresses)"
    if step.action == "update-workload":
        return f"move {_workload(f['workload'])} onto the new room"
    return step.action


def _plan_text(plan: Plan, names: dict[str, str]) -> list[str]:
    name = names.get(plan.subnet_id)
    label = f"{plan.subnet_id} ({name})" if name else plan.subnet_id
    lines = [f"{label} in {plan.availability_zone}, {plan.vpc_id}"]
    lines += [f"  problem: {p.code}: {p.message}" for p in plan.problems]
    if plan.shortfall > 0:
        lines.append(f"  short by {plan.shortfall} addresses; {plan.new_room} with the margin")
    for number, step in enumerate(plan.steps, start=1):
        lines.append(f"  {number}. {_headline(step)}")
        lines.append(f"     why: {step.why} ({step.source})")
        lines += [
            f"     $ {line}" if not line.startswith("#") else f"     {line}"
            for line in step.commands.aws_cli.splitlines()
        ]
    lines += [f"  note: {note}" for note in plan.notes]
    if not plan.steps and not plan.notes:
        lines.append("  nothing to propose")
    return lines


def to_text(report: FixReport) -> str:
    """The plans for people: each short subnet's problems, then its steps with the AWS CLI lines
    (CDK and Terraform: ``--json``), then each VPC's free space and proposals."""
    if not report.plans:
        return "no subnet is short: nothing to fix"
    names = {s["subnet_id"]: s["name"] for v in report.vpcs for s in v.subnets if s.get("name")}
    lines = [
        f"{len(report.plans)} short subnet{'s' if len(report.plans) != 1 else ''}; new room sized with a "
        f"{report.margin_percent:g} % margin. The monitor changed nothing: review, then run the commands "
        "(CDK and Terraform snippets: --json).",
        "",
    ]
    for plan in report.plans:
        lines += [*_plan_text(plan, names), ""]
    for vpc in report.vpcs:
        lines.append(f"{vpc.vpc_id}: CIDRs {', '.join(vpc.cidrs)}")
        lines.append(f"  free: {', '.join(vpc.free_blocks) or 'none'}")
        if vpc.proposed_cidrs:
            lines.append(f"  secondary CIDR proposed: {', '.join(vpc.proposed_cidrs)}")
        lines += [f"  proposed: {p.cidr} in {p.availability_zone} for {p.for_subnet}" for p in vpc.proposed]
    return "\n".join(lines)
