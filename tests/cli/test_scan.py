"""The CLI: the report contract as JSON, the table, --fail-on exit codes, bad flags."""

from __future__ import annotations

import json
from pathlib import Path

import boto3
import pytest

from subnet_monitor.aws.clients import AwsClients
from subnet_monitor.cli import main
from subnet_monitor.render.text import COLUMNS
from tests.moto_estate import Vpc

CONTRACT_FIELDS = {
    "subnet_id",
    "vpc_id",
    "availability_zone",
    "cidr",
    "usable_ips",
    "available_ips",
    "used_ips",
    "utilization_percent",
    "roles",
    "workloads",
    "status",
    "status_reasons",
}
# The capacity fields that apply to these subnets: an ECS service (headroom) and ENIs (consumers).
# free_prefix_blocks and hours_to_exhaustion do not apply (no prefixes, no history) and are absent.
CAPACITY_FIELDS = {"ips_needed_at_max", "scale_headroom", "consumers", "findings", "finding_details"}


@pytest.fixture
def estate(vpc: Vpc) -> dict[str, str]:
    """A service over a nearly full /26 (WARNING at 85 %) and an empty /24."""
    warm, cold = vpc.subnet(prefix=26), vpc.subnet()
    vpc.consume(warm, 50)  # 50 of 59
    vpc.ecs_cluster("payments")
    vpc.ecs_service("payments", "api", [warm, cold])
    return {"warm": warm, "cold": cold}


def test_json_follows_the_report_contract(estate: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    # WHEN scanned with --json
    code = main(["scan", "--json"])

    # THEN stdout is a JSON list, one object per subnet, with the contract's fields only, fullest first
    assert code == 0
    report = json.loads(capsys.readouterr().out)
    assert [r["subnet_id"] for r in report] == [estate["warm"], estate["cold"]]
    assert all(set(r) == CONTRACT_FIELDS | CAPACITY_FIELDS for r in report)
    [finding] = report[0]["findings"]
    assert finding.startswith(f"subnet {estate['warm']}: 50 addresses are held by detached network interfaces")
    # AND the same finding, structured, beside the sentence
    [detail] = report[0]["finding_details"]
    assert detail == {
        "code": "consumers.detached-enis",
        "severity": "warning",
        "subject": estate["warm"],
        "message": finding.partition(" Fix: ")[0],
        "fix": finding.partition(" Fix: ")[2],
        "source": "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeNetworkInterfaces.html",
    }
    assert detail["fix"].startswith("find them with aws ec2 describe-network-interfaces")
    assert report[0] | {"subnet_id": "", "vpc_id": "", "findings": [], "finding_details": []} == {
        "subnet_id": "",
        "vpc_id": "",
        "availability_zone": "us-east-1a",
        "cidr": "10.0.0.0/26",
        "usable_ips": 59,
        "available_ips": 9,
        "used_ips": 50,
        "utilization_percent": 84.75,
        "roles": ["ecs-task"],
        "workloads": [{"kind": "ecs-service", "cluster": "payments", "name": "api"}],
        "status": "WARNING",
        "status_reasons": [
            {
                "code": "utilization.warning",
                "status": "WARNING",
                "reason": "84.75% used, at or above warningPercent (80%)",
            }
        ],
        # desiredCount 1 at maximumPercent 200 = 2 tasks, none running in moto: 2 more, 1 per subnet
        "ips_needed_at_max": 1,
        "scale_headroom": 8,
        "consumers": {"detached": 50},  # the test's ENI is attached to nothing
        "findings": [],
        "finding_details": [],
    }


def test_table_for_people(estate: dict[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == list(COLUMNS)
    # headroom 8 (9 free, 1 more task here at max), no /28 figure (no prefix mode), no forecast (no history)
    assert lines[1].split() == [
        *(estate["warm"], "us-east-1a", "10.0.0.0/26"),
        *("50", "59", "9", "84.8", "8", "-", "-", "WARNING", "ecs-task", "payments/api"),
    ]
    assert lines[2].split()[0] == estate["cold"]
    # AND why the warm subnet is not OK, then the findings
    assert lines[3:6] == [
        "",
        "why (status reasons):",
        f"- {estate['warm']} WARNING: 84.75% used, at or above warningPercent (80%) (utilization.warning)",
    ]
    assert lines[6:8] == ["", "findings (1):"]
    assert lines[8].startswith(f"- subnet {estate['warm']}: 50 addresses are held by detached network interfaces")


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--fail-on", "warning"], 1),
        (["--fail-on", "critical"], 0),
        (["--fail-on", "critical", "--critical", "84"], 1),
        (["--fail-on", "critical", "--min-free", "10"], 1),
        ([], 0),
    ],
)
def test_fail_on_exit_codes(estate: dict[str, str], argv: list[str], expected: int) -> None:
    assert main(["scan", "--json", *argv]) == expected


def test_fail_on_follows_the_verdict_not_utilization_alone(
    aws: boto3.Session, vpc: Vpc, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN a nearly empty /27 (1 of 27 addresses in use) whose service may scale to 30 tasks
    roomy = vpc.subnet(prefix=27)
    vpc.ecs_cluster("payments")
    vpc.ecs_service("payments", "api", [roomy])
    aws.client("application-autoscaling").register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId="service/payments/api",
        ScalableDimension="ecs:service:DesiredCount",
        MinCapacity=1,
        MaxCapacity=30,
    )
    # WHEN gated on warnings: 30 tasks surge to 60 in a rolling deployment, far more than the 27 free
    assert main(["scan", "--json", "--fail-on", "warning"]) == 1
    [report] = json.loads(capsys.readouterr().out)
    # THEN the pipeline stops although utilization is below every threshold, and the report says why
    assert report["utilization_percent"] < 80
    assert report["status"] == "WARNING"
    assert [r["code"] for r in report["status_reasons"]] == ["headroom.short-at-max"]
    # AND a gate on CRITICAL lets it through: nothing fails until the service scales that far
    assert main(["scan", "--json", "--fail-on", "critical"]) == 0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--subnet-id", "subnet-xyz"], "--subnet-id: 'subnet-xyz' is not a subnet ID"),
        (["--warning", "95"], "--warning: 95.0 must be below criticalPercent (90)"),
        (["--critical", "120"], "--critical: 120.0 must be a number between 0 and 100"),
        (["--tag", "team"], "--tag: 'team' must be KEY=VALUE"),
        (["--cluster", "bad name!"], "--cluster: 'bad name!' is not a valid ECS/EKS cluster name"),
    ],
)
def test_bad_flags_are_refused_naming_the_flag(
    aws: object, argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["scan", *argv]) == 2
    assert message in capsys.readouterr().err


def test_empty_region_exits_zero_with_an_empty_report(aws: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--json", "--fail-on", "warning"]) == 0
    assert json.loads(capsys.readouterr().out) == []


def test_publish_only_on_request(
    aws: boto3.Session, estate: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cloudwatch = aws.client("cloudwatch")
    assert main(["scan"]) == 0
    assert cloudwatch.list_metrics(Namespace="Custom/VPC")["Metrics"] == []
    assert main(["scan", "--publish"]) == 0
    # the default metrics setting: AvailableIPCount and SubnetStatus for each of the two subnets
    names = sorted(m["MetricName"] for m in cloudwatch.list_metrics(Namespace="Custom/VPC")["Metrics"])
    assert names == ["AvailableIPCount"] * 2 + ["SubnetStatus"] * 2
    assert "published 4 datums to CloudWatch in 1 calls" in capsys.readouterr().err
    # AND the config file's "metrics" setting is the CLI's too: detailed adds IPUtilization and ScaleHeadroom
    config = tmp_path / "detailed.json"
    config.write_text('{"metrics": "detailed"}')
    assert main(["scan", "--publish", "--config", str(config)]) == 0
    assert len(cloudwatch.list_metrics(Namespace="Custom/VPC")["Metrics"]) == 8
    assert "published 8 datums to CloudWatch in 1 calls" in capsys.readouterr().err


def test_honours_aws_endpoint_url(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN AWS_ENDPOINT_URL (as make demo sets it for its moto server)
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")

    # WHEN the CLI's clients are built THEN every one of them goes there
    clients = AwsClients.from_session(boto3.Session(region_name="us-east-1"))
    assert {c.meta.endpoint_url for c in vars(clients).values()} == {"http://127.0.0.1:4566"}
