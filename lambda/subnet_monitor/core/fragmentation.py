"""Prefix-delegation fragmentation: can this subnet still hand out an aligned /28? Pure: no AWS, no I/O.

A subnet can have hundreds of free addresses and still no room for a prefix: EC2 hands out IPv4
prefixes only as aligned /28 blocks, so one address in use anywhere in a block spoils the whole
block. This module counts the blocks that are still wholly free, finds the largest free aligned
block, and says what to do when free addresses remain but no free /28 does.

How the layout is read (each rule with its source):

- Every delegated IPv4 prefix is a /28 and must not overlap any prefix or address already
  assigned in the subnet ("The IPv4 prefix that you can specify is /28 ... does not overlap with
  other prefixes or IP addresses assigned to existing resources in the subnet").
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-prefix-eni.html
- AWS reserves the first four addresses and the last one of every subnet, so the first and the
  last /28 of a subnet can never be delegated.
  https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html
- A subnet CIDR reservation of type ``explicit`` is a range "AWS does not use": it is never picked
  automatically, so a /28 that touches one is not available for prefix delegation.
- A reservation of type ``prefix`` is the opposite: it is where AWS *takes* automatic prefixes
  from ("If the subnet ... has a subnet CIDR reservation of type prefix, we select the prefixes
  from the subnet CIDR reservation"), and no single address is handed out of it. A free /28
  wholly inside a prefix reservation therefore counts as free; a /28 that only partly overlaps
  one is neither a reservation block nor an ordinary one, so it counts as blocked.
  https://docs.aws.amazon.com/vpc/latest/userguide/subnet-cidr-reservation.html
  https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/work-with-prefixes.html
- Addresses inside any reservation are not free for single-address assignment. EC2 appears to
  leave them out of ``AvailableIpAddressCount`` too (awslabs/kubernetes-iteration-toolkit#511:
  reserving a whole subnet for prefixes drops the count to 0); not confirmed in AWS documentation.

Cost is O(addresses + blocks): one pass over the inputs marks per-block flags, one pass over the
blocks counts, and the largest free block is found by merging aligned pairs level by level.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from subnet_monitor.core.findings import Finding, Severity
from subnet_monitor.core.subnet import SUBNET_PREFIX_MAX, SUBNET_PREFIX_MIN

# An IPv4 prefix delegated to a network interface is a /28: 16 addresses.
# https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-prefix-eni.html ("Basics")
PREFIX_BLOCK_PREFIX_LENGTH = 28
PREFIX_BLOCK_SIZE = 2 ** (32 - PREFIX_BLOCK_PREFIX_LENGTH)
_BLOCK_SHIFT = 32 - PREFIX_BLOCK_PREFIX_LENGTH  # offset >> 4 is the block index

# AWS reserves the first four addresses (network, VPC router, DNS, future use) and the last one.
# https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html
AWS_RESERVED_LEADING_ADDRESSES = 4
AWS_RESERVED_TRAILING_ADDRESSES = 1

# Subnet CIDR reservation types (EC2 API ``ReservationType``: prefix | explicit).
# https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_CreateSubnetCidrReservation.html
RESERVATION_TYPE_PREFIX = "prefix"
RESERVATION_TYPE_EXPLICIT = "explicit"

# Where the fix for a fragmented prefix subnet is documented: "Using IP prefixes can fail if IP
# addresses are scattered throughout the subnet CIDR. We recommend ... a subnet CIDR reservation
# ... [or] new subnets that are specifically used for running the workloads that IP prefixes are
# assigned to."
FRAGMENTATION_FIX_URL = "https://docs.aws.amazon.com/eks/latest/userguide/cni-increase-ip-addresses-procedure.html"

# Finding codes: free addresses but no free /28; fewer free /28s than minFreePrefixBlocks asks for.
NO_FREE_PREFIX = "fragmentation.no-free-prefix"
FEW_FREE_PREFIXES = "fragmentation.few-free-prefixes"


@dataclass(frozen=True)
class PrefixSpace:
    """Room for delegated /28 prefixes in one subnet.

    Attributes
    ----------
    cidr
        The subnet's IPv4 CIDR.
    total_blocks
        Aligned /28 blocks in the subnet, 2^(28 − prefix length).
    free_blocks
        Aligned /28 blocks EC2 could delegate now: no address or prefix in use, no AWS-reserved
        address, no explicit reservation, and either outside every reservation or wholly inside a
        prefix reservation. This is ``FreePrefixBlocks``.
    free_blocks_in_prefix_reservations
        How many of ``free_blocks`` lie inside prefix reservations.
    largest_free_block_prefix
        Prefix length of the largest aligned block made only of free /28s (26 for a free aligned
        /26), or ``None`` when no /28 is free.
    free_addresses
        Addresses EC2 can still assign one at a time: not in use, not AWS-reserved, not inside a
        subnet CIDR reservation.
    free_addresses_outside_blocks
        The part of ``free_addresses`` stranded in /28s that are not free: usable as single
        addresses (secondary IPs, task ENIs) but never as a prefix.
    """

    cidr: str
    total_blocks: int
    free_blocks: int
    free_blocks_in_prefix_reservations: int
    largest_free_block_prefix: int | None
    free_addresses: int
    free_addresses_outside_blocks: int

    @property
    def is_fragmented(self) -> bool:
        """Free addresses exist, but not one free /28 to delegate."""
        return self.free_blocks == 0 and self.free_addresses > 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "cidr": self.cidr,
            "total_blocks": self.total_blocks,
            "free_blocks": self.free_blocks,
            "free_blocks_in_prefix_reservations": self.free_blocks_in_prefix_reservations,
            "largest_free_block_prefix": self.largest_free_block_prefix,
            "free_addresses": self.free_addresses,
            "free_addresses_outside_blocks": self.free_addresses_outside_blocks,
        }


class _Layout:
    """Per-block flags for one subnet, filled in one pass over the inputs."""

    def __init__(self, network: ipaddress.IPv4Network) -> None:
        self.base = int(network.network_address)
        self.size = network.num_addresses
        self.blocks = self.size // PREFIX_BLOCK_SIZE
        # Some address of the block is in use (IP, delegated prefix or AWS-reserved).
        self.occupied = bytearray(self.blocks)
        # The block touches an explicit reservation, or only part of a prefix reservation.
        self.reserved_against = bytearray(self.blocks)
        # The block lies wholly inside a prefix reservation.
        self.in_prefix_reservation = bytearray(self.blocks)
        # The whole block is taken by a range (prefix or reservation): no single address is free.
        self.whole_block_taken = bytearray(self.blocks)
        # Offsets of single addresses taken outside whole-block ranges (deduplicated).
        self.taken_offsets: set[int] = set()

    def clip(self, network: ipaddress.IPv4Network) -> tuple[int, int] | None:
        """Offsets [first, last] of ``network`` inside the subnet, or None when disjoint."""
        first = max(int(network.network_address) - self.base, 0)
        last = min(int(network.broadcast_address) - self.base, self.size - 1)
        return (first, last) if first <= last else None

    def spans(self, cidrs: Iterable[str]) -> Iterator[tuple[int, int]]:
        """The clipped offset spans of the ``cidrs`` that overlap the subnet."""
        for cidr in cidrs:
            span = self.clip(_network(cidr))
            if span is not None:
                yield span

    def take_address(self, offset: int) -> None:
        self.occupied[offset >> _BLOCK_SHIFT] = 1
        self.taken_offsets.add(offset)

    def take_range(self, first: int, last: int) -> None:
        """Mark [first, last] taken for single-address use (a prefix or a reservation)."""
        if last - first + 1 >= PREFIX_BLOCK_SIZE:
            # A CIDR of /28 or larger is aligned on /28 boundaries: it covers whole blocks.
            for block in _blocks(first, last):
                self.whole_block_taken[block] = 1
        else:
            self.taken_offsets.update(range(first, last + 1))

    def free_addresses(self) -> int:
        taken_per_block = Counter(offset >> _BLOCK_SHIFT for offset in self.taken_offsets)
        return sum(
            PREFIX_BLOCK_SIZE - taken_per_block[block]
            for block in range(self.blocks)
            if not self.whole_block_taken[block]
        )


def _blocks(first: int, last: int) -> range:
    """Indexes of the /28 blocks that offsets [first, last] touch."""
    return range(first >> _BLOCK_SHIFT, (last >> _BLOCK_SHIFT) + 1)


def _network(cidr: str) -> ipaddress.IPv4Network:
    # strict=False: a CIDR written with host bits set still names its enclosing network.
    return ipaddress.IPv4Network(cidr, strict=False)


def _largest_free_block_prefix(free: list[bool]) -> int | None:
    """Merge aligned pairs of free blocks level by level; O(blocks) in total."""
    if not any(free):
        return None
    prefix = PREFIX_BLOCK_PREFIX_LENGTH
    level = free
    while len(level) > 1:
        level = [level[i] and level[i + 1] for i in range(0, len(level) - 1, 2)]
        if not any(level):
            break
        prefix -= 1
    return prefix


def prefix_space(
    cidr: str,
    used_ips: Iterable[str] = (),
    used_prefixes: Iterable[str] = (),
    *,
    explicit_reservations: Iterable[str] = (),
    prefix_reservations: Iterable[str] = (),
) -> PrefixSpace:
    """Count the aligned /28 blocks EC2 could still delegate in one subnet.

    Parameters
    ----------
    cidr
        The subnet's IPv4 CIDR, /16 to /28.
    used_ips
        Every private IPv4 address in use in the subnet: the primary and secondary addresses of
        every network interface, attached or not.
    used_prefixes
        Every IPv4 prefix delegated to a network interface in the subnet (normally /28).
    explicit_reservations, prefix_reservations
        The subnet's IPv4 CIDR reservations, by ``ReservationType``
        (``DescribeSubnetCidrReservations`` → ``SubnetIpv4CidrReservations``).

    Addresses and ranges outside ``cidr`` are ignored; ranges that straddle it are clipped.

    Returns
    -------
    PrefixSpace

    Raises
    ------
    ValueError
        when ``cidr`` is not an IPv4 network between /16 and /28, or an address or range is not
        IPv4.

    Examples
    --------
    An empty /24 keeps 14 of its 16 blocks: the first holds the four reserved leading addresses,
    the last the reserved broadcast address.

    >>> space = prefix_space("10.0.0.0/24")
    >>> (space.total_blocks, space.free_blocks, space.largest_free_block_prefix)
    (16, 14, 26)
    """
    network = ipaddress.IPv4Network(cidr)
    if not SUBNET_PREFIX_MIN <= network.prefixlen <= SUBNET_PREFIX_MAX:
        raise ValueError(f"{cidr}: an IPv4 subnet is between /{SUBNET_PREFIX_MIN} and /{SUBNET_PREFIX_MAX}")
    layout = _Layout(network)

    for offset in range(AWS_RESERVED_LEADING_ADDRESSES):
        layout.take_address(offset)
    for offset in range(layout.size - AWS_RESERVED_TRAILING_ADDRESSES, layout.size):
        layout.take_address(offset)

    for ip in used_ips:
        offset = int(ipaddress.IPv4Address(ip)) - layout.base
        if 0 <= offset < layout.size:
            layout.take_address(offset)

    for first, last in layout.spans(used_prefixes):
        for block in _blocks(first, last):
            layout.occupied[block] = 1
        layout.take_range(first, last)

    for first, last in layout.spans(explicit_reservations):
        for block in _blocks(first, last):
            layout.reserved_against[block] = 1
        layout.take_range(first, last)

    for first, last in layout.spans(prefix_reservations):
        for block in _blocks(first, last):
            block_first = block << _BLOCK_SHIFT
            wholly_inside = first <= block_first and block_first + PREFIX_BLOCK_SIZE - 1 <= last
            if wholly_inside:
                layout.in_prefix_reservation[block] = 1
            else:
                layout.reserved_against[block] = 1
        layout.take_range(first, last)

    free = [not (layout.occupied[b] or layout.reserved_against[b]) for b in range(layout.blocks)]
    free_blocks = sum(free)
    in_reservations = sum(1 for b in range(layout.blocks) if free[b] and layout.in_prefix_reservation[b])
    free_addresses = layout.free_addresses()
    # A free block outside every reservation holds 16 free addresses; the rest are stranded.
    free_in_open_blocks = (free_blocks - in_reservations) * PREFIX_BLOCK_SIZE
    return PrefixSpace(
        cidr=str(network),
        total_blocks=layout.blocks,
        free_blocks=free_blocks,
        free_blocks_in_prefix_reservations=in_reservations,
        largest_free_block_prefix=_largest_free_block_prefix(free),
        free_addresses=free_addresses,
        free_addresses_outside_blocks=free_addresses - free_in_open_blocks,
    )


def reservations_by_type(reservations: Iterable[Mapping[str, Any]]) -> tuple[list[str], list[str]]:
    """Split ``SubnetIpv4CidrReservations`` items into (explicit CIDRs, prefix CIDRs).

    A type this module does not know is treated as ``explicit``: a range AWS will not hand out.
    """
    explicit: list[str] = []
    prefix: list[str] = []
    for reservation in reservations:
        kind = reservation.get("ReservationType")
        (prefix if kind == RESERVATION_TYPE_PREFIX else explicit).append(reservation["Cidr"])
    return explicit, prefix


def fragmentation_finding(subnet_id: str, space: PrefixSpace) -> Finding | None:
    """A finding for a prefix subnet with free addresses but no free /28, else ``None``.

    EC2 answers such a request with ``InsufficientCidrBlocks`` ("The specified subnet does not
    have enough free cidr blocks to satisfy the request"), which the VPC CNI logs when it cannot
    add a prefix; pods then stay pending although the subnet shows free addresses. The fix is the
    one the EKS user guide recommends: a subnet CIDR reservation of type ``prefix`` so that
    addresses released inside it are kept for /28s, or a new subnet for the prefix-mode nodes.

    >>> fragmentation_finding("subnet-0a", prefix_space("10.0.0.0/24")) is None
    True
    """
    if not space.is_fragmented:
        return None
    return Finding(
        code=NO_FREE_PREFIX,
        severity=Severity.ERROR,
        subject=subnet_id,
        message=(
            f"{subnet_id} ({space.cidr}): {space.free_addresses} addresses are free but no aligned /28 is, "
            "so prefix delegation (VPC CNI prefix mode) cannot add a prefix here and EC2 answers "
            "InsufficientCidrBlocks."
        ),
        fix=(
            "create a subnet CIDR reservation of type prefix over a range that is emptying "
            "(aws ec2 create-subnet-cidr-reservation --reservation-type prefix "
            f"--subnet-id {subnet_id} --cidr <aligned range>) so released addresses are kept together "
            "for /28 prefixes, or move the prefix-mode nodes to a new, larger subnet. "
            f"See {FRAGMENTATION_FIX_URL}"
        ),
        source=FRAGMENTATION_FIX_URL,
    )
