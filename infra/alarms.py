"""Alarms: per-subnet thresholds through Metrics Insights, and the monitor's own health."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.timing import Timing
from subnet_monitor.core.config import ScanConfig
from subnet_monitor.core.metrics import (
    AVAILABLE_IP_COUNT,
    DIMENSION_SUBNET,
    FREE_PREFIX_BLOCKS,
    HOURS_TO_EXHAUSTION,
    IP_UTILIZATION,
    NAMESPACE,
    SCALE_HEADROOM,
    SCAN_ERRORS,
    SERVICE,
    SUBNETS_SCANNED,
)

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

    Per-subnet alarms query ``SCHEMA("Custom/VPC", SubnetId) ... GROUP BY SubnetId``, so a subnet
    discovered after the deploy is covered without one, and each breaching subnet is its own
    contributor. Missing data keeps the current state: a subnet's datapoint arrives once per
    scan, and Metrics Insights alarms see only the most recent 3 hours.

    Attributes
    ----------
    warning, critical, low_free_ips (None unless ``min_free_ips`` is set), negative_headroom,
    low_prefix_blocks (None when ``min_free_prefix_blocks`` is 0), exhaustion_soon, heartbeat,
    function_errors, scan_errors, all (every alarm, for the dashboard)

    With ``by_account`` (the monitoring account of cross-account observability) the per-subnet
    queries group by ``AWS.AccountId, SubnetId`` and so cover every linked account; the health
    alarms stay on this account's own monitor.
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        scan: ScanConfig,
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
        utilization = self._query("MAX", IP_UTILIZATION)
        self.warning = self._per_subnet(
            "UtilizationWarning",
            query=utilization,
            period=period,
            threshold=scan.warning_percent,
            operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            description=f"A subnet is at least {scan.warning_percent:g}% used (warning threshold).",
        )
        self.critical = self._per_subnet(
            "UtilizationCritical",
            query=utilization,
            period=period,
            threshold=scan.critical_percent,
            operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            description=f"A subnet is at least {scan.critical_percent:g}% used (critical threshold).",
        )
        self.low_free_ips: cloudwatch.Alarm | None = None
        if scan.min_free_ips is not None:
            self.low_free_ips = self._per_subnet(
                "LowFreeIps",
                query=self._query("MIN", AVAILABLE_IP_COUNT),
                period=period,
                threshold=scan.min_free_ips,
                operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                description=f"A subnet has fewer than {scan.min_free_ips} free IP addresses (minFreeIps).",
            )
        # Capacity (published only where they apply, see docs/capacity.md).
        self.negative_headroom = self._per_subnet(
            "NegativeScaleHeadroom",
            query=self._query("MIN", SCALE_HEADROOM),
            period=period,
            threshold=0,
            operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            description="A subnet's workloads cannot reach their configured maximum: ScaleHeadroom is below 0.",
        )
        self.low_prefix_blocks: cloudwatch.Alarm | None = None
        if scan.min_free_prefix_blocks > 0:
            self.low_prefix_blocks = self._per_subnet(
                "LowFreePrefixBlocks",
                query=self._query("MIN", FREE_PREFIX_BLOCKS),
                period=period,
                threshold=scan.min_free_prefix_blocks,
                operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
                description=(
                    f"A prefix-delegation subnet has fewer than {scan.min_free_prefix_blocks} free aligned /28 "
                    "blocks (minFreePrefixBlocks): nodes may fail to get a prefix (InsufficientCidrBlocks)."
                ),
            )
        self.exhaustion_soon = self._per_subnet(
            "ExhaustionSoon",
            query=self._query("MIN", HOURS_TO_EXHAUSTION),
            period=period,
            threshold=scan.exhaustion_horizon_hours,
            operator=cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
            description=(
                f"A subnet will run out of addresses within {scan.exhaustion_horizon_hours:g} hours at its "
                "current rate (exhaustionHorizonHours)."
            ),
            # HoursToExhaustion is published only while consumption rises: no datapoint means no end in sight.
            missing=cloudwatch.TreatMissingData.NOT_BREACHING,
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
                self.low_free_ips,
                self.negative_headroom,
                self.low_prefix_blocks,
                self.exhaustion_soon,
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
