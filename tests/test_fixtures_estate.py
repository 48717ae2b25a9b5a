"""The demo's whole estate, scanned in-process: every subnet's roles and figures as seeded."""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest
from moto.moto_api import state_manager

from fixtures.estate import Estate, hold_ecs_tasks_running, seed_estate
from subnet_monitor.aws.clients import AwsClients
from subnet_monitor.core.config import ScanConfig, TagSelector
from subnet_monitor.scan import run_scan


@pytest.fixture
def estate(aws: boto3.Session) -> Iterator[Estate]:
    seeded = seed_estate(aws.client)
    hold_ecs_tasks_running()
    yield seeded
    state_manager.unset_transition("ecs::task")


def test_every_seeded_subnet_is_found_with_its_roles_and_figures(clients: AwsClients, estate: Estate) -> None:
    # WHEN the estate is scanned with the demo's tag selector
    key, value = estate.tag_selector
    outcome = run_scan(clients, ScanConfig(subnet_tags=(TagSelector(key, (value,)),)), publish=False)
    reports = {r.subnet_id: r for r in outcome.reports}

    # THEN every subnet a cluster uses is reported with exactly the seeded roles
    assert outcome.errors == []
    for subnet_id in estate.used_subnet_ids:
        name = estate.name_of(subnet_id)
        assert {str(r) for r in reports[subnet_id].roles} == {str(r) for r in estate.roles[name]}, name
        assert reports[subnet_id].available_ips == estate.expected_available(name), name
        assert reports[subnet_id].utilization_percent == round(estate.expected_utilization(name), 2), name
    # AND the tagged subnet is explicit, and the subnets nothing uses are not reported
    assert {str(r) for r in reports[estate.subnet_id("data-b")].roles} == {"explicit"}
    assert set(reports) == estate.used_subnet_ids | {estate.subnet_id("data-b")}
    # AND the statuses span the thresholds: one CRITICAL (> 90 %), two WARNING (80-90 %) and also short at max,
    # and three WARNING well below 80 % whose workloads cannot reach their maximum (the verdict, docs/verdict.md)
    statuses = sorted(str(r.status) for r in outcome.reports)
    assert (statuses.count("CRITICAL"), statuses.count("WARNING")) == (1, 5)
    short_only = {
        estate.name_of(r.subnet_id)
        for r in outcome.reports
        if [reason.code for reason in r.status_reasons] == ["headroom.short-at-max"]
    }
    assert short_only == {"ecs-tasks-a", "ecs-fargate-b", "eks-nodes-c"}
    assert all(reports[estate.subnet_id(name)].utilization_percent < 80 for name in short_only)
    # AND under custom networking the small pod subnet is the one short, not the node subnets
    pods_a = reports[estate.subnet_id("eks-cn-pods-a")].to_dict()
    assert str(pods_a["status"]) == "WARNING"
    assert pods_a["scale_headroom"] < 0
    assert [f["code"] for f in pods_a["finding_details"]] == ["headroom.short-at-max"]
    assert "node group analytics/spark's pods need" in pods_a["findings"][0]
    for name in ("eks-cn-nodes-a", "eks-cn-nodes-b", "eks-cn-pods-b"):
        report = reports[estate.subnet_id(name)].to_dict()
        assert str(report["status"]) == "OK", name
        assert report["scale_headroom"] > 0, name
