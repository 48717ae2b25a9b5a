"""The dashboard: subnets at risk, fewest free IPs, the verdicts and the detailed graphs the ``metrics``
setting publishes, alarm status, monitor health, latest reports.

Nothing here lists subnets: the graphs are Metrics Insights queries over ``Custom/VPC`` and the
table is a Logs Insights query over the collector's ``subnet_report`` records, so a subnet found
tomorrow shows up without a redeploy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from infra.alarms import ACCOUNT_LABEL, SERVICE_DIMENSION, health_metric, per_account_query
from infra.naming import account_unique_name
from subnet_monitor.core.config import ScanConfig
from subnet_monitor.core.metrics import (
    AVAILABLE_IP_COUNT,
    DIMENSION_SUBNET,
    FREE_PREFIX_BLOCKS,
    HOURS_TO_EXHAUSTION,
    IP_UTILIZATION,
    NAMESPACE,
    PUBLISHED,
    SCALE_HEADROOM,
    SCAN_DURATION,
    SCAN_ERRORS,
    SERVICE,
    SUBNET_STATUS,
    SUBNETS_AT_RISK,
    SUBNETS_CRITICAL,
    SUBNETS_SCANNED,
)

SCHEMA = f'SCHEMA("{NAMESPACE}", {DIMENSION_SUBNET})'
# Sort order that puts the subnets closest to their threshold first.
WORST_FIRST = {"MAX": "DESC", "MIN": "ASC"}


def per_subnet_query(function: str, metric: str, *, by_account: bool = False) -> str:
    """A multi-time-series Metrics Insights query: one series per subnet, the worst first (which also decides
    which subnets are shown when more than 500 report: a query returns at most 500 series).
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-metrics-insights-querylanguage.html

    ``by_account`` (the monitoring account of cross-account observability, whose queries span every
    linked account) makes each series one subnet of one account, so a label names both.

    >>> per_subnet_query("MAX", "IPUtilization")
    'SELECT MAX(IPUtilization) FROM SCHEMA("Custom/VPC", SubnetId) GROUP BY SubnetId ORDER BY MAX() DESC'
    >>> per_subnet_query("MIN", "AvailableIPCount", by_account=True).partition(" GROUP BY ")[2]
    'AWS.AccountId, SubnetId ORDER BY MIN() ASC'
    """
    order = f"ORDER BY {function}() {WORST_FIRST[function]}"
    group = f"{ACCOUNT_LABEL}, {DIMENSION_SUBNET}" if by_account else DIMENSION_SUBNET
    return f"SELECT {function}({metric}) FROM {SCHEMA} GROUP BY {group} {order}"


# How many subnets the two "top" graphs show (Metrics Insights ORDER BY ... LIMIT).
TOP_SUBNETS = 10
# Dynamic label: each series keeps its default label, the SubnetId it was grouped by (without a
# label CDK would name every series after the whole query).
SERIES_LABEL = "${LABEL}"
# The collector logs one record per subnet per scan with this message (Powertools "message" key).
SUBNET_REPORT_MESSAGE = "subnet_report"
FULL_WIDTH = 24
HALF_WIDTH = 12
THIRD_WIDTH = 8
GRAPH_HEIGHT = 8
TABLE_HEIGHT = 10

# The latest record of every subnet. Arrays are flattened by Logs Insights (roles.0, roles.1 …),
# so the raw JSON of roles and workloads is parsed out of the message to show them whole.
SUBNET_TABLE_QUERY = [
    f'filter message = "{SUBNET_REPORT_MESSAGE}"',
    r'parse @message /"roles": ?(?<roles_json>\[[^\]]*\])/',
    r'parse @message /"workloads": ?(?<workloads_json>\[[^\]]*\])/',
    "stats latest(status) as status, latest(utilization_percent) as utilization_pct,"
    " latest(available_ips) as free_ips, latest(used_ips) as used, latest(usable_ips) as usable,"
    " latest(roles_json) as roles, latest(workloads_json) as workloads, latest(vpc_id) as vpc,"
    " latest(availability_zone) as az, latest(cidr) as cidr, max(@timestamp) as last_seen by subnet_id",
    "sort utilization_pct desc",
    "limit 500",
]


def top_subnets_query(function: str, metric: str, limit: int = TOP_SUBNETS, *, by_account: bool = False) -> str:
    """Metrics Insights: the ``limit`` subnets closest to trouble (highest MAX, lowest MIN).

    >>> top_subnets_query("MIN", "AvailableIPCount", 5)
    'SELECT MIN(AvailableIPCount) FROM SCHEMA("Custom/VPC", SubnetId) GROUP BY SubnetId ORDER BY MIN() ASC LIMIT 5'
    """
    return f"{per_subnet_query(function, metric, by_account=by_account)} LIMIT {limit}"


def scans_per_account_query() -> str:
    """Metrics Insights over every linked account: the subnets each account's monitor scanned.

    >>> query = scans_per_account_query()
    >>> query.partition(" WHERE ")[0]
    'SELECT MAX(SubnetsScanned) FROM SCHEMA("Custom/VPC", service)'
    >>> query.partition(" WHERE ")[2]
    "service = 'subnet-monitor' GROUP BY AWS.AccountId"
    """
    return (
        f'SELECT MAX({SUBNETS_SCANNED}) FROM SCHEMA("{NAMESPACE}", {SERVICE_DIMENSION}) '
        f"WHERE {SERVICE_DIMENSION} = '{SERVICE}' GROUP BY {ACCOUNT_LABEL}"
    )


# https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutDashboard.html: at most 255 characters.
DASHBOARD_NAME_MAX = 255


class MonitorDashboard(Construct):
    """One CloudWatch dashboard per stack.

    With ``by_account`` (the monitoring account of cross-account observability) the subnet graphs
    rank the subnets of every linked account, each series labelled with its account, and a graph
    of the subnets each account scanned is added.

    Attributes
    ----------
    dashboard
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        scan: ScanConfig,
        period: Duration,
        alarms: Sequence[cloudwatch.IAlarm],
        function: lambda_.IFunction,
        log_group: logs.ILogGroup,
        dead_letter_queue: sqs.IQueue,
        by_account: bool = False,
    ) -> None:
        super().__init__(scope, id_)
        scope_note = " across linked accounts" if by_account else ""
        stack = Stack.of(self)
        self.dashboard = cloudwatch.Dashboard(
            self,
            "Dashboard",
            # Dashboard names are unique per account (infra/naming.py).
            dashboard_name=account_unique_name(stack, max_length=DASHBOARD_NAME_MAX),
            default_interval=Duration.hours(3),
            period_override=cloudwatch.PeriodOverride.AUTO,
        )
        thresholds = [
            cloudwatch.HorizontalAnnotation(value=scan.warning_percent, label="warning", color=cloudwatch.Color.ORANGE),
            cloudwatch.HorizontalAnnotation(value=scan.critical_percent, label="critical", color=cloudwatch.Color.RED),
        ]
        free_ip_annotations = (
            []
            if scan.min_free_ips is None
            else [
                cloudwatch.HorizontalAnnotation(value=scan.min_free_ips, label="minFreeIps", color=cloudwatch.Color.RED)
            ]
        )
        per_subnet = PUBLISHED[scan.metrics]

        def top(
            title: str, function: str, metric: str, axis: cloudwatch.YAxisProps, **props: Any
        ) -> cloudwatch.GraphWidget:
            return cloudwatch.GraphWidget(
                title=f"{title}{scope_note}",
                left=[
                    cloudwatch.MathExpression(
                        expression=top_subnets_query(function, metric, by_account=by_account),
                        period=period,
                        label=SERIES_LABEL,
                    )
                ],
                left_y_axis=axis,
                height=GRAPH_HEIGHT,
                **props,
            )

        # In every setting: the counts the alarms watch, and AvailableIPCount.
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title=f"Subnets at risk{scope_note} (the collector's notification names them)",
                left=[self._count(SUBNETS_AT_RISK, "WARNING or CRITICAL", period, by_account)],
                right=[self._count(SUBNETS_CRITICAL, "CRITICAL", period, by_account)],
                left_y_axis=cloudwatch.YAxisProps(min=0, label="subnets", show_units=False),
                right_y_axis=cloudwatch.YAxisProps(min=0, label="subnets", show_units=False),
                width=HALF_WIDTH,
                height=GRAPH_HEIGHT,
            ),
            top(
                f"Fewest free IPs: bottom {TOP_SUBNETS} by AvailableIPCount",
                "MIN",
                AVAILABLE_IP_COUNT,
                cloudwatch.YAxisProps(min=0, label="addresses", show_units=False),
                left_annotations=free_ip_annotations,
                width=HALF_WIDTH,
            ),
        )
        # The verdict (default and detailed), and the detailed graphs.
        verdicts = []
        if SUBNET_STATUS in per_subnet:
            verdicts.append(
                top(
                    f"Worst verdicts: top {TOP_SUBNETS} by SubnetStatus (0 OK, 1 WARNING, 2 CRITICAL)",
                    "MAX",
                    SUBNET_STATUS,
                    cloudwatch.YAxisProps(min=0, max=2, label="status", show_units=False),
                    width=FULL_WIDTH if IP_UTILIZATION not in per_subnet else HALF_WIDTH,
                )
            )
        if IP_UTILIZATION in per_subnet:
            verdicts.append(
                top(
                    f"Fullest subnets: top {TOP_SUBNETS} by IPUtilization (%)",
                    "MAX",
                    IP_UTILIZATION,
                    cloudwatch.YAxisProps(min=0, max=100, label="%", show_units=False),
                    left_annotations=thresholds,
                    width=HALF_WIDTH,
                )
            )
        if verdicts:
            self.dashboard.add_widgets(*verdicts)
        detailed = [
            top(
                title,
                "MIN",
                metric,
                cloudwatch.YAxisProps(label=unit, show_units=False),
                left_annotations=[
                    cloudwatch.HorizontalAnnotation(value=line, label=line_label, color=cloudwatch.Color.RED)
                ],
                width=THIRD_WIDTH,
            )
            for title, metric, unit, line, line_label in (
                (
                    f"Least headroom at max scale: bottom {TOP_SUBNETS} by ScaleHeadroom",
                    SCALE_HEADROOM,
                    "addresses",
                    0,
                    "cannot reach max",
                ),
                (
                    f"Fewest free /28 blocks: bottom {TOP_SUBNETS} by FreePrefixBlocks",
                    FREE_PREFIX_BLOCKS,
                    "blocks",
                    scan.min_free_prefix_blocks,
                    "minFreePrefixBlocks",
                ),
                (
                    f"Soonest to run out: bottom {TOP_SUBNETS} by HoursToExhaustion",
                    HOURS_TO_EXHAUSTION,
                    "hours",
                    scan.exhaustion_horizon_hours,
                    "horizon",
                ),
            )
            if metric in per_subnet
        ]
        if detailed:
            self.dashboard.add_widgets(*detailed)
        self.dashboard.add_widgets(
            cloudwatch.AlarmStatusWidget(
                title="Alarms",
                alarms=list(alarms),
                width=FULL_WIDTH,
                height=4,
            )
        )
        self.dashboard.add_widgets(
            cloudwatch.GraphWidget(
                title="Monitor health: scans",
                left=[
                    health_metric(SUBNETS_SCANNED, cloudwatch.Stats.MAXIMUM, period).with_(label="subnets scanned"),
                    health_metric(SCAN_ERRORS, cloudwatch.Stats.SUM, period).with_(label="scan errors"),
                ],
                right=[
                    health_metric(SCAN_DURATION, cloudwatch.Stats.MAXIMUM, period).with_(label="scan duration (ms)")
                ],
                width=HALF_WIDTH,
                height=GRAPH_HEIGHT,
            ),
            cloudwatch.GraphWidget(
                title="Monitor health: function and schedule",
                left=[
                    function.metric_invocations(period=period, statistic=cloudwatch.Stats.SUM, label="invocations"),
                    function.metric_errors(period=period, statistic=cloudwatch.Stats.SUM, label="errors"),
                    function.metric_throttles(period=period, statistic=cloudwatch.Stats.SUM, label="throttles"),
                    dead_letter_queue.metric_approximate_number_of_messages_visible(
                        period=period, statistic=cloudwatch.Stats.MAXIMUM, label="undelivered scans (DLQ)"
                    ),
                ],
                right=[function.metric_duration(period=period, statistic=cloudwatch.Stats.MAXIMUM, label="duration")],
                width=HALF_WIDTH,
                height=GRAPH_HEIGHT,
            ),
        )
        if by_account:
            self.dashboard.add_widgets(
                cloudwatch.GraphWidget(
                    title="Subnets scanned per linked account (a gap: that account's monitor is not reporting)",
                    left=[
                        cloudwatch.MathExpression(
                            expression=scans_per_account_query(), period=period, label=SERIES_LABEL
                        )
                    ],
                    left_y_axis=cloudwatch.YAxisProps(min=0, label="subnets", show_units=False),
                    width=FULL_WIDTH,
                    height=GRAPH_HEIGHT,
                )
            )
        self.dashboard.add_widgets(
            cloudwatch.LogQueryWidget(
                title="Latest report per subnet (roles, workloads, figures)",
                log_group_names=[log_group.log_group_name],
                query_lines=SUBNET_TABLE_QUERY,
                view=cloudwatch.LogQueryVisualizationType.TABLE,
                width=FULL_WIDTH,
                height=TABLE_HEIGHT,
            )
        )

    @staticmethod
    def _count(metric: str, label: str, period: Duration, by_account: bool) -> cloudwatch.IMetric:
        """A per-stack count; in the monitoring account, one series per linked account."""
        if by_account:
            return cloudwatch.MathExpression(expression=per_account_query(metric), period=period, label=SERIES_LABEL)
        return health_metric(metric, cloudwatch.Stats.MAXIMUM, period).with_(label=label)
