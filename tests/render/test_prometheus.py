"""The exporter's metric families (render/prometheus.py), read back with prometheus_client's own parser
of the text exposition format: what Prometheus would ingest. No Prometheus needed."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry

from subnet_monitor.core.config import ScanConfig
from subnet_monitor.core.models import Role, SubnetCapacity, SubnetReport, SubnetState, SubnetUse, Workload
from subnet_monitor.core.verdict import build_report
from subnet_monitor.render.prometheus import ExporterState, SnapshotCollector

SUBNET_LABELS = {"subnet_id", "vpc_id", "availability_zone"}
# A /26: 64 - 5 = 59 usable (https://docs.aws.amazon.com/vpc/latest/userguide/subnet-sizing.html).
USABLE_26 = 59


def scraped(state: ExporterState) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Samples by name, as a scrape of a registry holding only the collector returns them."""
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(lambda: state))
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((sample.labels, sample.value))
    return samples


def by_subnet(samples: dict[str, list[tuple[dict[str, str], float]]], name: str) -> dict[str, float]:
    return {labels["subnet_id"]: value for labels, value in samples.get(name, [])}


def by_result(samples: dict[str, list[tuple[dict[str, str], float]]]) -> dict[str, float]:
    return {labels["result"]: value for labels, value in samples["subnet_monitor_scans_total"]}


def payments_subnet() -> SubnetReport:
    """Nearly full (83 %), no free /28 where prefixes are searched: CRITICAL (core/verdict.py), with every
    capacity figure known."""
    use = SubnetUse(
        roles={Role.ECS_TASK, Role.EKS_NODE},
        workloads={
            Workload("ecs-service", "payments", "api"),
            Workload("eks-nodegroup", "apps", "general"),
            Workload("ecs-service", "payments", "worker"),
        },
    )
    state = SubnetState("subnet-0a", "vpc-1", "eu-west-1a", "10.0.0.0/26", 10, tags={"Name": "payments-a"})
    capacity = SubnetCapacity(ips_needed_at_max=25, free_prefix_blocks=0, hours_to_exhaustion=1.5)
    return build_report(state, use, ScanConfig(), capacity)


def bare_subnet() -> SubnetReport:
    """Measured only: no capacity model (headroom, /28 blocks, forecast unknown), no Name tag."""
    return build_report(SubnetState("subnet-0b", "vpc-1", "eu-west-1b", "10.0.1.0/26", 59), SubnetUse(), ScanConfig())


def test_each_subnet_gauge_carries_the_reports_figure_in_base_units() -> None:
    samples = scraped(ExporterState(reports=(payments_subnet(), bare_subnet())))
    assert by_subnet(samples, "subnet_monitor_subnet_available_ips") == {"subnet-0a": 10, "subnet-0b": 59}
    assert by_subnet(samples, "subnet_monitor_subnet_usable_ips") == {"subnet-0a": USABLE_26, "subnet-0b": USABLE_26}
    assert by_subnet(samples, "subnet_monitor_subnet_utilization_ratio") == {
        "subnet-0a": (USABLE_26 - 10) / USABLE_26,
        "subnet-0b": 0.0,
    }
    # 10 free, 25 needed at max: 15 short. 1.5 hours, in seconds. Status: the verdict, CRITICAL=2 (no free /28), OK=0.
    assert by_subnet(samples, "subnet_monitor_subnet_scale_headroom_ips") == {"subnet-0a": -15}
    assert by_subnet(samples, "subnet_monitor_subnet_free_prefix_blocks") == {"subnet-0a": 0}
    assert by_subnet(samples, "subnet_monitor_subnet_exhaustion_seconds") == {"subnet-0a": 5400}
    assert by_subnet(samples, "subnet_monitor_subnet_status") == {"subnet-0a": 2, "subnet-0b": 0}


def test_an_unknown_figure_is_absent_never_a_zero() -> None:
    samples = scraped(ExporterState(reports=(bare_subnet(),)))
    for name in (
        "subnet_monitor_subnet_scale_headroom_ips",
        "subnet_monitor_subnet_free_prefix_blocks",
        "subnet_monitor_subnet_exhaustion_seconds",
    ):
        assert name not in samples


def test_gauges_are_labelled_by_subnet_vpc_and_zone_only_and_the_rest_is_on_the_info_series() -> None:
    samples = scraped(ExporterState(reports=(payments_subnet(), bare_subnet())))
    for name, series in samples.items():
        if name.startswith("subnet_monitor_subnet_") and name != "subnet_monitor_subnet_info":
            assert all(set(labels) == SUBNET_LABELS for labels, _ in series), name
    info = {labels["subnet_id"]: (labels, value) for labels, value in samples["subnet_monitor_subnet_info"]}
    assert info["subnet-0a"] == (
        {
            "subnet_id": "subnet-0a",
            "vpc_id": "vpc-1",
            "availability_zone": "eu-west-1a",
            "cidr": "10.0.0.0/26",
            "name": "payments-a",
            "roles": "ecs-task,eks-node",
            "clusters": "apps,payments",
        },
        1,
    )
    assert info["subnet-0b"][0] == {
        "subnet_id": "subnet-0b",
        "vpc_id": "vpc-1",
        "availability_zone": "eu-west-1b",
        "cidr": "10.0.1.0/26",
        "name": "",
        "roles": "",
        "clusters": "",
    }


def test_scan_health_counts_by_result_and_says_when_the_values_are_stale() -> None:
    state = ExporterState(
        reports=(bare_subnet(),),
        successes=3,
        failures=2,
        scan_duration_seconds=1.25,
        scan_errors=4,
        last_success_timestamp_seconds=1_800_000_000.0,
        up_to_date=False,
    )
    samples = scraped(state)
    assert by_result(samples) == {"success": 3, "failure": 2}
    assert samples["subnet_monitor_scan_duration_seconds"] == [({}, 1.25)]
    assert samples["subnet_monitor_scan_errors"] == [({}, 4)]
    assert samples["subnet_monitor_last_success_timestamp_seconds"] == [({}, 1_800_000_000.0)]
    assert samples["subnet_monitor_up_to_date"] == [({}, 0)]
    # The last good values are still served beside the stale flag.
    assert by_subnet(samples, "subnet_monitor_subnet_available_ips") == {"subnet-0b": 59}


def test_before_the_first_scan_only_the_scan_counters_are_served() -> None:
    samples = scraped(ExporterState())
    assert set(samples) == {"subnet_monitor_scans_total"}
    assert by_result(samples) == {"success": 0, "failure": 0}
