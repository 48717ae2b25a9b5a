"""The Lambda handler end to end on moto: metrics read back from CloudWatch, logs, health."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest

from subnet_monitor.core.config import ConfigError, ScanConfig
from tests.conftest import Invoke
from tests.moto_estate import Vpc


def read_back(aws: boto3.Session, subnet_id: str) -> dict[str, float]:
    """The latest value of each per-subnet metric, as CloudWatch returns it."""
    now = datetime.now(UTC)
    queries = [
        {
            "Id": name[0].lower() + name[1:],
            "MetricStat": {
                "Metric": {
                    "Namespace": "Custom/VPC",
                    "MetricName": name,
                    "Dimensions": [{"Name": "SubnetId", "Value": subnet_id}],
                },
                "Period": 60,
                "Stat": "Maximum",
            },
        }
        for name in ("AvailableIPCount", "IPUtilization", "SubnetStatus")
    ]
    results = aws.client("cloudwatch").get_metric_data(
        MetricDataQueries=queries, StartTime=now - timedelta(minutes=10), EndTime=now + timedelta(minutes=5)
    )["MetricDataResults"]
    names = {query["Id"]: query["MetricStat"]["Metric"]["MetricName"] for query in queries}
    return {names[result["Id"]]: result["Values"][0] for result in results if result["Values"]}


def test_handler_publishes_logs_and_reports_health(aws: boto3.Session, vpc: Vpc, invoke: Invoke) -> None:
    # GIVEN a service over two subnets, one of them 92 % full, and an unused subnet
    full, roomy, unused = vpc.subnet(prefix=26), vpc.subnet(), vpc.subnet()
    vpc.consume(full, 54)  # /26: 59 usable, 5 left
    vpc.ecs_cluster("payments")
    vpc.ecs_service("payments", "checkout", [full, roomy])

    # WHEN the schedule invokes the handler with the default configuration
    result = invoke(ScanConfig())
    summary = result.summary

    # THEN the summary counts the subnets and says everything was published
    assert summary["subnets"] == 2
    assert summary["status"] == {"OK": 1, "WARNING": 0, "CRITICAL": 1}
    assert summary["errors"] == []
    assert (summary["metrics_published"], summary["metrics_not_published"]) == (4, 0)

    # AND CloudWatch holds the default setting's metrics per subnet, under the SubnetId dimension only:
    # AvailableIPCount and SubnetStatus, the verdict (2 CRITICAL, 0 OK)
    assert read_back(aws, full) == {"AvailableIPCount": 5.0, "SubnetStatus": 2.0}
    assert read_back(aws, roomy) == {"AvailableIPCount": 251.0, "SubnetStatus": 0.0}
    assert read_back(aws, unused) == {}
    listed = aws.client("cloudwatch").list_metrics(Namespace="Custom/VPC", MetricName="SubnetStatus")["Metrics"]
    assert {tuple(d["Name"] for d in m["Dimensions"]) for m in listed} == {("SubnetId",)}

    # AND one structured record per subnet, and the EMF health metrics, reach the log
    reports = result.subnet_reports()
    assert set(reports) == {full, roomy}
    assert reports[full]["status"] == "CRITICAL"
    # with why: the log record carries the verdict's reasons, as the JSON report does
    assert [r["code"] for r in reports[full]["status_reasons"]] == ["utilization.critical"]
    assert reports[roomy]["status_reasons"] == []
    assert reports[full]["roles"] == ["ecs-task"]
    assert reports[full]["workloads"] == [{"kind": "ecs-service", "cluster": "payments", "name": "checkout"}]
    assert reports[full]["cidr"].endswith("/26")
    # with every finding twice, as the sentence and structured
    assert [d["message"] + (f" Fix: {d['fix']}" if d["fix"] else "") for d in reports[full]["finding_details"]] == (
        reports[full]["findings"]
    )
    emf = result.health()
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Custom/VPC"
    assert emf["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["service"]]
    assert (emf["SubnetsScanned"], emf["ScanErrors"]) == ([2.0], [0.0])
    assert emf["ScanDuration"][0] > 0
    # AND the counts the verdict alarms watch: one subnet at risk, and it is CRITICAL
    assert (emf["SubnetsAtRisk"], emf["SubnetsCritical"]) == ([1.0], [1.0])


@pytest.mark.parametrize(
    ("metrics", "published"),
    [
        ("lean", {"AvailableIPCount": 5.0}),
        ("detailed", {"AvailableIPCount": 5.0, "IPUtilization": 91.53, "SubnetStatus": 2.0}),
    ],
)
def test_the_metrics_setting_decides_what_reaches_cloudwatch(
    aws: boto3.Session, vpc: Vpc, invoke: Invoke, metrics: str, published: dict[str, float]
) -> None:
    # GIVEN a service on a subnet 92 % full
    full = vpc.subnet(prefix=26)
    vpc.consume(full, 54)
    vpc.ecs_cluster("payments")
    vpc.ecs_service("payments", "checkout", [full])

    # WHEN the collector runs with the setting
    result = invoke(ScanConfig(metrics=metrics))

    # THEN CloudWatch holds that setting's series (AvailableIPCount in every one)
    assert read_back(aws, full) == published
    # AND the verdict and its reasons are in the log record and the counts whatever the setting
    assert result.subnet_reports()[full]["status"] == "CRITICAL"
    assert (result.health()["SubnetsAtRisk"], result.health()["SubnetsCritical"]) == ([1.0], [1.0])


def test_handler_refuses_a_bad_environment_naming_the_variable(invoke: Invoke) -> None:
    # GIVEN a hand-edited environment with a warning threshold that is not a number
    env = {"SUBNET_MONITOR_SCAN_CONFIG": '{"warningPercent":"eighty"}'}

    # WHEN invoked THEN it fails before any AWS call, naming the variable and the value
    with pytest.raises(ValueError, match=r"SUBNET_MONITOR_SCAN_CONFIG.warningPercent: 'eighty' must be a number"):
        invoke(env=env)


def test_handler_refuses_a_deeply_nested_environment_naming_the_variable(invoke: Invoke) -> None:
    # GIVEN a tag selector nested thousands deep (a RecursionError before issue 14)
    env = {"SUBNET_MONITOR_SCAN_CONFIG": '{"subnetTags": {"team": ' + "[" * 3000 + "]" * 3000 + "}}"}

    # WHEN invoked THEN it fails at start with a ConfigError naming the variable, the value cut short
    with pytest.raises(ConfigError, match=r"^SUBNET_MONITOR_SCAN_CONFIG: '\{\"subnetTags.{60,80} nests deeper than 32"):
        invoke(env=env)
