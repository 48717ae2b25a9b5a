"""Sizing arithmetic of the design check: what a subnet must hold at maximum scale, whether a
prefix length holds it with the margin, the smallest one that does, a free block to propose, and
the service CIDR EKS picks when none is set. Pure: no AWS, no I/O.
"""

from __future__ import annotations

import ipaddress
import math
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache

from subnet_monitor.core.capacity import IPS_PER_PREFIX
from subnet_monitor.core.fragmentation import prefix_space
from subnet_monitor.core.subnet import SUBNET_PREFIX_MAX, SUBNET_PREFIX_MIN

# "If you don't specify a block, Kubernetes assigns addresses from either the 10.100.0.0/16 or
# 172.20.0.0/16 CIDR blocks"; which one: 172.20.0.0/16 when a VPC CIDR starts with 10.
DEFAULT_SERVICE_CIDR = "10.100.0.0/16"
DEFAULT_SERVICE_CIDR_FOR_10_VPC = "172.20.0.0/16"
TEN_RANGE = ipaddress.IPv4Network("10.0.0.0/8")
# Free blocks as a bit mask, bit p for a free aligned block of prefix length p; FREE_FROM[p] is a
# wholly free block of prefix length p (it holds free blocks of every length from p to 32).
FREE_FROM = [(1 << 33) - (1 << p) for p in range(33)]


@dataclass(frozen=True)
class AddressNeed:
    """What a subnet must hold at maximum scale: ``addresses`` in all and, for a prefix-delegation
    subnet, how many of them are aligned /28 ``prefix_blocks`` and how many ``singles``."""

    addresses: int
    prefix_blocks: int | None = None
    singles: int = 0


def with_margin(count: int, margin_percent: float) -> int:
    """``count`` plus the margin, rounded up (exact: no float rounding at whole numbers).

    >>> with_margin(100, 20)
    120
    >>> with_margin(7, 20)
    9
    """
    return math.ceil(Fraction(count) * (100 + Fraction(str(margin_percent))) / 100)


@cache
def empty_free_blocks(prefix_length: int) -> int:
    # The /28 blocks EC2 could delegate in an empty subnet of this size (not the first and the
    # last: they hold AWS's reserved addresses), from the monitor's own fragmentation model.
    return prefix_space(f"10.0.0.0/{prefix_length}").free_blocks


def fits(prefix_length: int, need: AddressNeed, margin_percent: float = 0) -> bool:
    """Whether a subnet of ``prefix_length`` holds ``need`` with ``margin_percent`` to spare.

    Addresses: need + margin ≤ 2^(32 − prefix) − 5. Prefix delegation also needs the prefixes
    (+ margin) as free aligned /28 blocks, with the single addresses (+ margin) packed into the
    reserved edge blocks first and then into whole blocks of their own: the best layout EC2 can
    reach (single addresses kept out of the prefixes' range, e.g. by a prefix CIDR reservation).
    """
    usable = 2 ** (32 - prefix_length) - 5
    if with_margin(need.addresses, margin_percent) > usable:
        return False
    if need.prefix_blocks is None:
        return True
    blocks = empty_free_blocks(prefix_length)
    edge = usable - blocks * IPS_PER_PREFIX
    prefixes = with_margin(need.prefix_blocks, margin_percent)
    singles = with_margin(need.singles, margin_percent)
    return prefixes + math.ceil(max(0, singles - edge) / IPS_PER_PREFIX) <= blocks


def smallest_fitting_prefix(need: AddressNeed, margin_percent: float = 0) -> int | None:
    """The prefix length of the smallest subnet (/28 down to /16) that holds ``need`` with the
    margin, or ``None`` when not even a /16 does.

    >>> smallest_fitting_prefix(AddressNeed(addresses=300), 20)
    23
    """
    for prefix_length in range(SUBNET_PREFIX_MAX, SUBNET_PREFIX_MIN - 1, -1):
        if fits(prefix_length, need, margin_percent):
            return prefix_length
    return None


class FreeBlocks:
    """Where the sizing rule finds a free block to propose: each VPC's CIDRs less what is taken there.

    Taken in a VPC: its subnets (the asking subnet's own range is given back for its question:
    :meth:`first`), the ``other_cidrs`` it holds, and, wherever they overlap it, the ``peered``
    networks and every block :meth:`take` took (the proposals so far, so that no two collide).

    Each CIDR of a VPC is an :class:`_AlignedBlocks` tree, so a question or a taken block costs a
    walk of at most 32 levels, however many subnets the VPC has: proposing a block for each of
    20,000 subnets stays linear (comparing each candidate with every taken block did not).

    >>> free = FreeBlocks({"main": ["10.0.0.0/24"]}, {"main": ["10.0.0.0/26"]}, {}, ["10.0.0.64/27"])
    >>> free.first("main", 26), free.first("main", 26, own="10.0.0.0/26")
    ('10.0.0.128/26', '10.0.0.0/26')
    >>> free.take("10.0.0.128/25")
    >>> free.first("main", 27), free.first("main", 26)
    ('10.0.0.96/27', None)
    """

    def __init__(
        self,
        vpcs: Mapping[str, Sequence[str]],
        subnets: Mapping[str, Sequence[str]],
        other_cidrs: Mapping[str, Sequence[str]],
        peered: Iterable[str],
    ) -> None:
        """``vpcs``: each VPC's CIDRs in order (the proposals follow it); ``subnets`` and
        ``other_cidrs``: the CIDRs taken in each VPC."""
        self._trees = {vpc: [_AlignedBlocks(ipaddress.IPv4Network(c)) for c in cidrs] for vpc, cidrs in vpcs.items()}
        # Every tree by its range, to find those a block overlaps (CIDRs nest or are disjoint).
        self._by_range: dict[tuple[int, int], list[_AlignedBlocks]] = defaultdict(list)
        for tree in (tree for trees in self._trees.values() for tree in trees):
            self._by_range[tree.start, tree.prefix].append(tree)
        self._starts = sorted(self._by_range)
        for vpc, trees in self._trees.items():
            for cidr in (*subnets.get(vpc, ()), *other_cidrs.get(vpc, ())):
                network = ipaddress.IPv4Network(cidr)
                for tree in trees:
                    tree.count(network, 1)
        for cidr in peered:
            self.take(cidr)

    def take(self, cidr: str) -> None:
        """Count ``cidr`` as taken in every VPC it overlaps (a proposed block, a peered network)."""
        network = ipaddress.IPv4Network(cidr)
        start, prefix = int(network.network_address), network.prefixlen
        # The trees holding the block are its supernets; those inside it (or equal) start within it.
        ranges = {(start & _netmask(p), p) for p in range(prefix)}
        index = bisect_left(self._starts, (start, prefix))
        while index < len(self._starts) and self._starts[index][0] < start + network.num_addresses:
            ranges.add(self._starts[index])
            index += 1
        for key in ranges:
            for tree in self._by_range.get(key, ()):
                tree.count(network, 1)

    def first(self, vpc: str, prefix_length: int, own: str | None = None) -> str | None:
        """The first aligned block of ``prefix_length`` in the VPC's CIDRs (in their order, each from
        its lowest address) that overlaps nothing taken, counting the asking subnet's ``own`` CIDR
        (one of the VPC's subnets) as free; ``None`` if there is none."""
        trees = self._trees.get(vpc, ())
        own_network = ipaddress.IPv4Network(own) if own is not None else None
        for tree in trees:
            if own_network is not None:
                tree.count(own_network, -1)
            start = tree.first_free(prefix_length)
            if own_network is not None:
                tree.count(own_network, 1)
            if start is not None:
                return f"{ipaddress.IPv4Address(start)}/{prefix_length}"
        return None


def _netmask(prefix: int) -> int:
    """The netmask of ``prefix`` as an integer."""
    return (1 << 32) - (1 << (32 - prefix))


class _AlignedBlocks:
    """The aligned blocks of one CIDR as a binary tree: a node is a block (start, prefix length), its
    children its two halves. A taken CIDR is counted at the one node it covers (the root when it
    holds the whole CIDR); each counted node and its ancestors keep how many are counted at or below
    them and which prefix lengths have a wholly free block below them (a bit mask), so the first free
    block of a size is one walk down from the root. Only nodes with something counted are stored."""

    def __init__(self, network: ipaddress.IPv4Network) -> None:
        self.start, self.prefix = int(network.network_address), network.prefixlen
        self._end = self.start + network.num_addresses
        self._taken: dict[tuple[int, int], int] = defaultdict(int)  # counted exactly at the node
        self._below: dict[tuple[int, int], int] = defaultdict(int)  # counted at or below the node
        self._free: dict[tuple[int, int], int] = {}  # the bit mask of a node with something below

    def count(self, network: ipaddress.IPv4Network, change: int) -> None:
        """Count ``network`` as taken (``change`` 1) or give it back (-1); one outside does nothing."""
        start = int(network.network_address)
        if start >= self._end or start + network.num_addresses <= self.start:
            return
        node = (start, network.prefixlen) if network.prefixlen > self.prefix else (self.start, self.prefix)
        self._taken[node] += change
        while True:  # the node, then its ancestors up to the root
            self._below[node] += change
            self._free[node] = self._recount(node)
            if node[1] == self.prefix:
                return
            node = (node[0] & _netmask(node[1] - 1), node[1] - 1)

    def _mask(self, node: tuple[int, int]) -> int:
        """The prefix lengths with a wholly free block at or below ``node``, as bits."""
        return self._free[node] if self._below.get(node) else FREE_FROM[node[1]]

    def _recount(self, node: tuple[int, int]) -> int:
        """:meth:`_mask` of ``node`` from its children's (after a change at or below it)."""
        start, prefix = node
        if not self._below[node]:
            return FREE_FROM[prefix]
        if self._taken.get(node) or prefix == 32:
            return 0
        return self._mask((start, prefix + 1)) | self._mask((start + (1 << (31 - prefix)), prefix + 1))

    def first_free(self, prefix_length: int) -> int | None:
        """The start of the lowest aligned block of ``prefix_length`` in the CIDR that nothing counted
        overlaps, or ``None`` (also when the CIDR is smaller than the block)."""
        node = (self.start, self.prefix)
        if not self.prefix <= prefix_length <= 32 or not self._mask(node) >> prefix_length & 1:
            return None
        while node[1] < prefix_length and self._below.get(node):
            start, prefix = node
            left = (start, prefix + 1)
            node = left if self._mask(left) >> prefix_length & 1 else (start + (1 << (31 - prefix)), prefix + 1)
        return node[0]


def default_service_cidr(vpc_cidrs: Iterable[str]) -> str:
    """The service CIDR EKS gives a cluster created without one: 172.20.0.0/16 when a VPC CIDR
    lies in 10.0.0.0/8, else 10.100.0.0/16.

    >>> default_service_cidr(["10.0.0.0/16"]), default_service_cidr(["192.168.0.0/16"])
    ('172.20.0.0/16', '10.100.0.0/16')
    """
    if any(ipaddress.IPv4Network(c).subnet_of(TEN_RANGE) for c in vpc_cidrs):
        return DEFAULT_SERVICE_CIDR_FOR_10_VPC
    return DEFAULT_SERVICE_CIDR
