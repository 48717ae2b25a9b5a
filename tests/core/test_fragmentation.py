"""/28 prefix space and fragmentation findings. Pure: no AWS, no mocks.

The reference below enumerates every aligned /28 and checks every address with ``ipaddress``;
the module under test must agree with it on random layouts.
"""

from __future__ import annotations

import doctest
import ipaddress
import time
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from subnet_monitor.core import fragmentation
from subnet_monitor.core.fragmentation import (
    FRAGMENTATION_FIX_URL,
    PREFIX_BLOCK_SIZE,
    PrefixSpace,
    fragmentation_finding,
    prefix_space,
    reservations_by_type,
)

# --------------------------------------------------------------------------- brute-force reference


@dataclass(frozen=True)
class Layout:
    cidr: str
    ips: list[str]
    prefixes: list[str]
    explicit: list[str]
    prefix_reservations: list[str]


def brute_force(layout: Layout) -> PrefixSpace:
    """Every aligned /28, every address, checked one by one."""
    net = ipaddress.IPv4Network(layout.cidr)
    addresses = list(net)
    used = {ipaddress.IPv4Address(ip) for ip in layout.ips}
    delegated = [ipaddress.IPv4Network(p, strict=False) for p in layout.prefixes]
    explicit = [ipaddress.IPv4Network(r, strict=False) for r in layout.explicit]
    prefix_res = [ipaddress.IPv4Network(r, strict=False) for r in layout.prefix_reservations]
    # AWS reserves the first four addresses and the last one.
    aws_reserved = set(addresses[:4]) | {addresses[-1]}

    def in_use(address: ipaddress.IPv4Address) -> bool:
        return address in used or address in aws_reserved or any(address in p for p in delegated)

    def in_reservation(address: ipaddress.IPv4Address) -> bool:
        return any(address in r for r in explicit + prefix_res)

    free_blocks = []
    for block in net.subnets(new_prefix=28):
        if any(in_use(a) for a in block):
            continue
        if any(r.overlaps(block) for r in explicit):
            continue
        # Every prefix reservation touching the block must hold all of it.
        if not all(r.supernet_of(block) for r in prefix_res if r.overlaps(block)):
            continue
        free_blocks.append(block)
    free_set = set(free_blocks)

    largest = None
    for length in range(net.prefixlen, 29):
        if any(all(b in free_set for b in sub.subnets(new_prefix=28)) for sub in net.subnets(new_prefix=length)):
            largest = length
            break

    free_addresses = [a for a in addresses if not in_use(a) and not in_reservation(a)]
    outside = [a for a in free_addresses if ipaddress.IPv4Network((int(a) & ~15, 28)) not in free_set]
    return PrefixSpace(
        cidr=str(net),
        total_blocks=len(list(net.subnets(new_prefix=28))),
        free_blocks=len(free_blocks),
        free_blocks_in_prefix_reservations=sum(1 for b in free_blocks if any(r.supernet_of(b) for r in prefix_res)),
        largest_free_block_prefix=largest,
        free_addresses=len(free_addresses),
        free_addresses_outside_blocks=len(outside),
    )


@st.composite
def layouts(draw: st.DrawFn) -> Layout:
    """A random subnet /20-/28 inside 10.0.0.0/8 with random addresses, prefixes, reservations."""
    length = draw(st.integers(20, 28))
    size = 2 ** (32 - length)
    base = (10 << 24) | (draw(st.integers(0, 2 ** (length - 8) - 1)) << (32 - length))
    net = ipaddress.IPv4Network((base, length))

    def address(offset: int) -> str:
        return str(ipaddress.IPv4Address(base + offset))

    # Mostly inside the subnet; a few just outside it, which must be ignored.
    offsets = draw(st.lists(st.integers(-3, size + 2), max_size=60))
    ips = [address(o) for o in offsets if 0 <= base + o < 2**32]
    blocks = size // PREFIX_BLOCK_SIZE
    prefixes = [f"{address(b * PREFIX_BLOCK_SIZE)}/28" for b in draw(st.lists(st.integers(0, blocks - 1), max_size=6))]

    def reservation(spec: tuple[int, int]) -> str:
        res_length, index = spec
        res_size = 2 ** (32 - res_length)
        start = (int(net.network_address) // res_size) * res_size + (index * res_size) % max(size, res_size)
        return str(ipaddress.IPv4Network((start, res_length)))

    specs = st.tuples(st.integers(length - 1, 32), st.integers(0, 2**12))
    explicit = [reservation(s) for s in draw(st.lists(specs, max_size=3))]
    prefix_reservations = [reservation(s) for s in draw(st.lists(specs, max_size=3))]
    return Layout(str(net), ips, prefixes, explicit, prefix_reservations)


def run(layout: Layout) -> PrefixSpace:
    return prefix_space(
        layout.cidr,
        layout.ips,
        layout.prefixes,
        explicit_reservations=layout.explicit,
        prefix_reservations=layout.prefix_reservations,
    )


# --------------------------------------------------------------------------- property tests


@settings(max_examples=300, deadline=None)
@given(layout=layouts())
def test_agrees_with_brute_force_on_random_layouts(layout: Layout) -> None:
    assert run(layout) == brute_force(layout)


@settings(deadline=None)
@given(layout=layouts())
def test_invariants(layout: Layout) -> None:
    space = run(layout)
    assert 0 <= space.free_blocks <= space.total_blocks - (1 if space.total_blocks == 1 else 2)
    assert 0 <= space.free_blocks_in_prefix_reservations <= space.free_blocks
    assert 0 <= space.free_addresses_outside_blocks <= space.free_addresses
    if space.largest_free_block_prefix is None:
        assert space.free_blocks == 0
    else:
        # A free aligned /N is made of 2^(28 − N) free /28s.
        assert 2 ** (28 - space.largest_free_block_prefix) <= space.free_blocks
    # One more address in use can only lose blocks, never add one.
    net = ipaddress.IPv4Network(layout.cidr)
    one_more = [*layout.ips, str(net[net.num_addresses // 2])]
    more = run(Layout(layout.cidr, one_more, layout.prefixes, layout.explicit, layout.prefix_reservations))
    assert more.free_blocks <= space.free_blocks


# --------------------------------------------------------------------------- hand cases


def test_empty_slash_24_keeps_14_blocks() -> None:
    # GIVEN an empty /24: AWS reserves .0-.3 (first /28) and .255 (last /28)
    # https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html
    # WHEN its prefix space is measured
    space = prefix_space("10.0.0.0/24")

    # THEN 14 of 16 blocks are free; blocks 4-7 and 8-11 form free /26s, no /25 is free
    assert (space.total_blocks, space.free_blocks) == (16, 14)
    assert space.largest_free_block_prefix == 26
    # and 251 addresses are free (the published usable count), 27 of them outside free blocks
    assert space.free_addresses == 251
    assert space.free_addresses_outside_blocks == 12 + 15
    assert fragmentation_finding("subnet-0a", space) is None


@pytest.mark.parametrize("length", range(16, 29))
def test_empty_subnet_loses_exactly_the_first_and_last_block(length: int) -> None:
    space = prefix_space(f"10.0.0.0/{length}")
    total = 2 ** (28 - length)
    assert space.total_blocks == total
    assert space.free_blocks == max(total - 2, 0)
    # The two reserved blocks sit at both ends, so the largest free aligned block is a quarter
    # of the subnet (/N+2), down to a single /28 for a /26; /27 and /28 have none.
    expected = length + 2 if length <= 26 else None
    assert space.largest_free_block_prefix == expected


def test_one_address_in_every_block_leaves_no_block_and_a_finding() -> None:
    # GIVEN a /24 with one address in use in each of its 16 /28s
    used = [f"10.0.0.{block * 16 + 5}" for block in range(16)]

    # WHEN its prefix space is measured
    space = prefix_space("10.0.0.0/24", used)

    # THEN no /28 is free although 235 addresses are
    assert (space.free_blocks, space.largest_free_block_prefix) == (0, None)
    assert space.free_addresses == 251 - 16
    assert space.free_addresses_outside_blocks == space.free_addresses
    assert space.is_fragmented

    # AND the finding names the subnet, the error EC2 gives and both fixes, with the source
    finding = fragmentation_finding("subnet-0frag", space)
    assert finding is not None
    sentence = finding.sentence()
    assert sentence.startswith("subnet-0frag (10.0.0.0/24): 235 addresses are free")
    assert "InsufficientCidrBlocks" in sentence
    assert "--reservation-type prefix" in sentence
    assert "new, larger subnet" in sentence
    assert FRAGMENTATION_FIX_URL in sentence
    # AND in its structured form: the problem, the fix apart, the page it rests on
    assert (finding.code, finding.severity) == ("fragmentation.no-free-prefix", "error")
    assert finding.subject == "subnet-0frag"
    assert finding.message.endswith("EC2 answers InsufficientCidrBlocks.")
    assert finding.fix is not None and finding.fix.startswith("create a subnet CIDR reservation of type prefix")
    assert finding.source == FRAGMENTATION_FIX_URL


def test_a_full_subnet_is_not_fragmented() -> None:
    # GIVEN a /28 whose 11 usable addresses are all in use
    used = [f"10.0.0.{i}" for i in range(4, 15)]
    space = prefix_space("10.0.0.0/28", used)
    # THEN nothing is free, and "no free /28" is not news worth a fragmentation finding
    assert (space.free_blocks, space.free_addresses) == (0, 0)
    assert fragmentation_finding("subnet-0full", space) is None


def test_delegated_prefix_takes_its_block_and_nothing_else() -> None:
    space = prefix_space("10.0.0.0/24", used_prefixes=["10.0.0.64/28"])
    assert space.free_blocks == 13
    assert space.free_addresses == 251 - 16
    # Blocks 4-7 are no longer a free /26; 8-11 still are.
    assert space.largest_free_block_prefix == 26
    space = prefix_space("10.0.0.0/24", used_prefixes=["10.0.0.64/28", "10.0.0.128/28"])
    assert space.largest_free_block_prefix == 27


def test_explicit_reservation_blocks_every_block_it_touches() -> None:
    # GIVEN an explicit reservation of a single address and one of a /26
    # WHEN the space is measured
    space = prefix_space("10.0.0.0/24", explicit_reservations=["10.0.0.20/32", "10.0.0.128/26"])
    # THEN block 1 and blocks 8-11 are out; their addresses are not free for single use either
    assert space.free_blocks == 14 - 1 - 4
    assert space.free_addresses == 251 - 1 - 64


def test_prefix_reservation_keeps_its_blocks_for_prefixes() -> None:
    # GIVEN a prefix reservation over 10.0.0.64/26: AWS picks automatic prefixes from it
    # https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/work-with-prefixes.html
    space = prefix_space("10.0.0.0/24", prefix_reservations=["10.0.0.64/26"])
    # THEN its four blocks still count as free prefix blocks, and are reported as reserved ones
    assert (space.free_blocks, space.free_blocks_in_prefix_reservations) == (14, 4)
    # but their addresses are not handed out one at a time
    assert space.free_addresses == 251 - 64
    assert space.free_addresses_outside_blocks == 27


def test_prefix_reservation_that_cannot_hold_a_prefix_blocks_its_block() -> None:
    # A /29 prefix reservation is smaller than a /28: the block it sits in is neither reserved
    # for prefixes nor open to automatic assignment.
    space = prefix_space("10.0.0.0/24", prefix_reservations=["10.0.0.16/29"])
    assert (space.free_blocks, space.free_blocks_in_prefix_reservations) == (13, 0)


def test_a_fragmented_subnet_is_rescued_by_a_prefix_reservation_once_it_drains() -> None:
    # GIVEN the fully fragmented /24, with a prefix reservation over 10.0.0.128/25
    used = [f"10.0.0.{block * 16 + 5}" for block in range(16)]
    before = prefix_space("10.0.0.0/24", used, prefix_reservations=["10.0.0.128/25"])
    assert before.free_blocks == 0
    # WHEN the addresses inside the reservation are released (AWS does not reassign them)
    after = prefix_space("10.0.0.0/24", used[:8], prefix_reservations=["10.0.0.128/25"])
    # THEN the reservation's blocks (but the last, which holds the broadcast) are free for prefixes
    assert (after.free_blocks, after.free_blocks_in_prefix_reservations) == (7, 7)
    assert fragmentation_finding("subnet-0a", after) is None


def test_addresses_and_ranges_outside_the_subnet_are_ignored() -> None:
    space = prefix_space(
        "10.0.1.0/24",
        ["10.0.0.20", "10.0.2.20"],
        ["10.0.0.16/28"],
        explicit_reservations=["10.0.2.0/24"],
    )
    assert space == prefix_space("10.0.1.0/24")


@pytest.mark.parametrize("cidr", ["10.0.0.0/15", "10.0.0.0/29", "2001:db8::/64", "10.0.0.1/24"])
def test_refuses_what_cannot_be_a_subnet(cidr: str) -> None:
    with pytest.raises(ValueError, match=r"/16|octets|host bits|does not appear"):
        prefix_space(cidr)


def test_slash_16_with_thousands_of_addresses_is_fast() -> None:
    # GIVEN a /16 (4,096 blocks) with 30,000 addresses and 500 prefixes in use
    used = [str(ipaddress.IPv4Address((10 << 24) + 4 + i * 2)) for i in range(30_000)]
    prefixes = [f"10.0.{240 + i // 16}.{(i % 16) * 16}/28" for i in range(16 * 15)]

    # WHEN it is measured
    started = time.perf_counter()
    space = prefix_space("10.0.0.0/16", used, prefixes)
    elapsed = time.perf_counter() - started

    # THEN the answer is right and comes in well under a second (O(addresses + blocks))
    # 30,000 addresses every other one fill 60,000 addresses = blocks 0-3750; prefixes fill 240 more.
    assert space.total_blocks == 4096
    assert space.free_blocks == 4096 - 3751 - 240 - 1
    assert elapsed < 1.0


def test_reservations_by_type_splits_the_describe_output() -> None:
    # Shape of DescribeSubnetCidrReservations → SubnetIpv4CidrReservations[]
    # https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_SubnetCidrReservation.html
    reservations = [
        {"SubnetCidrReservationId": "scr-1", "Cidr": "10.0.0.64/26", "ReservationType": "prefix"},
        {"SubnetCidrReservationId": "scr-2", "Cidr": "10.0.0.16/28", "ReservationType": "explicit"},
        {"SubnetCidrReservationId": "scr-3", "Cidr": "10.0.0.200/29", "ReservationType": "something-new"},
    ]
    assert reservations_by_type(reservations) == (["10.0.0.16/28", "10.0.0.200/29"], ["10.0.0.64/26"])


def test_to_dict_uses_snake_case_keys() -> None:
    assert prefix_space("10.0.0.0/26").to_dict() == {
        "cidr": "10.0.0.0/26",
        "total_blocks": 4,
        "free_blocks": 2,
        "free_blocks_in_prefix_reservations": 0,
        "largest_free_block_prefix": 28,
        "free_addresses": 59,
        "free_addresses_outside_blocks": 59 - 32,
    }


def test_docstring_examples_stay_true() -> None:
    result = doctest.testmod(fragmentation)
    assert (result.attempted > 0, result.failed) == (True, 0)
