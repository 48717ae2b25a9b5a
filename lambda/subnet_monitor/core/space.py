"""A VPC's address space: what is free, where new subnets go, which secondary CIDR to add, which range
to reserve for prefixes. Pure: no AWS, no I/O.

Each rule with its source:

- A subnet is /16 to /28 and lies inside one of its VPC's CIDR blocks; subnets of a VPC do not
  overlap; AWS reserves 5 addresses of each (the first four and the last), so a new subnet of
  ``2^(32 - n)`` addresses gives ``2^(32 - n) - 5`` usable ones.
  https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html
- A secondary VPC CIDR is /16 to /28, overlaps none of the VPC's CIDRs, and is restricted by the
  range the VPC's primary CIDR lies in (table "IPv4 CIDR block association restrictions"): see
  :data:`ASSOCIATION_RULES`. It must not overlap the CIDR of a peered VPC, nor be the same or larger
  than a route destination in the VPC's route tables.
  https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html
- "IPv4 CIDR blocks per VPC": 5 by default (primary included), adjustable to 50.
  https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html
- A subnet CIDR reservation of type ``prefix`` is where EC2 takes automatically assigned /28
  prefixes from; reservations in a VPC do not overlap; addresses in use inside one stay assigned
  and only those released become available to it.
  https://docs.aws.amazon.com/vpc/latest/userguide/subnet-cidr-reservation.html

Free space is computed per VPC CIDR block (a subnet cannot span two blocks), as the unique set of
maximal aligned CIDRs covering the block minus its subnets (:func:`ipaddress.summarize_address_range`
of each free interval). The fewest new subnets covering a need are the largest free blocks, taken
whole, until one block can hold the rest: any aligned block lies inside one maximal free block, and
splitting a block only loses 5 more addresses, so no other choice covers the need with fewer subnets.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from subnet_monitor.core.fragmentation import (
    PREFIX_BLOCK_PREFIX_LENGTH,
    PREFIX_BLOCK_SIZE,
    PrefixSpace,
    prefix_space,
)
from subnet_monitor.core.subnet import AWS_RESERVED_IPS_PER_SUBNET, SUBNET_PREFIX_MAX, SUBNET_PREFIX_MIN

Network = ipaddress.IPv4Network

# https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html ("IPv4 CIDR blocks per VPC")
DEFAULT_CIDR_BLOCKS_PER_VPC = 5
VPC_LIMITS_URL = "https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html"
VPC_CIDR_BLOCKS_URL = "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html"
SUBNET_SIZING_URL = "https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html"
SUBNET_CIDR_RESERVATION_URL = "https://docs.aws.amazon.com/vpc/latest/userguide/subnet-cidr-reservation.html"

# The shared address space (RFC 6598) EKS custom networking documents for pod subnets, tried first.
SHARED_ADDRESS_SPACE = Network("100.64.0.0/10")
RFC1918 = (Network("10.0.0.0/8"), Network("172.16.0.0/12"), Network("192.168.0.0/16"))
TEN, ONE_SEVENTY_TWO, ONE_NINETY_TWO = RFC1918
BENCHMARK_RANGE = Network("198.19.0.0/16")
LINK_LOCAL = Network("169.254.0.0/16")
# "Some AWS services use the 172.17.0.0/16 CIDR range. To avoid future conflicts, don't use this range".
DOCKER_BRIDGE = Network("172.17.0.0/16")


@dataclass(frozen=True)
class AssociationRule:
    """What a VPC whose primary CIDR lies in ``primary_in`` may add as a secondary CIDR: the RFC 1918
    ranges ``permitted_private`` (100.64.0.0/10 is permitted to every VPC), less ``restricted``."""

    primary_in: Network | None  # None: publicly routable, or 100.64.0.0/10
    permitted_private: tuple[Network, ...]
    restricted: tuple[Network, ...]


# The table "IPv4 CIDR block association restrictions" of VPC_CIDR_BLOCKS_URL, row by row:
# - 10.0.0.0/8: not the other RFC 1918 ranges, not 198.19.0.0/16 (and not 10.0.0.0/16 when a CIDR of
#   the VPC is in 10.0.0.0/15: see :func:`_restricted`); any other 10/8 block, 100.64.0.0/10 or public.
# - 172.16.0.0/12: not 10/8 nor 192.168/16, not 172.31.0.0/16, not 198.19.0.0/16.
# - 192.168.0.0/16: not 10/8 nor 172.16/12, not 198.19.0.0/16.
# - 198.19.0.0/16: no RFC 1918 range.
# - publicly routable or 100.64.0.0/10: no RFC 1918 range, not 198.19.0.0/16.
# 169.254.0.0/16 is never assignable. Public ranges are not proposed: they are not the user's to take.
ASSOCIATION_RULES = (
    AssociationRule(TEN, (TEN,), (ONE_SEVENTY_TWO, ONE_NINETY_TWO, BENCHMARK_RANGE)),
    AssociationRule(
        ONE_SEVENTY_TWO, (ONE_SEVENTY_TWO,), (TEN, ONE_NINETY_TWO, Network("172.31.0.0/16"), BENCHMARK_RANGE)
    ),
    AssociationRule(ONE_NINETY_TWO, (ONE_NINETY_TWO,), (TEN, ONE_SEVENTY_TWO, BENCHMARK_RANGE)),
    AssociationRule(BENCHMARK_RANGE, (), RFC1918),
    AssociationRule(None, (), (*RFC1918, BENCHMARK_RANGE)),
)
CLASSIC_RANGE, CLASSIC_TEN = Network("10.0.0.0/15"), Network("10.0.0.0/16")


def network(cidr: str | Network) -> Network:
    """``cidr`` as an IPv4 network (host bits set are cleared, as EC2 does)."""
    return cidr if isinstance(cidr, Network) else Network(cidr, strict=False)


def usable(prefix_length: int) -> int:
    """Addresses a subnet of this prefix length hands out: 2^(32 − n) − 5."""
    return 2 ** (32 - prefix_length) - AWS_RESERVED_IPS_PER_SUBNET


def smallest_prefix_for(addresses: int) -> int | None:
    """The longest prefix (/28 first) whose subnet holds ``addresses`` usable ones, or ``None``
    when not even a /16 does.

    >>> smallest_prefix_for(11), smallest_prefix_for(12), smallest_prefix_for(65532)
    (28, 27, None)
    """
    for prefix_length in range(SUBNET_PREFIX_MAX, SUBNET_PREFIX_MIN - 1, -1):
        if usable(prefix_length) >= addresses:
            return prefix_length
    return None


def free_blocks(cidrs: Iterable[str | Network], taken: Iterable[str | Network]) -> list[Network]:
    """The maximal aligned blocks of ``cidrs`` that overlap nothing ``taken``, in address order.

    Each CIDR is handled on its own (a subnet lies inside one VPC CIDR block), so two adjacent
    blocks never merge into one larger than either.

    >>> [str(b) for b in free_blocks(["10.0.0.0/24"], ["10.0.0.0/26", "10.0.0.192/28"])]
    ['10.0.0.64/26', '10.0.0.128/26', '10.0.0.208/28', '10.0.0.224/27']
    """
    used = sorted(network(c) for c in taken)
    found: list[Network] = []
    for cidr in sorted({network(c) for c in cidrs}):
        start, end = int(cidr.network_address), int(cidr.broadcast_address)
        cursor = start
        for block in used:
            first, last = int(block.network_address), int(block.broadcast_address)
            if last < cursor or first > end:
                continue
            if first > cursor:
                found.extend(_summarize(cursor, first - 1))
            cursor = max(cursor, last + 1)
        if cursor <= end:
            found.extend(_summarize(cursor, end))
    return sorted(found)


def _summarize(first: int, last: int) -> Iterable[Network]:
    return ipaddress.summarize_address_range(ipaddress.IPv4Address(first), ipaddress.IPv4Address(last))


def blocks_for(addresses: int, free: Sequence[Network]) -> list[Network] | None:
    """The fewest aligned subnets (/16 to /28) inside ``free`` whose usable addresses add up to at
    least ``addresses``, or ``None`` when ``free`` cannot hold them.

    The largest free blocks are taken whole until one block holds the rest; that last subnet is the
    smallest that does, placed at the start of the smallest free block that can hold it (best fit:
    large free blocks stay whole for later needs).

    >>> [str(b) for b in blocks_for(100, free_blocks(["10.0.0.0/24"], ["10.0.0.0/25"]))]
    ['10.0.0.128/25']
    >>> blocks_for(300, free_blocks(["10.0.0.0/24"], ["10.0.0.0/25"])) is None
    True
    """
    if addresses <= 0:
        return []
    pool = [b for b in free if b.prefixlen <= SUBNET_PREFIX_MAX]
    chosen: list[Network] = []
    remaining = addresses
    while pool:
        prefix_length = smallest_prefix_for(remaining)
        fitting = [b for b in pool if prefix_length is not None and b.prefixlen <= prefix_length]
        if fitting:
            host = min(fitting, key=lambda b: (b.num_addresses, b))
            chosen.append(next(host.subnets(new_prefix=prefix_length)))  # type: ignore[arg-type]
            return chosen
        biggest = max(pool, key=lambda b: (b.num_addresses, -int(b.network_address)))
        if biggest.prefixlen < SUBNET_PREFIX_MIN:  # wider than a subnet may be: take its first /16
            pool.remove(biggest)
            parts = list(biggest.subnets(new_prefix=SUBNET_PREFIX_MIN))
            pool.extend(parts)
            continue
        pool.remove(biggest)
        chosen.append(biggest)
        remaining -= usable(biggest.prefixlen)
    return None


@dataclass
class VpcSpace:
    """One VPC's address space while plans are made: its CIDR blocks and everything taken in them
    (existing subnets, then each proposal), so that two plans never propose overlapping blocks."""

    vpc_id: str
    cidrs: list[str]
    taken: list[Network] = field(default_factory=list)

    def free(self) -> list[Network]:
        return free_blocks(self.cidrs, self.taken)

    def propose(self, addresses: int, near: str | None = None) -> list[Network] | None:
        """The fewest new subnets holding ``addresses`` usable ones, now taken; ``None`` (and
        nothing taken) when the free space cannot hold them. With ``near`` (a subnet's CIDR), the
        VPC CIDR block holding it is tried first (pod subnets stay in the pod range)."""
        free = self.free()
        blocks = None
        if near is not None:
            home = [network(c) for c in self.cidrs if network(near).subnet_of(network(c))]
            blocks = blocks_for(addresses, [b for b in free if any(b.subnet_of(h) for h in home)])
        if blocks is None:
            blocks = blocks_for(addresses, free)
        if blocks:
            self.taken.extend(blocks)
        return blocks

    def add_cidr(self, cidr: str) -> None:
        self.cidrs.append(str(network(cidr)))


def _rule(primary: Network) -> AssociationRule:
    for rule in ASSOCIATION_RULES:
        if rule.primary_in is not None and primary.subnet_of(rule.primary_in):
            return rule
    return ASSOCIATION_RULES[-1]


def _restricted(vpc_cidrs: Sequence[Network], rule: AssociationRule) -> list[Network]:
    restricted = [*rule.restricted, LINK_LOCAL, DOCKER_BRIDGE]
    # "If any of the CIDR blocks associated with the VPC are from the 10.0.0.0/15 range ..., you
    # cannot add a CIDR block from the 10.0.0.0/16 range" (same table, 10.0.0.0/8 row).
    if rule.primary_in == TEN and any(c.overlaps(CLASSIC_RANGE) for c in vpc_cidrs):
        restricted.append(CLASSIC_TEN)
    return restricted


def secondary_pools(vpc_cidrs: Sequence[str]) -> list[Network]:
    """Where a secondary CIDR for this VPC may come from, in the order tried: 100.64.0.0/10, then
    the RFC 1918 range its primary CIDR (the first of ``vpc_cidrs``) permits.

    >>> [str(p) for p in secondary_pools(["10.0.0.0/16"])]
    ['100.64.0.0/10', '10.0.0.0/8']
    >>> [str(p) for p in secondary_pools(["100.64.0.0/16"])]
    ['100.64.0.0/10']
    """
    primary = network(vpc_cidrs[0])
    return [SHARED_ADDRESS_SPACE, *_rule(primary).permitted_private]


def choose_secondary_cidr(
    vpc_cidrs: Sequence[str], prefix_length: int, avoid: Iterable[str | Network] = ()
) -> Network | None:
    """A block of ``prefix_length`` (/16 to /28) the VPC may associate: inside one of
    :func:`secondary_pools` (100.64.0.0/10 first), outside every range the association table
    restricts for its primary CIDR, overlapping none of the VPC's CIDRs nor ``avoid`` (the region's
    other VPCs, peered networks, route destinations). The lowest such block of the first pool that
    has one; ``None`` when none has.

    >>> str(choose_secondary_cidr(["10.0.0.0/16"], 16, ["100.64.0.0/16"]))
    '100.65.0.0/16'
    """
    if not SUBNET_PREFIX_MIN <= prefix_length <= SUBNET_PREFIX_MAX:
        raise ValueError(f"/{prefix_length}: a VPC CIDR block is /{SUBNET_PREFIX_MIN} to /{SUBNET_PREFIX_MAX}")
    own = [network(c) for c in vpc_cidrs]
    blocked = [*own, *(network(c) for c in avoid), *_restricted(own, _rule(own[0]))]
    for pool in secondary_pools(vpc_cidrs):
        fitting = [b for b in free_blocks([pool], blocked) if b.prefixlen <= prefix_length]
        if fitting:
            return next(min(fitting).subnets(new_prefix=prefix_length))
    return None


def cidr_quota_reached(vpc_cidrs: Sequence[str], quota: int = DEFAULT_CIDR_BLOCKS_PER_VPC) -> bool:
    """Whether one more CIDR block would exceed the VPC's quota (5 by default, primary included)."""
    return len(vpc_cidrs) + 1 > quota


@dataclass(frozen=True)
class PrefixUsage:
    """What a prefix-delegation subnet holds, to choose the range to reserve: every address and
    prefix in use, and its existing CIDR reservations (any type)."""

    used_ips: tuple[str, ...] = ()
    used_prefixes: tuple[str, ...] = ()
    reservations: tuple[str, ...] = ()


@dataclass(frozen=True)
class PrefixReservation:
    """The range to reserve for prefix delegation in a subnet, and what it frees.

    ``addresses_in_use``: addresses assigned inside it now; they stay until released, and each
    released one is kept for /28 prefixes. ``prefix_blocks``: the /28s the range holds once empty;
    ``free_prefix_blocks_now``: those free today (EC2 can delegate them at once)."""

    subnet_id: str
    cidr: str
    addresses_in_use: int
    prefix_blocks: int
    free_prefix_blocks_now: int


def prefix_reservation(
    subnet_id: str,
    cidr: str,
    used_ips: Iterable[str],
    used_prefixes: Iterable[str] = (),
    *,
    blocks_wanted: int = 1,
    reservations: Iterable[str] = (),
) -> PrefixReservation | None:
    """The aligned range of ``blocks_wanted`` /28s (rounded up to a power of two) in the subnet with
    the fewest addresses in use, to reserve with ``create-subnet-cidr-reservation --reservation-type
    prefix``; ``None`` when no such range fits.

    The range avoids the first and the last /28 (they hold AWS's reserved addresses and can never be
    delegated) and every existing reservation (reservations in a VPC cannot overlap); ties go to the
    lowest address. What it frees is counted by :func:`~subnet_monitor.core.fragmentation.prefix_space`
    with the range as a prefix reservation.

    >>> r = prefix_reservation("subnet-1", "10.0.0.0/24", ["10.0.0.20", "10.0.0.70"], blocks_wanted=4)
    >>> r.cidr, r.addresses_in_use, r.prefix_blocks
    ('10.0.0.128/26', 0, 4)
    """
    subnet = network(cidr)
    used_ips, used_prefixes = list(used_ips), list(used_prefixes)
    blocks = subnet.num_addresses // PREFIX_BLOCK_SIZE
    span = 2 ** max(0, math.ceil(math.log2(max(blocks_wanted, 1))))
    length = PREFIX_BLOCK_PREFIX_LENGTH - (span.bit_length() - 1)
    if span > blocks - 2:
        return None
    base = int(subnet.network_address)
    per_block = [0] * blocks
    for ip in used_ips:
        offset = int(ipaddress.IPv4Address(ip)) - base
        if 0 <= offset < subnet.num_addresses:
            per_block[offset // PREFIX_BLOCK_SIZE] += 1
    for prefix in used_prefixes:
        block = network(prefix)
        offset = int(block.network_address) - base
        if 0 <= offset < subnet.num_addresses:
            for index in range(
                offset // PREFIX_BLOCK_SIZE, (offset + block.num_addresses - 1) // PREFIX_BLOCK_SIZE + 1
            ):
                per_block[index] += PREFIX_BLOCK_SIZE
    others = [network(r) for r in reservations]
    best: tuple[int, int] | None = None
    for start in range(0, blocks, span):
        if start == 0 or start + span >= blocks:
            continue  # touches the first or the last /28
        candidate = Network((base + start * PREFIX_BLOCK_SIZE, length))
        if any(candidate.overlaps(other) for other in others):
            continue
        in_use = sum(per_block[start : start + span])
        if best is None or in_use < best[0]:
            best = (in_use, start)
    if best is None:
        return None
    in_use, start = best
    chosen = Network((base + start * PREFIX_BLOCK_SIZE, length))
    space: PrefixSpace = prefix_space(
        str(subnet),
        used_ips,
        used_prefixes,
        explicit_reservations=[str(o) for o in others],
        prefix_reservations=[str(chosen)],
    )
    return PrefixReservation(
        subnet_id=subnet_id,
        cidr=str(chosen),
        addresses_in_use=in_use,
        prefix_blocks=span,
        free_prefix_blocks_now=space.free_blocks_in_prefix_reservations,
    )
