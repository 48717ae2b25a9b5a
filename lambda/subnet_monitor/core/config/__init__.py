"""The monitor's configuration: one validated source of truth.

The ``subnet-monitor`` block of ``cdk.json`` is parsed at synth (:meth:`MonitorConfig.from_context`);
its scan part renders the collector's environment, one JSON variable (:meth:`ScanConfig.to_env`),
and the Lambda parses it back (:meth:`ScanConfig.from_env`). The CLI builds the same mapping from its
flags and goes through :meth:`ScanConfig.from_mapping`, so every door refuses the same bad values
with the same messages. The models are pydantic; their field descriptions are the published JSON
Schema (``python -m subnet_monitor.schemas``) and the docs' reference. No AWS imports.
"""

from subnet_monitor.core.config.deploy import (
    ENV_FAILURE_CONFIG,
    ENV_FAILURE_DEDUP_TABLE,
    ENV_FAILURE_TOPIC_ARN,
    FailureConfig,
    HttpsEndpoint,
    MonitorConfig,
    ObservabilityConfig,
    OpsgenieTarget,
    PagerDutyTarget,
    SlackTarget,
    TargetEnvironment,
    TeamsTarget,
)
from subnet_monitor.core.config.errors import ConfigError
from subnet_monitor.core.config.organization import OrganizationConfig
from subnet_monitor.core.config.scan import (
    CLUSTER_NAME_PATTERN,
    ENV_SCAN_CONFIG,
    LAMBDA_ENVIRONMENT_MAX_BYTES,
    SUBNET_ID_PATTERN,
    CniBlock,
    ScanConfig,
    TagSelector,
)
from subnet_monitor.core.config.schedule import schedule_period_seconds

__all__ = [
    "CLUSTER_NAME_PATTERN",
    "ENV_FAILURE_CONFIG",
    "ENV_FAILURE_DEDUP_TABLE",
    "ENV_FAILURE_TOPIC_ARN",
    "ENV_SCAN_CONFIG",
    "LAMBDA_ENVIRONMENT_MAX_BYTES",
    "SUBNET_ID_PATTERN",
    "CniBlock",
    "ConfigError",
    "FailureConfig",
    "HttpsEndpoint",
    "MonitorConfig",
    "ObservabilityConfig",
    "OpsgenieTarget",
    "OrganizationConfig",
    "PagerDutyTarget",
    "ScanConfig",
    "SlackTarget",
    "TagSelector",
    "TargetEnvironment",
    "TeamsTarget",
    "schedule_period_seconds",
]
