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


def function_environment(config: MonitorConfig) -> dict[str, str]:
    """The collector's environment: the scan configuration plus the Powertools settings.

    Raises
    ------
    ConfigError
        when the whole environment exceeds Lambda's 4 KB limit.
    """
    return config.scan.to_env(POWERTOOLS_ENVIRONMENT)


class SubnetMonitorStack(Stack):
    """Schedule → collector → Custom/VPC metrics and subnet_report logs → alarms → topic, plus a dashboard.

    With the ``observability`` key, the monitoring account's stack also holds the cross-account sink
    and ranks subnets of every linked account; the other stacks link to the sink of their region.

    Attributes
    ----------
    collector, schedule, notifications, alarms, dashboard, observability_role,
    sink (monitoring account only, else None), link (linked source only, else None)
    """

    def __init__(self, scope: Construct, id_: str, *, config: MonitorConfig, env: Environment) -> None:
        super().__init__(
            scope,
            id_,
            env=env,
            description="Subnet IP exhaustion monitor for ECS and EKS (subnet-ip-monitor)",
        )
        timing = timing_for(config.schedule)
        self.observability_role = stack_role(self, config.observability)
        by_account = self.observability_role is Role.MONITORING
        self.collector = CollectorFunction(
            self,
            "Collector",
            environment=function_environment(config),
            memory_mb=config.collector_memory_mb,
            timeout=Duration.seconds(timing.function_timeout),
            max_event_age=Duration.seconds(timing.lambda_event_max_age),
        )
        self.schedule = ScanSchedule(
            self,
            "Schedule",
            expression=config.schedule,
            function=self.collector.function,
            retry_attempts=SCHEDULER_RETRY_ATTEMPTS,
            max_event_age=Duration.seconds(timing.scheduler_event_max_age),
        )
        self.notifications = AlarmTopic(
            self,
            "Notifications",
            emails=config.notification_emails,
            slack=config.slack,
            teams=config.teams,
            paging=paging_endpoints(config),
        )
        self.alarms = MonitorAlarms(
            self,
            "Alarms",
            timing=timing,
            function=self.collector.function,
            topic=self.notifications.topic,
            by_account=by_account,
        )
        self.failures = FailureNotifications(
            self,
            "Failures",
            config=config.failures,
            environment=POWERTOOLS_ENVIRONMENT,
            topic=self.notifications.topic,
            key=self.notifications.key,
            collector=self.collector,
        )
        self.notifications.page_on([*self.alarms.all, *self.failures.alarms])
        self.dashboard = MonitorDashboard(
            self,
            "Dashboard",
            scan=config.scan,
            period=Duration.seconds(timing.alarm_period),
            alarms=[*self.alarms.all, *self.failures.alarms],
            function=self.collector.function,
            log_group=self.collector.log_group,
            dead_letter_queue=self.schedule.dead_letter_queue,
            by_account=by_account,
        )
        self.sink: ObservabilitySink | None = None
        self.link: ObservabilityLink | None = None
        observability = config.observability
        if observability is not None and self.observability_role is Role.MONITORING and observability.create_sink:
            self.sink = ObservabilitySink(self, "ObservabilitySink", config=observability)
            CfnOutput(
                self,
                "ObservabilitySinkArn",
                value=self.sink.sink.attr_arn,
                description=f'observability.sinkArns["{self.region}"] for the source accounts\' stacks',
            )
        elif observability is not None and self.observability_role is Role.SOURCE:
            self.link = ObservabilityLink(
                self,
                "ObservabilityLink",
                sink_arn=observability.sink_arns[self.region],
                log_group_names=[self.collector.log_group.log_group_name, self.failures.log_group.log_group_name],
            )
        CfnOutput(self, "AlarmTopicArn", value=self.notifications.topic.topic_arn)
        if self.notifications.paging_topic is not None:
            CfnOutput(self, "PagingTopicArn", value=self.notifications.paging_topic.topic_arn)
        CfnOutput(self, "DashboardName", value=self.dashboard.dashboard.dashboard_name)
        CfnOutput(self, "CollectorFunctionName", value=self.collector.function.function_name)
        CfnOutput(self, "CollectorLogGroupName", value=self.collector.log_group.log_group_name)
        CfnOutput(self, "FailureFunctionName", value=self.failures.function.function_name)
