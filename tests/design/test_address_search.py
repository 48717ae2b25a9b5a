"""The overlap and free-block searches of the design check against brute force on random layouts.

The check finds overlaps by a sweep in address order and free blocks with a tree per VPC CIDR, so
that a plan of 20,000 subnets takes seconds (``make bench``). These tests hold them to the searches
they replaced, written out here: every pair of subnets compared, and every candidate block compared
with every taken block. Layouts are drawn in a small address space (10.0.0.0/20) so that subnets,
VPCs and peered networks nest, repeat and overlap often.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from subnet_monitor.core.findings import Severity
from subnet_monitor.core.models import Role
from subnet_monitor.design.addressing import overlap_rules
from subnet_monitor.design.model import Design, Result, SubnetDesign
from subnet_monitor.design.rules import check_design
from subnet_monitor.design.sizing import FreeBlocks

SPACE = ipaddress.IPv4Network("10.0.0.0/20")


@st.composite
def cidrs(draw: Any, smallest: int = 20, largest: int = 28) -> str:
    """A CIDR block of ``smallest`` to ``largest`` prefix length; those shorter than /20 hold the whole space."""
    prefix = draw(st.integers(smallest, largest))
    if prefix <= SPACE.prefixlen:
        return str(SPACE.supernet(new_prefix=prefix))
    offset = draw(st.integers(0, 2 ** (prefix - SPACE.prefixlen) - 1))
    return f"{SPACE.network_address + (offset << (32 - prefix))}/{prefix}"


@st.composite
def layouts(draw: Any) -> dict[str, Any]:
    """VPCs with one to three CIDRs, subnets (in a VPC, or one the layout does not know), the VPCs'
    other taken CIDRs, and peered networks (some holding the whole space)."""
    vpcs = {
        f"vpc{i}": tuple(draw(st.lists(cidrs(20, 26), min_size=1, max_size=3))) for i in range(draw(st.integers(1, 3)))
    }
    names = [*vpcs, "unknown"]
    subnets = draw(st.lists(st.tuples(st.sampled_from(names), cidrs(20, 28)), max_size=14))
    other = {vpc: draw(st.lists(cidrs(22, 32), max_size=2)) for vpc in vpcs}
    peered = {f"net{i}": cidr for i, cidr in enumerate(draw(st.lists(cidrs(12, 30), max_size=2)))}
    return {"vpcs": vpcs, "subnets": subnets, "other": other, "peered": peered}


def design_of(layout: dict[str, Any], needs: Sequence[int] = ()) -> Design:
    """The layout as a design; with ``needs``, each subnet holds ECS tasks needing that many more addresses."""
    subnets = {}
    for index, (vpc, cidr) in enumerate(layout["subnets"]):
        key = f"s{index}"
        subnets[key] = SubnetDesign(
            key=key,
            label=f"{key} ({cidr})",
            vpc=vpc,
            availability_zone="az-a",
            cidr=cidr,
            roles=frozenset({Role.ECS_TASK}) if needs else frozenset(),
            needed_at_max=needs[index] if needs else None,
        )
    return Design(
        source="random layout",
        vpcs=layout["vpcs"],
        subnets=subnets,
        peered=layout["peered"],
        other_cidrs=layout["other"],
    )


# --- the searches as they were: every pair, every candidate -------------------------------------------------------


def brute_force_free_block(vpc_cidrs: Sequence[str], taken: Sequence[str], prefix_length: int) -> str | None:
    """The first aligned block of ``prefix_length`` in the VPC's CIDRs, in order, that overlaps nothing taken."""
    used = [ipaddress.IPv4Network(c) for c in taken]
    for cidr in vpc_cidrs:
        network = ipaddress.IPv4Network(cidr)
        if prefix_length < network.prefixlen:
            continue
        for candidate in network.subnets(new_prefix=prefix_length):
            if not any(candidate.overlaps(other) for other in used):
                return str(candidate)
    return None


def brute_force_taken(layout: dict[str, Any], vpc: str, own: int | None, proposed: Sequence[str]) -> list[str]:
    """What a subnet's proposal must avoid: its VPC's other subnets and other CIDRs, the peered networks,
    the blocks proposed before."""
    others = [cidr for index, (v, cidr) in enumerate(layout["subnets"]) if v == vpc and index != own]
    return [*others, *layout["other"].get(vpc, ()), *layout["peered"].values(), *proposed]


def brute_force_pairs(design: Design) -> list[tuple[str, str, bool]]:
    """Every overlapping pair of subnets, both in address order, and whether they share a VPC."""
    ordered = sorted(design.subnets.values(), key=lambda s: ipaddress.IPv4Network(s.cidr))
    return [
        (first.key, second.key, first.vpc == second.vpc)
        for index, first in enumerate(ordered)
        for second in ordered[index + 1 :]
        if ipaddress.IPv4Network(first.cidr).overlaps(ipaddress.IPv4Network(second.cidr))
    ]


def brute_force_vpc_problems(design: Design, vpc: str) -> list[str]:
    """Each CIDR of the VPC against every peered network, then every other VPC's CIDRs."""
    problems = []
    for cidr in design.vpcs[vpc]:
        network = ipaddress.IPv4Network(cidr)
        problems += [
            f"{cidr} overlaps {name} {other}"
            for name, other in design.peered.items()
            if network.overlaps(ipaddress.IPv4Network(other))
        ]
        problems += [
            f"{cidr} overlaps VPC {other_vpc} {other}"
            for other_vpc, others in design.vpcs.items()
            if other_vpc != vpc
            for other in others
            if network.overlaps(ipaddress.IPv4Network(other))
        ]
    return problems


# --- the tests -------------------------------------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(layout=layouts(), questions=st.lists(st.tuples(st.integers(0, 20), st.integers(20, 30), st.booleans())))
def test_free_blocks_match_every_candidate_against_every_taken_block(
    layout: dict[str, Any], questions: list[tuple[int, int, bool]]
) -> None:
    # GIVEN the free space of a random layout
    subnets_by_vpc: dict[str, list[str]] = {}
    for vpc, cidr in layout["subnets"]:
        subnets_by_vpc.setdefault(vpc, []).append(cidr)
    free = FreeBlocks(layout["vpcs"], subnets_by_vpc, layout["other"], layout["peered"].values())
    proposed: list[str] = []
    # WHEN subnets ask in turn for a block (their own range given back) and take what they are given,
    # or a VPC asks with no subnet of its own
    for pick, prefix_length, as_subnet in questions:
        if as_subnet and layout["subnets"]:
            own: int | None = pick % len(layout["subnets"])
            vpc, cidr = layout["subnets"][own]
        else:
            own, cidr = None, None
            vpc = [*layout["vpcs"], "unknown"][pick % (len(layout["vpcs"]) + 1)]
        block = free.first(vpc, prefix_length, own=cidr)
        # THEN each answer is the first block the brute-force search finds
        expected = brute_force_free_block(
            layout["vpcs"].get(vpc, ()), brute_force_taken(layout, vpc, own, proposed), prefix_length
        )
        assert block == expected
        if block:
            free.take(block)
            proposed.append(block)


@settings(max_examples=100, deadline=None)
@given(layout=layouts(), data=st.data())
def test_the_sizing_rule_proposes_what_the_brute_force_search_finds(layout: dict[str, Any], data: Any) -> None:
    # GIVEN a random layout whose subnets' workloads need up to a /20 more
    needs = data.draw(st.lists(st.integers(0, 3000), min_size=len(layout["subnets"]), max_size=len(layout["subnets"])))
    design = design_of(layout, needs)
    # WHEN the design is checked
    report = check_design(design)
    # THEN each subnet that does not fit is offered the block the brute-force search finds, avoiding
    # the blocks offered before it
    sizing = {r.subject: r for r in report.results if r.code == "subnet-sizing"}
    proposed: list[str] = []
    for row in report.sizing:
        fix = sizing[f"subnet {row.label}"].fix or ""
        offered = fix.split("(e.g. ")[1].split(" ")[0] if "(e.g. " in fix else None
        expected = None
        if row.result is not Result.PASS and row.smallest_prefix is not None:
            own = int(row.key.removeprefix("s"))
            taken = brute_force_taken(layout, row.vpc, own, proposed)
            expected = brute_force_free_block(layout["vpcs"].get(row.vpc, ()), taken, row.smallest_prefix)
        assert offered == expected, row.key
        if expected:
            proposed.append(expected)


@settings(max_examples=200, deadline=None)
@given(layout=layouts())
def test_overlaps_match_every_pair_compared(layout: dict[str, Any]) -> None:
    # GIVEN a random layout
    design = design_of(layout)
    # WHEN its overlaps are checked
    results = overlap_rules(design)
    # THEN the overlapping subnets are the pairs the brute-force comparison finds, in its order, failing
    # in one VPC and warning across two
    pairs = brute_force_pairs(design)
    overlaps = [r for r in results if r.code == "subnet-overlap"]
    if pairs:
        assert [(r.subject, r.severity) for r in overlaps] == [
            (f"subnets {a} and {b}", Severity.ERROR if same else Severity.WARNING) for a, b, same in pairs
        ]
    else:
        assert [r.subject for r in overlaps] == (["all subnets"] if design.subnets else [])
    # ... each subnet of a known VPC is inside it or not, as ipaddress says
    inside = {r.subject: r.severity for r in results if r.code == "subnet-in-vpc"}
    for subnet in design.subnets.values():
        if subnet.vpc not in design.vpcs:
            assert f"subnet {subnet.label}" not in inside
            continue
        holds = any(
            ipaddress.IPv4Network(subnet.cidr).subnet_of(ipaddress.IPv4Network(c)) for c in design.vpcs[subnet.vpc]
        )
        assert inside[f"subnet {subnet.label}"] is (Severity.OK if holds else Severity.ERROR)
    # ... and each VPC names every peered network and other VPC CIDR it overlaps, in the same order
    vpc_results = [r for r in results if r.code == "vpc-overlap"]
    assert [r.subject for r in vpc_results] == [f"VPC {vpc}" for vpc in sorted(design.vpcs)]
    for result, vpc in zip(vpc_results, sorted(design.vpcs), strict=True):
        problems = brute_force_vpc_problems(design, vpc)
        if problems:
            assert result.severity is Severity.ERROR
            assert result.message.startswith("; ".join(problems) + ": VPC peering refuses")
        else:
            assert result.severity is Severity.OK
