"""The exporter's metrics (``subnet-monitor serve``, docs/prometheus.md) from the last good scan.

Pure: :func:`metric_families` turns an :class:`ExporterState` (the reports of the last successful
scan and the scan health) into Prometheus metric families; :class:`SnapshotCollector` hands them to
``prometheus_client`` on each scrape, so a scrape reads a snapshot and never starts a scan.

Only the CLI imports this module: the Lambda never loads ``prometheus_client`` (an import-linter
contract in pyproject.toml keeps it so). The names are a contract shared with the shipped Grafana
dashboards and alert rules; they follow https://prometheus.io/docs/practices/naming/ (base units:
seconds, ratios 0..1; ``_total`` on counters) and change only on purpose.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from subnet_monitor.core.models import Status, SubnetReport

PREFIX = "subnet_monitor"
# Per-subnet series carry these labels only; names, roles and clusters are on the info metric, so a
# changed tag or a new workload does not start new series for every gauge.
SUBNET_LABELS = ("subnet_id", "vpc_id", "availability_zone")
INFO_LABELS = (*SUBNET_LABELS, "cidr", "name", "roles", "clusters")
STATUS_VALUE = {Status.OK: 0, Status.WARNING: 1, Status.CRITICAL: 2}
SECONDS_PER_HOUR = 3600
RESULT_SUCCESS = "success"
RESULT_FAILURE = "failure"


@dataclass(frozen=True)
class ExporterState:
    """What a scrape serves. ``None`` means "not known yet" and is not exported.

    ``reports`` are the last successful scan's (``None`` before the first); ``scan_errors`` counts the
    errors of the last scan that returned a result; ``up_to_date`` is whether the latest scan attempt
    succeeded (``None`` until the first attempt ends).
    """

    reports: tuple[SubnetReport, ...] | None = None
    successes: int = 0
    failures: int = 0
    scan_duration_seconds: float | None = None
    scan_errors: int | None = None
    last_success_timestamp_seconds: float | None = None
    up_to_date: bool | None = None


def _gauge(name: str, documentation: str, labels: tuple[str, ...] = SUBNET_LABELS) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"{PREFIX}_{name}", documentation, labels=list(labels))


def _subnet_values(report: SubnetReport) -> dict[str, float | None]:
    """Each per-subnet gauge's value; ``None`` (not applicable or unknown) is left out."""
    capacity = report.capacity
    hours = capacity.hours_to_exhaustion if capacity is not None else None
    return {
        "subnet_available_ips": report.available_ips,
        "subnet_usable_ips": report.usable_ips,
        # From the counts, not the report's rounded percent. A subnet has at least 11 usable addresses
        # (a /28 less AWS's 5), so the division is always defined.
        "subnet_utilization_ratio": report.used_ips / report.usable_ips if report.usable_ips else None,
        "subnet_scale_headroom_ips": report.scale_headroom,
        "subnet_free_prefix_blocks": capacity.free_prefix_blocks if capacity is not None else None,
        "subnet_exhaustion_seconds": hours * SECONDS_PER_HOUR if hours is not None else None,
        "subnet_status": STATUS_VALUE[report.status],
    }


SUBNET_HELP = {
    "subnet_available_ips": "Free IPv4 addresses in the subnet (EC2 AvailableIpAddressCount).",
    "subnet_usable_ips": "Usable IPv4 addresses in the subnet: its size less the 5 AWS reserves.",
    "subnet_utilization_ratio": "Used / usable addresses, 0 to 1.",
    "subnet_scale_headroom_ips": (
        "Free addresses less what the subnet's workloads need at their maximum (negative: they cannot scale out)."
    ),
    "subnet_free_prefix_blocks": "Free aligned /28 blocks (what a VPC CNI prefix or an ENI prefix needs).",
    "subnet_exhaustion_seconds": "Time until the subnet is out of addresses at the recent rate of consumption.",
    "subnet_status": "The verdict: 0 OK, 1 WARNING, 2 CRITICAL.",
}


def _joined(values: set[str]) -> str:
    return ",".join(sorted(values))


def subnet_families(reports: tuple[SubnetReport, ...]) -> list[Metric]:
    """The per-subnet gauges and the ``subnet_monitor_subnet_info`` series (value 1) that carries the
    CIDR, Name tag, roles and clusters."""
    gauges = {name: _gauge(name, documentation) for name, documentation in SUBNET_HELP.items()}
    info = _gauge(
        "subnet_info",
        "Always 1: the subnet's CIDR, Name tag, roles and clusters, to join on subnet_id.",
        INFO_LABELS,
    )
    for report in reports:
        labels = [report.subnet_id, report.vpc_id, report.availability_zone]
        for name, value in _subnet_values(report).items():
            if value is not None:
                gauges[name].add_metric(labels, value)
        clusters = {workload.cluster for workload in report.workloads if workload.cluster}
        roles = {str(role) for role in report.roles}
        info.add_metric([*labels, report.cidr, report.name or "", _joined(roles), _joined(clusters)], 1)
    return [*gauges.values(), info]


def health_families(state: ExporterState) -> list[Metric]:
    """The exporter's own metrics: scans run, the last scan's duration and errors, the last success."""
    scans = CounterMetricFamily(f"{PREFIX}_scans", "Scans run by the exporter, by result.", labels=["result"])
    scans.add_metric([RESULT_SUCCESS], state.successes)
    scans.add_metric([RESULT_FAILURE], state.failures)
    optional: list[tuple[str, str, float | None]] = [
        ("scan_duration_seconds", "Duration of the latest scan attempt.", state.scan_duration_seconds),
        ("scan_errors", "Errors (failed API calls or clusters) in the last scan that completed.", state.scan_errors),
        (
            "last_success_timestamp_seconds",
            "Unix time of the last successful scan.",
            state.last_success_timestamp_seconds,
        ),
        (
            "up_to_date",
            "1 when the values served are from the latest scan attempt, 0 when it failed and older values are served.",
            None if state.up_to_date is None else int(state.up_to_date),
        ),
    ]
    families: list[Metric] = [scans]
    for name, documentation, value in optional:
        family = _gauge(name, documentation, ())
        if value is not None:
            family.add_metric([], value)
        families.append(family)
    return families


def metric_families(state: ExporterState) -> list[Metric]:
    """Everything a scrape returns for ``state``; per-subnet series only once a scan has succeeded."""
    return [*subnet_families(state.reports or ()), *health_families(state)]


class SnapshotCollector(Collector):
    """A ``prometheus_client`` collector over whatever ``current()`` returns at scrape time."""

    def __init__(self, current: Callable[[], ExporterState]) -> None:
        self._current = current

    def collect(self) -> Iterator[Metric]:
        yield from metric_families(self._current())

    def describe(self) -> Iterator[Metric]:
        # The names, without reading a snapshot: registering the collector must not wait on a scan.
        yield from metric_families(ExporterState())
