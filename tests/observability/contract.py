"""The Prometheus metric contract of ``subnet-monitor serve`` (issue 16), as the dashboards and rules use it.

Copied from the contract agreed for the exporter (docs/grafana.md lists it). Once the exporter is
merged, this table should be read from the exporter's own constants instead, so a renamed metric
fails these tests rather than an operator's dashboard.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GRAFANA = ROOT / "examples" / "grafana"
PROMETHEUS = ROOT / "examples" / "prometheus"
RULES = PROMETHEUS / "subnet-monitor-rules.yml"
RULE_TESTS = PROMETHEUS / "subnet-monitor-rules.test.yml"

SUBNET_LABELS = frozenset({"subnet_id", "vpc_id", "availability_zone"})

# Metric name -> the labels the exporter gives it.
METRICS: dict[str, frozenset[str]] = {
    "subnet_monitor_subnet_available_ips": SUBNET_LABELS,
    "subnet_monitor_subnet_usable_ips": SUBNET_LABELS,
    "subnet_monitor_subnet_utilization_ratio": SUBNET_LABELS,
    "subnet_monitor_subnet_scale_headroom_ips": SUBNET_LABELS,
    "subnet_monitor_subnet_free_prefix_blocks": SUBNET_LABELS,
    "subnet_monitor_subnet_exhaustion_seconds": SUBNET_LABELS,
    "subnet_monitor_subnet_status": SUBNET_LABELS,
    "subnet_monitor_subnet_info": SUBNET_LABELS | {"cidr", "name", "roles", "clusters"},
    "subnet_monitor_scans_total": frozenset({"result"}),
    "subnet_monitor_scan_duration_seconds": frozenset(),
    "subnet_monitor_scan_errors": frozenset(),
    "subnet_monitor_last_success_timestamp_seconds": frozenset(),
    "subnet_monitor_up_to_date": frozenset(),
}
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
