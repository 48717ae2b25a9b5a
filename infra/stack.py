"""One subnet monitor per account and region: the constructs composed and wired."""

from __future__ import annotations

from aws_cdk import CfnOutput, Duration, Environment, Stack
from constructs import Construct

from infra.alarms import MonitorAlarms
from infra.collector import CollectorFunction
from infra.dashboard import MonitorDashboard
from infra.failures import FailureNotifications
from infra.notifications import AlarmTopic, paging_endpoints
from infra.observability import ObservabilityLink, ObservabilitySink, Role, stack_role
from infra.schedule import ScanSchedule
from infra.timing import SCHEDULER_RETRY_ATTEMPTS, timing_for
from subnet_monitor.aws.batching import ALLOCATOR_ENVIRONMENT
from subnet_monitor.core.config import MonitorConfig
from subnet_monitor.core.metrics import NAMESPACE, SERVICE

# Powertools settings the stack owns (the handler's singletons read them).
POWERTOOLS_ENVIRONMENT = {
    "POWERTOOLS_SERVICE_NAME": SERVICE,
    "POWERTOOLS_METRICS_NAMESPACE": NAMESPACE,
    "POWERTOOLS_LOG_LEVEL": "INFO",
    # Active X-Ray tracing would need xray:PutTraceSegments, a write the collector must not have;
    # without it the Tracer only costs import and patching time.
    "POWERTOOLS_TRACE_DISABLED": "true",
}


DESCRIPTION = "Subnet IP exhaustion monitor for ECS and EKS (subnet-ip-monitor)"


def function_environment(config: MonitorConfig) -> dict[str, str]:
    """The collector's environment: the scan configuration plus the Powertools settings and the
    allocator setting its peak memory was measured with (``aws/batching.py``).

    Raises
    ------
    ConfigError
        when the whole environment exceeds Lambda's 4 KB limit.
    """
    return config.scan.to_env(POWERTOOLS_ENVIRONMENT | ALLOCATOR_ENVIRONMENT)


class SubnetMonitorStack(Stack):
    """Schedule → collector → Custom/VPC metrics and subnet_report logs → alarms → topic, plus a dashboard.

    With the ``observability`` key, the monitoring account's stack also holds the cross-account sink
    and ranks subnets of every linked account; the other stacks link to the sink of their region.

    Attributes
    ----------
    collector, schedule, notifications, alarms, dashboard, observability_role,
    sink (monitoring account only, else None), link (linked source only, else None)
        set by :func:`add_monitor`.
    """

    def __init__(self, scope: Construct, id_: str, *, config: MonitorConfig, env: Environment) -> None:
        super().__init__(scope, id_, env=env, description=DESCRIPTION)
        add_monitor(self, config)


def add_monitor(stack: Stack, config: MonitorConfig) -> None:
    """Compose the monitor's constructs directly in ``stack`` (a stack: logical IDs stay those of the
    stack's own children) and keep them as its attributes. Also the body of the StackSet member
    stack (infra/organization.py), so both templates hold the same monitor."""
    timing = timing_for(config.schedule)
    stack.observability_role = stack_role(stack, config.observability)
    by_account = stack.observability_role is Role.MONITORING
    stack.collector = CollectorFunction(
        stack,
        "Collector",
        environment=function_environment(config),
        memory_mb=config.collector_memory_mb,
        timeout=Duration.seconds(timing.function_timeout),
        max_event_age=Duration.seconds(timing.lambda_event_max_age),
    )
    stack.schedule = ScanSchedule(
        stack,
        "Schedule",
        expression=config.schedule,
        function=stack.collector.function,
        retry_attempts=SCHEDULER_RETRY_ATTEMPTS,
        max_event_age=Duration.seconds(timing.scheduler_event_max_age),
    )
    stack.notifications = AlarmTopic(
        stack,
        "Notifications",
        emails=config.notification_emails,
        slack=config.slack,
        teams=config.teams,
        paging=paging_endpoints(config),
    )
    stack.alarms = MonitorAlarms(
        stack,
        "Alarms",
        timing=timing,
        function=stack.collector.function,
        topic=stack.notifications.topic,
        by_account=by_account,
    )
    stack.failures = FailureNotifications(
        stack,
        "Failures",
        config=config.failures,
        environment=POWERTOOLS_ENVIRONMENT,
        topic=stack.notifications.topic,
        key=stack.notifications.key,
        collector=stack.collector,
    )
    stack.notifications.page_on([*stack.alarms.all, *stack.failures.alarms])
    stack.dashboard = MonitorDashboard(
        stack,
        "Dashboard",
        scan=config.scan,
        period=Duration.seconds(timing.alarm_period),
        alarms=[*stack.alarms.all, *stack.failures.alarms],
        function=stack.collector.function,
        log_group=stack.collector.log_group,
        dead_letter_queue=stack.schedule.dead_letter_queue,
        by_account=by_account,
    )
    stack.sink: ObservabilitySink | None = None
    stack.link: ObservabilityLink | None = None
    observability = config.observability
    if observability is not None and stack.observability_role is Role.MONITORING and observability.create_sink:
        stack.sink = ObservabilitySink(stack, "ObservabilitySink", config=observability)
        CfnOutput(
            stack,
            "ObservabilitySinkArn",
            value=stack.sink.sink.attr_arn,
            description=f'observability.sinkArns["{stack.region}"] for the source accounts\' stacks',
        )
    elif observability is not None and stack.observability_role is Role.SOURCE:
        stack.link = ObservabilityLink(
            stack,
            "ObservabilityLink",
            sink_arn=observability.sink_arns[stack.region],
            log_group_names=[stack.collector.log_group.log_group_name, stack.failures.log_group.log_group_name],
        )
    CfnOutput(stack, "AlarmTopicArn", value=stack.notifications.topic.topic_arn)
    if stack.notifications.paging_topic is not None:
        CfnOutput(stack, "PagingTopicArn", value=stack.notifications.paging_topic.topic_arn)
    CfnOutput(stack, "DashboardName", value=stack.dashboard.dashboard.dashboard_name)
    CfnOutput(stack, "CollectorFunctionName", value=stack.collector.function.function_name)
    CfnOutput(stack, "CollectorLogGroupName", value=stack.collector.log_group.log_group_name)
    CfnOutput(stack, "FailureFunctionName", value=stack.failures.function.function_name)
