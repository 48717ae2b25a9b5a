"""The Prometheus metric contract of ``subnet-monitor serve`` (issue 16), as the dashboards and rules use it.

Read from the exporter itself (``render/prometheus.py``, scraped in-process), so a renamed metric
fails these tests rather than an operator's dashboard.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from subnet_monitor.core.config import ScanConfig
from subnet_monitor.core.models import SubnetCapacity, SubnetState, SubnetUse
from subnet_monitor.core.verdict import build_report
from subnet_monitor.render.prometheus import ExporterState, SnapshotCollector

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "examples" / "grafana"
PROMETHEUS = ROOT / "examples" / "prometheus"
RULES = PROMETHEUS / "subnet-monitor-rules.yml"
RULE_TESTS = PROMETHEUS / "subnet-monitor-rules.test.yml"


def _exported() -> dict[str, frozenset[str]]:
    """Metric name -> its labels, read from a scrape of the exporter's own collector over a snapshot
    where every figure is known: a renamed metric or label fails the dashboards' and rules' tests."""
    report = build_report(
        SubnetState("subnet-0a", "vpc-1", "eu-west-1a", "10.0.0.0/26", 10, tags={"Name": "a"}),
        SubnetUse(),
        ScanConfig(),
        SubnetCapacity(ips_needed_at_max=25, free_prefix_blocks=1, hours_to_exhaustion=1.0),
    )
    state = ExporterState(
        reports=(report,),
        successes=1,
        failures=1,
        scan_duration_seconds=1.0,
        scan_errors=0,
        last_success_timestamp_seconds=1.0,
        up_to_date=True,
    )
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(lambda: state))
    found: dict[str, frozenset[str]] = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for sample in family.samples:
            found[sample.name] = found.get(sample.name, frozenset()) | frozenset(sample.labels)
    return found


# Metric name -> the labels the exporter gives it.
METRICS: dict[str, frozenset[str]] = _exported()
# The labels Prometheus adds to every scraped series (target labels).
# https://prometheus.io/docs/concepts/jobs_instances/
TARGET_LABELS = frozenset({"job", "instance"})
# ALERTS{alertname, alertstate, <the rule's labels>}: the series Prometheus writes for pending and
# firing alerts; our rules add ``severity``.
# https://prometheus.io/docs/prometheus/latest/configuration/alerting_rules/#inspecting-alerts-during-runtime
ALERTS_LABELS = frozenset({"alertname", "alertstate", "severity"})
KNOWN_LABELS = frozenset().union(*METRICS.values()) | TARGET_LABELS | ALERTS_LABELS

NAME = re.compile(r"\bsubnet_monitor_[a-z_]+\b")
# A selector with matchers: metric{label="x", other=~"y"}.
SELECTOR = re.compile(r"\b(subnet_monitor_[a-z_]+|ALERTS)\{([^}]*)\}")
MATCHER_LABEL = re.compile(r"([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)")
# Label lists of by/without/on/ignoring/group_left/group_right (...), and label_values(..., label).
GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
LABEL_VALUES = re.compile(r"label_values\((?:.*,)?\s*(\w+)\s*\)$")


def names_in(expr: str) -> set[str]:
    """Every ``subnet_monitor_*`` metric name an expression reads."""
    return set(NAME.findall(expr))


def labels_in(expr: str) -> set[str]:
    """Every label an expression selects on, groups by, or joins on."""
    found = set()
    for _, matchers in SELECTOR.findall(expr):
        found |= set(MATCHER_LABEL.findall(matchers))
    for group in GROUPING.findall(expr):
        found |= {label.strip() for label in group.split(",") if label.strip()}
    found |= set(LABEL_VALUES.findall(expr.strip()))
    return found


def selector_problems(expr: str) -> list[str]:
    """Matchers on a label the selected metric does not have (``ALERTS`` has any rule label)."""
    problems = []
    for metric, matchers in SELECTOR.findall(expr):
        allowed = ALERTS_LABELS if metric == "ALERTS" else METRICS.get(metric, frozenset()) | TARGET_LABELS
        problems += [
            f"{metric} has no label {label}" for label in MATCHER_LABEL.findall(matchers) if label not in allowed
        ]
    return problems


def promtool() -> str | None:
    """Debian's ``prometheus`` package ships it (``apt-get install prometheus``)."""
    return shutil.which("promtool")


NO_PROMTOOL = "promtool is not installed (apt-get install prometheus)"
