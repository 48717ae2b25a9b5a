"""The VPC address-space arithmetic against brute force on random layouts: free blocks, the fewest new
subnets covering a need, the secondary CIDR a VPC may add, the range to reserve for prefixes."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subnet_monitor.core.space import (
    VpcSpace,
    blocks_for,
    choose_secondary_cidr,
    cidr_quota_reached,
    free_blocks,
    prefix_reservation,
)

Net = ipaddress.IPv4Network
UNIT = 16  # brute force works in /28 units: every VPC CIDR and subnet is a whole number of them


@dataclass
class Layout:
    cidrs: list[Net]
    subnets: list[Net]

    def units(self) -> set[int]:
        """Every /28 of the VPC's CIDRs that no subnet covers, by its first address."""
        inside = {a for c in self.cidrs for a in range(int(c.network_address), int(c.broadcast_address) + 1, UNIT)}
        taken = {a for s in self.subnets for a in range(int(s.network_address), int(s.broadcast_address) + 1, UNIT)}
        return inside - taken

    def aligned_free(self) -> list[Net]:
        """Every aligned block /28 or larger lying wholly in free space inside one VPC CIDR."""
        free = self.units()
        found = []
        for cidr in self.cidrs:
            for length in range(cidr.prefixlen, 29):
                for block in cidr.subnets(new_prefix=length):
                    first = int(block.network_address)
                    if all(a in free for a in range(first, first + block.num_addresses, UNIT)):
                        found.append(block)
        return found

    def maximal_free(self) -> set[Net]:
        free = self.aligned_free()
        as_set = set(free)
        return {b for b in free if not any(b != o and b.subnet_of(o) for o in as_set)}


@st.composite
def layouts(draw: st.DrawFn) -> Layout:
    # One or two VPC CIDR blocks (/23 to /26) in separate places, then subnets (/24 to /28) drawn at
    # random aligned places and kept when they overlap nothing drawn before.
    cidrs = [Net(f"10.0.0.0/{draw(st.integers(23, 26))}")]
    if draw(st.booleans()):
        cidrs.append(Net(f"10.0.8.0/{draw(st.integers(24, 26))}"))
    subnets: list[Net] = []
    for _ in range(draw(st.integers(0, 8))):
        cidr = draw(st.sampled_from(cidrs))
        length = draw(st.integers(max(cidr.prefixlen, 24), 28))
        candidates = list(cidr.subnets(new_prefix=length))
        block = candidates[draw(st.integers(0, len(candidates) - 1))]
        if not any(block.overlaps(s) for s in subnets):
            subnets.append(block)
    return Layout(cidrs, subnets)


def fewest_blocks(candidates: list[Net], need: int) -> int | None:
    """The fewest disjoint candidates whose usable addresses (size - 5) reach ``need``: exhaustive
    depth-first search, largest first, pruned by the best count found so far and by the free
    addresses left."""
    ordered = sorted(candidates, key=lambda b: -b.num_addresses)
    free_total = sum(b.num_addresses for b in candidates if not any(b != o and b.subnet_of(o) for o in candidates))
    best: list[int | None] = [None]

    def search(start: int, chosen: list[Net], covered: int) -> None:
        if covered >= need:
            if best[0] is None or len(chosen) < best[0]:
                best[0] = len(chosen)
            return
        if best[0] is not None and len(chosen) + 1 >= best[0]:
            return
        # Any further block loses 5 addresses: even all the free addresses left would not do.
        if covered + free_total - sum(c.num_addresses for c in chosen) - 5 < need:
            return
        for index in range(start, len(ordered)):
            block = ordered[index]
            if any(block.overlaps(c) for c in chosen):
                continue
            search(index + 1, [*chosen, block], covered + block.num_addresses - 5)

    search(0, [], 0)
    return best[0]


@settings(max_examples=150, deadline=None)
@given(layout=layouts())
def test_free_blocks_are_exactly_the_maximal_free_aligned_blocks(layout: Layout) -> None:
    blocks = free_blocks(layout.cidrs, layout.subnets)
    assert blocks == sorted(blocks)
    assert set(blocks) == layout.maximal_free()
    covered = [a for b in blocks for a in range(int(b.network_address), int(b.broadcast_address) + 1, UNIT)]
    assert sorted(covered) == sorted(layout.units())  # every free address once, none taken


@settings(max_examples=150, deadline=None)
@given(layout=layouts(), need=st.integers(1, 1200))
def test_new_subnets_are_the_fewest_aligned_free_blocks_covering_the_need(layout: Layout, need: int) -> None:
    chosen = blocks_for(need, free_blocks(layout.cidrs, layout.subnets))
    candidates = layout.aligned_free()
    fewest = fewest_blocks(candidates, need)
    if chosen is None:
        assert fewest is None
        return
    assert fewest is not None and len(chosen) == fewest
    assert sum(b.num_addresses - 5 for b in chosen) >= need
    for index, block in enumerate(chosen):
        assert 16 <= block.prefixlen <= 28
        assert any(block.subnet_of(c) for c in layout.cidrs)  # inside one VPC CIDR, aligned (a Net is)
        assert not any(block.overlaps(s) for s in layout.subnets)
        assert not any(block.overlaps(o) for o in chosen[index + 1 :])


@settings(max_examples=200, deadline=None)
@given(layout=layouts(), needs=st.lists(st.integers(1, 300), min_size=1, max_size=5))
def test_successive_proposals_in_one_vpc_never_overlap(layout: Layout, needs: list[int]) -> None:
    space = VpcSpace("vpc-1", [str(c) for c in layout.cidrs], list(layout.subnets))
    proposed: list[Net] = []
    for need in needs:
        before = list(space.taken)
        blocks = space.propose(need)
        if blocks is None:
            assert space.taken == before  # a refused proposal takes nothing
            continue
        for block in blocks:
            assert not any(block.overlaps(p) for p in proposed)
            assert not any(block.overlaps(s) for s in layout.subnets)
        proposed.extend(blocks)


def test_a_need_no_single_subnet_can_hold_takes_the_largest_blocks_first() -> None:
    # 10.0.0.0/24 with its first /25 taken, and a whole /26 elsewhere: 300 addresses need the /25
    # (123 usable) and the /26 is not enough with it (59), so no plan; 170 takes both.
    free = free_blocks(["10.0.0.0/24", "10.0.9.0/26"], ["10.0.0.0/25"])
    assert blocks_for(300, free) is None
    assert [str(b) for b in blocks_for(170, free) or []] == ["10.0.0.128/25", "10.0.9.0/26"]


# --- secondary CIDR ------------------------------------------------------------------------------

PRIMARIES = [
    "10.20.0.0/16",
    "10.1.0.0/16",
    "172.20.0.0/16",
    "192.168.0.0/20",
    "100.64.0.0/16",
    "198.19.0.0/20",
    "52.0.0.0/20",
]
RFC1918 = [Net("10.0.0.0/8"), Net("172.16.0.0/12"), Net("192.168.0.0/16")]
# The association table (https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html),
# written again here row by row: what a VPC whose primary is in the key may NOT add.
RESTRICTED_FOR = {
    "10.0.0.0/8": ["172.16.0.0/12", "192.168.0.0/16", "198.19.0.0/16"],
    "172.16.0.0/12": ["10.0.0.0/8", "192.168.0.0/16", "172.31.0.0/16", "198.19.0.0/16"],
    "192.168.0.0/16": ["10.0.0.0/8", "172.16.0.0/12", "198.19.0.0/16"],
    "198.19.0.0/16": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"],
    "other": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "198.19.0.0/16"],
}


def restricted_for(primary: Net) -> list[Net]:
    for key, ranges in RESTRICTED_FOR.items():
        if key != "other" and primary.subnet_of(Net(key)):
            return [Net(r) for r in ranges]
    return [Net(r) for r in RESTRICTED_FOR["other"]]


@st.composite
def neighbourhoods(draw: st.DrawFn) -> tuple[list[str], list[Net], int]:
    """A VPC (primary, maybe a secondary in 100.64.0.0/10), the CIDRs around it (other VPCs of the
    region, peered VPCs, transit gateway routes) with many in 100.64.0.0/10, and a wanted size."""
    primary = Net(draw(st.sampled_from(PRIMARIES)))
    own = [primary]
    if draw(st.booleans()) and not primary.subnet_of(Net("100.64.0.0/10")):
        own.append(Net(f"100.{draw(st.integers(64, 127))}.0.0/16"))
    avoid: list[Net] = []
    if draw(st.integers(0, 4)) == 0:
        avoid.append(Net("100.64.0.0/10"))  # a peer or a route takes the whole shared space
    for _ in range(draw(st.integers(0, 12))):
        length = draw(st.integers(11, 20))
        pool = draw(st.sampled_from(["100.64.0.0/10", "100.64.0.0/10", "10.0.0.0/8", "172.16.0.0/12"]))
        parts = Net(pool).num_addresses // 2 ** (32 - length) if length >= Net(pool).prefixlen else 1
        index = draw(st.integers(0, max(parts - 1, 0)))
        base = int(Net(pool).network_address) + index * 2 ** (32 - max(length, Net(pool).prefixlen))
        avoid.append(Net((base, max(length, Net(pool).prefixlen))))
    return [str(c) for c in own], avoid, draw(st.integers(16, 22))


def candidates_in(pool: Net, length: int) -> Iterator[Net]:
    return pool.subnets(new_prefix=length)


@settings(max_examples=150, deadline=None)
@given(case=neighbourhoods())
def test_secondary_cidr_is_the_first_allowed_block_overlapping_nothing(case: tuple[list[str], list[Net], int]) -> None:
    own, avoid, length = case
    primary = Net(own[0])
    chosen = choose_secondary_cidr(own, length, avoid)
    blocked = [*(Net(c) for c in own), *avoid, *restricted_for(primary), Net("172.17.0.0/16")]
    if any(Net(c).overlaps(Net("10.0.0.0/15")) for c in own) and primary.subnet_of(Net("10.0.0.0/8")):
        blocked.append(Net("10.0.0.0/16"))
    pools = [Net("100.64.0.0/10")] + [r for r in RFC1918 if primary.subnet_of(r)]
    expected = next(
        (c for pool in pools for c in candidates_in(pool, length) if not any(c.overlaps(b) for b in blocked)),
        None,
    )
    assert chosen == expected
    if chosen is not None:
        assert chosen.prefixlen == length
        assert not any(chosen.overlaps(b) for b in blocked)
        if not any(chosen.overlaps(a) for a in avoid) and chosen.subnet_of(Net("100.64.0.0/10")):
            return
        # Outside 100.64.0.0/10 only when none of it was free.
        assert all(any(c.overlaps(b) for b in blocked) for c in candidates_in(Net("100.64.0.0/10"), length))


def test_a_10_slash_8_vpc_whose_shared_space_is_taken_gets_a_10_block_not_another_private_range() -> None:
    chosen = choose_secondary_cidr(["10.0.0.0/16"], 16, ["100.64.0.0/10", "10.1.0.0/16"])
    # 10.0.0.0/16 is the VPC's; 10.1.0.0/16 a peer's.
    assert str(chosen) == "10.2.0.0/16"


def test_a_vpc_with_a_cidr_in_10_0_slash_15_may_not_add_10_0_slash_16() -> None:
    # The 10.0.0.0/8 row of the association table: "If any of the CIDR blocks associated with the
    # VPC are from the 10.0.0.0/15 range ..., you cannot add a CIDR block from the 10.0.0.0/16 range".
    chosen = choose_secondary_cidr(["10.1.0.0/16"], 16, ["100.64.0.0/10"])
    assert str(chosen) == "10.2.0.0/16"
    assert str(choose_secondary_cidr(["10.20.0.0/16"], 16, ["100.64.0.0/10"])) == "10.0.0.0/16"


def test_a_vpc_in_the_shared_space_cannot_fall_back_to_private_ranges() -> None:
    assert choose_secondary_cidr(["100.64.0.0/16"], 16, ["100.64.0.0/10"]) is None


@pytest.mark.parametrize(("count", "reached"), [(1, False), (4, False), (5, True)])
def test_the_default_quota_is_five_cidr_blocks_per_vpc(count: int, reached: bool) -> None:
    assert cidr_quota_reached([f"10.{i}.0.0/16" for i in range(count)]) is reached


# --- prefix reservation --------------------------------------------------------------------------


@st.composite
def prefix_subnets(draw: st.DrawFn) -> tuple[str, list[str], int, list[str]]:
    length = draw(st.integers(22, 26))
    subnet = Net(f"10.0.0.0/{length}")
    hosts = list(subnet.hosts())
    used = draw(st.lists(st.sampled_from(hosts), max_size=60, unique=True))
    reservations = []
    if draw(st.booleans()) and length <= 24:
        reservations.append("10.0.0.64/27")  # an existing reservation the new one must not overlap
    return str(subnet), [str(ip) for ip in used], draw(st.integers(1, 8)), reservations


@settings(max_examples=150, deadline=None)
@given(case=prefix_subnets())
def test_prefix_reservation_is_the_emptiest_allowed_aligned_range(case: tuple[str, list[str], int, list[str]]) -> None:
    cidr, used, wanted, reservations = case
    subnet = Net(cidr)
    span = 1
    while span < wanted:
        span *= 2
    length = 28 - (span.bit_length() - 1)
    first_block, last_block = Net((int(subnet.network_address), 28)), Net((int(subnet.broadcast_address) - 15, 28))
    allowed = [
        c
        for c in (subnet.subnets(new_prefix=length) if length >= subnet.prefixlen else ())
        if not c.overlaps(first_block)
        and not c.overlaps(last_block)
        and not any(c.overlaps(Net(r)) for r in reservations)
    ]
    result = prefix_reservation("subnet-1", cidr, used, blocks_wanted=wanted, reservations=reservations)
    if not allowed:
        assert result is None
        return
    in_use = {c: sum(ipaddress.IPv4Address(ip) in c for ip in used) for c in allowed}
    fewest = min(in_use.values())
    assert result is not None
    assert Net(result.cidr) == next(c for c in allowed if in_use[c] == fewest)
    assert result.addresses_in_use == fewest
    assert result.prefix_blocks == span
    free_now = sum(
        1
        for block in Net(result.cidr).subnets(new_prefix=28)
        if not any(ipaddress.IPv4Address(ip) in block for ip in used)
    )
    assert result.free_prefix_blocks_now == free_now
