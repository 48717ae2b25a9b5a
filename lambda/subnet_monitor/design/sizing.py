"""Sizing arithmetic of the design check: what a subnet must hold at maximum scale, whether a
prefix length holds it with the margin, the smallest one that does, a free block to propose, and
the service CIDR EKS picks when none is set. Pure: no AWS, no I/O.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Iterable, Sequence
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


def free_block(vpc_cidrs: Sequence[str], taken: Iterable[str], prefix_length: int) -> str | None:
    """The first aligned block of ``prefix_length`` inside the VPC's CIDRs that overlaps nothing
    ``taken``, or ``None``."""
    used = [ipaddress.IPv4Network(c) for c in taken]
    for cidr in vpc_cidrs:
        network = ipaddress.IPv4Network(cidr)
        if prefix_length < network.prefixlen:
            continue
        for candidate in network.subnets(new_prefix=prefix_length):
            if not any(candidate.overlaps(other) for other in used):
                return str(candidate)
    return None


def default_service_cidr(vpc_cidrs: Iterable[str]) -> str:
    """The service CIDR EKS gives a cluster created without one: 172.20.0.0/16 when a VPC CIDR
    lies in 10.0.0.0/8, else 10.100.0.0/16.

    >>> default_service_cidr(["10.0.0.0/16"]), default_service_cidr(["192.168.0.0/16"])
    ('172.20.0.0/16', '10.100.0.0/16')
    """
    if any(ipaddress.IPv4Network(c).subnet_of(TEN_RANGE) for c in vpc_cidrs):
        return DEFAULT_SERVICE_CIDR_FOR_10_VPC
    return DEFAULT_SERVICE_CIDR
