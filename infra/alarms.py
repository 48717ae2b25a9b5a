"""Alarms: each subnet's verdict through Metrics Insights, and the monitor's own health."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.timing import Timing
from subnet_monitor.core.metrics import (
    DIMENSION_SUBNET,
    NAMESPACE,
    SCAN_ERRORS,
    SERVICE,
    STATUS_LEVEL,
    SUBNET_STATUS,
    SUBNETS_SCANNED,
)
from subnet_monitor.core.models import Status

# Powertools Metrics adds this dimension to every EMF metric; its value is POWERTOOLS_SERVICE_NAME.
SERVICE_DIMENSION = "service"
SCHEMA = f'SCHEMA("{NAMESPACE}", {DIMENSION_SUBNET})'
# The label of the account a metric belongs to, in a monitoring account of CloudWatch cross-account
# observability (not a dimension, so SCHEMA(...) still matches the SubnetId-only metrics).
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html
ACCOUNT_LABEL = "AWS.AccountId"


# Sort order that puts the subnets closest to their threshold first.
WORST_FIRST = {"MAX": "DESC", "MIN": "ASC"}


def per_subnet_query(function: str, metric: str, *, by_account: bool = False) -> str:
    """A multi-time-series Metrics Insights query: one series (alarm contributor) per subnet.

    CloudWatch requires both GROUP BY and ORDER BY in a multi-time-series alarm query; ordering
    worst first also decides which subnets are evaluated when more than 500 report (a query
    returns at most 500 series).
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Metrics_Insights_Alarm.html

    ``by_account`` (the monitoring account of cross-account observability, whose queries span every
    linked account) makes each series one subnet of one account, so a contributor names both.

    >>> per_subnet_query("MAX", "IPUtilization")
    'SELECT MAX(IPUtilization) FROM SCHEMA("Custom/VPC", SubnetId) GROUP BY SubnetId ORDER BY MAX() DESC'
    >>> per_subnet_query("MIN", "AvailableIPCount", by_account=True).partition(" GROUP BY ")[2]
    'AWS.AccountId, SubnetId ORDER BY MIN() ASC'
    """
    order = f"ORDER BY {function}() {WORST_FIRST[function]}"
    group = f"{ACCOUNT_LABEL}, {DIMENSION_SUBNET}" if by_account else DIMENSION_SUBNET
    return f"SELECT {function}({metric}) FROM {SCHEMA} GROUP BY {group} {order}"


def health_metric(name: str, statistic: str, period: Duration) -> cloudwatch.Metric:
    """A monitor-health metric the handler emits through Powertools EMF."""
    return cloudwatch.Metric(
        namespace=NAMESPACE,
        metric_name=name,
        dimensions_map={SERVICE_DIMENSION: SERVICE},
        statistic=statistic,
        period=period,
    )


class MonitorAlarms(Construct):
    """Every alarm of the stack; each sends its ALARM and OK transitions to ``topic``.

    The two per-subnet alarms query ``SubnetStatus`` (the verdict: 0 OK, 1 WARNING, 2 CRITICAL) in
    ``SCHEMA("Custom/VPC", SubnetId) ... GROUP BY SubnetId``, so a subnet
    discovered after the deploy is covered without one, and each breaching subnet is its own
    contributor. Missing data keeps the current state: a subnet's datapoint arrives once per
    scan, and Metrics Insights alarms see only the most recent 3 hours.

    Attributes
    ----------
    warning (a subnet WARNING or worse), critical (a subnet CRITICAL), heartbeat, function_errors,
    scan_errors, all (every alarm, for the dashboard)

    With ``by_account`` (the monitoring account of cross-account observability) the per-subnet
    queries group by ``AWS.AccountId, SubnetId`` and so cover every linked account; the health
    alarms stay on this account's own monitor.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        timing: Timing,
        function: lambda_.IFunction,
        topic: sns.ITopic,
        by_account: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        self._prefix = Stack.of(self).stack_name
        self._by_account = by_account
        self._action = actions.SnsAction(topic)
        period = Duration.seconds(timing.alarm_period)
        # One pair of alarms on the verdict (core/verdict.py) rather than one alarm per signal: every
        # signal reaches them (utilization, minFreeIps, headroom, free /28s, the forecast, EKS health,
        # the control plane's minimum), each subnet once, and CloudWatch bills 2 alarm metrics a subnet.
        verdict = self._query("MAX", SUBNET_STATUS)
        self.warning = self._per_subnet(
            "SubnetWarning",
            query=verdict,
            period=period,
            threshold=STATUS_LEVEL[Status.WARNING],
            operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            description=(
                "A subnet's status is WARNING or CRITICAL: its status_reasons (the collector's subnet_report "
                "log record, or subnet-monitor scan) say why."
            ),
        )
        self.critical = self._per_subnet(
            "SubnetCritical",
            query=verdict,
            period=period,
            threshold=STATUS_LEVEL[Status.CRITICAL],
            operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            description=(
                "A subnet's status is CRITICAL: its status_reasons (the collector's subnet_report log record, "
                "or subnet-monitor scan) say why."
            ),
        )
        heartbeat_period = Duration.seconds(timing.heartbeat_period)
        self.heartbeat = self._alarm(
            "Heartbeat",
            metric=health_metric(SUBNETS_SCANNED, cloudwatch.Stats.SAMPLE_COUNT, heartbeat_period),
            threshold=1,
            operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            evaluation_periods=timing.heartbeat_evaluation_periods,
            # No data is exactly what a stopped monitor looks like.
            missing=cloudwatch.TreatMissingData.BREACHING,
            description=(
                f"No scan reported for {timing.heartbeat_window // 60} minutes: the monitor is not running "
                "(schedule disabled, function failing before it reports, or permissions removed)."
            ),
        )
        self.function_errors = self._alarm(
            "FunctionErrors",
            metric=function.metric_errors(period=period, statistic=cloudwatch.Stats.SUM),
            threshold=1,
            operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            missing=cloudwatch.TreatMissingData.NOT_BREACHING,
            description="The collector function failed (see its log group).",
        )
        self.scan_errors = self._alarm(
            "ScanErrors",
            metric=health_metric(SCAN_ERRORS, cloudwatch.Stats.MAXIMUM, period),
            threshold=1,
            operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            missing=cloudwatch.TreatMissingData.NOT_BREACHING,
            description=(
                "A scan finished but could not read part of the estate (a cluster, a subnet or a metric "
                'batch); Logs Insights: filter message = "scan_error".'
            ),
        )
        self.all = [
            alarm
            for alarm in (
                self.critical,
                self.warning,
                self.heartbeat,
                self.function_errors,
                self.scan_errors,
            )
            if alarm is not None
        ]

    def _query(self, function: str, metric: str) -> str:
        return per_subnet_query(function, metric, by_account=self._by_account)

    def _per_subnet(
        self,
        id_: str,
        *,
        query: str,
        period: Duration,
        threshold: float,
        operator: cloudwatch.ComparisonOperator,
        description: str,
        missing: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.IGNORE,
    ) -> cloudwatch.Alarm:
        return self._alarm(
            id_,
            metric=cloudwatch.MathExpression(expression=query, period=period),
            threshold=threshold,
            operator=operator,
            evaluation_periods=1,
            missing=missing,
            description=description,
        )

    def _alarm(
        self,
        id_: str,
        *,
        metric: cloudwatch.IMetric,
        threshold: float,
        operator: cloudwatch.ComparisonOperator,
        evaluation_periods: int,
        missing: cloudwatch.TreatMissingData,
        description: str,
    ) -> cloudwatch.Alarm:
        alarm = cloudwatch.Alarm(
            self,
            id_,
            alarm_name=f"{self._prefix}-{id_}",
            alarm_description=description,
            metric=metric,
            threshold=threshold,
            comparison_operator=operator,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=evaluation_periods,
            treat_missing_data=missing,
        )
        alarm.add_alarm_action(self._action)
        alarm.add_ok_action(self._action)
        return alarm
