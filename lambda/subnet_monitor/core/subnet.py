"""Subnet arithmetic: usable addresses, utilization, the order people read. Pure: no AWS imports, no I/O.

The judgement (status and its reasons) is core/verdict.py."""

from __future__ import annotations

import ipaddress

from subnet_monitor.core.models import Role, SubnetReport

# AWS reserves the first four addresses and the last one of every subnet CIDR block
# (network, VPC router, DNS, future use, broadcast).
# https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html
AWS_RESERVED_IPS_PER_SUBNET = 5
# IPv4 subnets are between /16 and /28. (same page)
SUBNET_PREFIX_MIN = 16
SUBNET_PREFIX_MAX = 28

# Roles in the order a person reads them in a table.
ROLE_ORDER = tuple(Role)


def usable_ips(cidr: str) -> int:
    """Addresses a subnet can hand out: 2^(32 − prefix) − 5.

    >>> usable_ips("10.0.0.0/24")
    251
    >>> usable_ips("10.0.0.0/28")
    11

    Raises
    ------
    ValueError
        when ``cidr`` is not an IPv4 network between /16 and /28.
    """
    network = ipaddress.IPv4Network(cidr)
    if not SUBNET_PREFIX_MIN <= network.prefixlen <= SUBNET_PREFIX_MAX:
        raise ValueError(f"{cidr}: an IPv4 subnet is between /{SUBNET_PREFIX_MIN} and /{SUBNET_PREFIX_MAX}")
    return network.num_addresses - AWS_RESERVED_IPS_PER_SUBNET


def utilization_percent(usable: int, available: int) -> float:
    """(usable − available) / usable × 100, rounded to two decimals."""
    return round((usable - available) / usable * 100, 2)


def sort_for_people(reports: list[SubnetReport]) -> list[SubnetReport]:
    """Fullest first; ties by fewest free addresses, then subnet ID."""
    return sorted(reports, key=lambda r: (-r.utilization_percent, r.available_ips, r.subnet_id))
