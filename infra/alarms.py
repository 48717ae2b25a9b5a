"""Alarms: the subnets at risk, counted per stack, and the monitor's own health."""

from __future__ import annotations

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as actions
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from constructs import Construct

from infra.timing import Timing
from subnet_monitor.core.metrics import (
    NAMESPACE,
    SCAN_ERRORS,
    SERVICE,
    SUBNETS_AT_RISK,
    SUBNETS_CRITICAL,
    SUBNETS_SCANNED,
)

# Powertools Metrics adds this dimension to every EMF metric; its value is POWERTOOLS_SERVICE_NAME.
SERVICE_DIMENSION = "service"
# The label of the account a metric belongs to, in a monitoring account of CloudWatch cross-account
# observability (not a dimension, so SCHEMA(...) still matches the SubnetId-only metrics).
# https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html
ACCOUNT_LABEL = "AWS.AccountId"


def per_account_query(metric: str) -> str:
    """A Metrics Insights query over a health metric of every linked account: one series (alarm contributor)
    per account, the worst first. CloudWatch requires both GROUP BY and ORDER BY in a multi-time-series
    alarm query. https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Create_Metrics_Insights_Alarm.html

    >>> per_account_query("SubnetsAtRisk")
    'SELECT MAX(SubnetsAtRisk) FROM SCHEMA("Custom/VPC", service) GROUP BY AWS.AccountId ORDER BY MAX() DESC'
    """
    return (
        f'SELECT MAX({metric}) FROM SCHEMA("{NAMESPACE}", {SERVICE_DIMENSION}) GROUP BY {ACCOUNT_LABEL} '
        "ORDER BY MAX() DESC"
    )


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

    The two verdict alarms watch how many subnets the last scan judged at risk (``SubnetsAtRisk``: WARNING
    or CRITICAL) and CRITICAL (``SubnetsCritical``), one number per stack, so they cost the same for any
    number of subnets; the collector's own notification names the subnets (subnet_monitor.alerts). Missing
    data keeps the current state: a stopped collector is the heartbeat's to report.

    Attributes
    ----------
    warning (a subnet WARNING or worse), critical (a subnet CRITICAL), heartbeat, function_errors,
    scan_errors, all (every alarm, for the dashboard)

    With ``by_account`` (the monitoring account of cross-account observability) the verdict alarms query
    every linked account's counts, one contributor per account; the health alarms stay on this account's
    own monitor.
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
        # Counts, not a Metrics Insights query over every subnet's SubnetStatus: CloudWatch bills such a
        # query one alarm metric per subnet ($0.10 each a month), a count one for all (docs/scale-and-cost.md).
        self.warning = self._verdict(
            "SubnetWarning",
            SUBNETS_AT_RISK,
            period,
            "Subnets are WARNING or CRITICAL: the collector's notification names them and why (status_reasons); "
            "so do its subnet_report log records and subnet-monitor scan.",
        )
        self.critical = self._verdict(
            "SubnetCritical",
            SUBNETS_CRITICAL,
            period,
            "Subnets are CRITICAL: the collector's notification names them and why (status_reasons); so do its "
            "subnet_report log records and subnet-monitor scan.",
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

    def _verdict(self, id_: str, count: str, period: Duration, description: str) -> cloudwatch.Alarm:
        metric: cloudwatch.IMetric = (
            cloudwatch.MathExpression(expression=per_account_query(count), period=period)
            if self._by_account
            else health_metric(count, cloudwatch.Stats.MAXIMUM, period)
        )
        return self._alarm(
            id_,
            metric=metric,
            threshold=1,
            operator=cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
            evaluation_periods=1,
            missing=cloudwatch.TreatMissingData.IGNORE,
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
