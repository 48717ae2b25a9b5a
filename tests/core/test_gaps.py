"""Gaps: figures a failed read feeds are absent, consumers add up to used_ips, never plainly OK."""

from __future__ import annotations

from subnet_monitor.core.gaps import ENIS_EXCEED_USED, VISIBILITY_PARTIAL, with_gaps
from subnet_monitor.core.models import Discovery, SubnetCapacity, SubnetState

SUBNET = "subnet-0123456789abcdef0"
OTHER = "subnet-0fedcba9876543210"


def state(subnet_id: str, available: int) -> SubnetState:
    return SubnetState(subnet_id, "vpc-1", "eu-west-1a", "10.0.0.0/24", available)  # 251 usable


def test_enis_holding_more_than_used_keep_consumers_and_say_so() -> None:
    # GIVEN 10 addresses in use and ENIs that hold 12 (two created after the subnet was read)
    capacities = {SUBNET: SubnetCapacity(consumers={"eks_node_pod": 12})}

    # WHEN the gaps are applied
    [capacity] = with_gaps(capacities, Discovery(), {SUBNET: state(SUBNET, 241)}).values()

    # THEN nothing is invented or taken away, and a gap says by how many they differ
    assert capacity.consumers == {"eks_node_pod": 12}
    [gap] = capacity.gaps
    assert (gap.read, gap.affects) == (ENIS_EXCEED_USED, ())
    assert "2 addresses more than the 10" in gap.reason
    [finding] = capacity.findings
    assert (finding.code, finding.fix) == (VISIBILITY_PARTIAL, None)


def test_one_read_failing_twice_is_one_gap_with_what_both_leave_unknown() -> None:
    # GIVEN an ENI read that failed for a subnet, recorded for its figures and for its node group's headroom
    found = Discovery()
    found.missing("ec2:DescribeNetworkInterfaces", "Throttling", ("consumers",), subnets=[SUBNET])
    found.missing("ec2:DescribeNetworkInterfaces", "Throttling", ("ips_needed_at_max",), subnets=[SUBNET])
    capacities = {
        SUBNET: SubnetCapacity(ips_needed_at_max=40, consumers={}),
        OTHER: SubnetCapacity(ips_needed_at_max=40, consumers={"ecs_task": 1}),
    }

    # WHEN the gaps are applied
    result = with_gaps(capacities, found, {SUBNET: state(SUBNET, 251), OTHER: state(OTHER, 250)})

    # THEN that subnet has one gap and neither figure; the other subnet is untouched
    [gap] = result[SUBNET].gaps
    assert gap.affects == ("consumers", "ips_needed_at_max")
    assert (result[SUBNET].consumers, result[SUBNET].ips_needed_at_max) == (None, None)
    assert result[OTHER] == capacities[OTHER]
