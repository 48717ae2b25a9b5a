"""The config object: defaults, refusals that name the key, and the Lambda environment round trip."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subnet_monitor.core.config import (
    ConfigError,
    FailureConfig,
    MonitorConfig,
    ObservabilityConfig,
    ScanConfig,
    SlackTarget,
    TagSelector,
    TargetEnvironment,
    schedule_period_seconds,
)
from subnet_monitor.core.config.scan import DEFAULT_MIN_FREE_PREFIX_BLOCKS


def test_defaults() -> None:
    config = MonitorConfig.from_context(None)
    assert config.schedule == "rate(5 minutes)"
    assert config.scan == ScanConfig()
    assert (config.scan.warning_percent, config.scan.critical_percent, config.scan.min_free_ips) == (80.0, 90.0, None)
    assert (config.scan.discover_ecs, config.scan.discover_eks, config.scan.all_subnets) == (True, True, False)
    assert config.notification_emails == ()
    assert config.environments == ()
    assert config.failures == FailureConfig(window_minutes=15, cloudtrail=False)
    assert config.observability is None


def test_a_full_block_parses() -> None:
    config = MonitorConfig.from_context(
        {
            "schedule": "cron(0/10 * * * ? *)",
            "discoverEcs": False,
            "clusters": ["payments", "platform"],
            "subnetIds": ["subnet-0123456789abcdef0", "subnet-0a1b2c3d"],
            "subnetTags": {"team": "data", "tier": ["app", "db"], "monitored": "*"},
            "allSubnets": False,
            "warningPercent": 70,
            "criticalPercent": 85.5,
            "minFreeIps": 32,
            "notificationEmails": ["oncall@example.com"],
            "slack": {"workspaceId": "T0123ABCD", "channelId": "C0123ABCDEF"},
            "environments": [{"account": "123456789012", "region": "eu-west-1"}],
        }
    )
    assert config.scan.subnet_tags == (
        TagSelector("team", ("data",)),
        TagSelector("tier", ("app", "db")),
        TagSelector("monitored", ()),
    )
    assert config.scan.critical_percent == 85.5
    assert config.slack == SlackTarget(workspace_id="T0123ABCD", channel_id="C0123ABCDEF")
    assert config.environments == (TargetEnvironment(account="123456789012", region="eu-west-1"),)


@pytest.mark.parametrize(
    ("block", "named"),
    [
        ({"warningPercent": 0}, "warningPercent: 0 must be a number between 0 and 100"),
        ({"criticalPercent": 100}, "criticalPercent: 100 must be a number between 0 and 100"),
        ({"criticalPercent": "90"}, "criticalPercent: '90' must be a number"),
        ({"warningPercent": 90, "criticalPercent": 90}, "warningPercent: 90.0 must be below criticalPercent (90)"),
        ({"warningPercent": 95}, "warningPercent: 95.0 must be below criticalPercent (90)"),
        ({"collectorMemoryMb": 64}, "collectorMemoryMb: 64 must be a whole number of MB from 128 to 10240"),
        ({"collectorMemoryMb": 1024.5}, "collectorMemoryMb: 1024.5 must be a whole number of MB"),
        ({"collectorMemoryMb": True}, "collectorMemoryMb: True must be a whole number of MB"),
        ({"subnetIds": ["subnet-123"]}, "subnetIds: 'subnet-123' is not a subnet ID"),
        ({"subnetIds": ["sg-0123456789abcdef0"]}, "subnetIds: 'sg-0123456789abcdef0' is not a subnet ID"),
        ({"subnetIds": "subnet-0123456789abcdef0"}, "subnetIds: 'subnet-0123456789abcdef0' must be a list"),
        ({"notificationEmails": ["oncall"]}, "notificationEmails: 'oncall' is not an e-mail address"),
        ({"schedule": "every 5 minutes"}, "schedule: 'every 5 minutes' is not a schedule expression"),
        ({"schedule": "rate(1 minutes)"}, "schedule: 'rate(1 minutes)' needs a positive value"),
        ({"schedule": "rate(0 minutes)"}, "schedule: 'rate(0 minutes)' needs a positive value"),
        ({"schedule": "cron(0 * * *)"}, "schedule: 'cron(0 * * *)' is not a schedule expression"),
        ({"scheduel": "rate(5 minutes)"}, "scheduel: 'rate(5 minutes)' is not a known key"),
        ({"discoverEks": "yes"}, "discoverEks: 'yes' must be true or false"),
        ({"minFreeIps": -1}, "minFreeIps: -1 must be a whole number"),
        ({"clusters": ["bad name"]}, "clusters: 'bad name' is not a valid ECS/EKS cluster name"),
        ({"subnetTags": {"team": 3}}, "subnetTags.team: 3 must be a string"),
        ({"subnetTags": ["team"]}, "subnetTags: ['team'] must be an object"),
        ({"slack": {"workspaceId": "T0123ABCD"}}, "slack: {'workspaceId': 'T0123ABCD'} must be"),
        ({"teams": {"teamId": "74361522-da01-538d-aa2e-ac7918c6bb92"}}, "teams: {'teamId': '74361522-"),
        (
            {"teams": {"teamId": "T0123", "channelId": "19%3aab%40thread.tacv2", "tenantId": "x"}},
            "teams.teamId: 'T0123' is not a Teams team ID (a UUID)",
        ),
        (
            # Copied from the Teams client rather than from the channel's link: not URL-encoded.
            {
                "teams": {
                    "teamId": "74361522-da01-538d-aa2e-ac7918c6bb92",
                    "channelId": "19:ab@thread.tacv2",
                    "tenantId": "0d1e2f3a-4b5c-6d7e-8f90-a1b2c3d4e5f6",
                }
            },
            "teams.channelId: '19:ab@thread.tacv2' is not a URL-encoded Teams channel ID",
        ),
        (
            {"pagerduty": {"integrationUrl": "http://events.pagerduty.com/integration/abc123/enqueue"}},
            "pagerduty.integrationUrl: 'http://events.pagerduty.com/integration/abc123/enqueue' is not a PagerDuty",
        ),
        (
            # The Events API v2 endpoint is not the CloudWatch integration: it would not parse the alarm JSON.
            {"pagerduty": {"integrationUrl": "https://events.pagerduty.com/v2/enqueue"}},
            "pagerduty.integrationUrl: 'https://events.pagerduty.com/v2/enqueue' is not a PagerDuty CloudWatch",
        ),
        ({"pagerduty": {}}, "pagerduty: {} needs exactly one of integrationUrl and integrationUrlSecret"),
        (
            {
                "pagerduty": {
                    "integrationUrl": "https://events.pagerduty.com/integration/k/enqueue",
                    "integrationUrlSecret": "pd",
                }
            },
            "needs exactly one of integrationUrl and integrationUrlSecret",
        ),
        (
            {"pagerduty": {"integrationUrlSecret": "pd key"}},
            "pagerduty.integrationUrlSecret: 'pd key' is not a Secrets",
        ),
        (
            {"opsgenie": {"integrationUrl": "https://api.opsgenie.com/v2/alerts?apiKey=abc"}},
            "opsgenie.integrationUrl: 'https://api.opsgenie.com/v2/alerts?apiKey=abc' is not an Opsgenie CloudWatch",
        ),
        ({"httpsEndpoints": [{"name": "hook", "url": "http://hook.example.com"}]}, "httpsEndpoints.url: 'http://hook"),
        ({"httpsEndpoints": [{"name": "my hook", "url": "https://h.example.com"}]}, "httpsEndpoints.name: 'my hook'"),
        ({"httpsEndpoints": {"name": "hook"}}, "httpsEndpoints: {'name': 'hook'} must be a list of"),
        (
            {
                "httpsEndpoints": [
                    {"name": "a", "url": "https://a.example.com"},
                    {"name": "a", "url": "https://b.example.com"},
                ]
            },
            "names an endpoint twice",
        ),
        (
            {"httpsEndpoints": [{"name": "a"}]},
            "httpsEndpoints: {'name': 'a', 'rawMessageDelivery': False} needs exactly",
        ),
        ({"environments": [{"account": "1234", "region": "eu-west-1"}]}, "environments.account: '1234' is not"),
        ({"environments": [{"account": "123456789012", "region": "Ireland"}]}, "environments.region: 'Ireland'"),
        ({"failureNotificationWindowMinutes": 0}, "failureNotificationWindowMinutes: 0 must be a whole number"),
        ({"failureNotificationWindowMinutes": "15"}, "failureNotificationWindowMinutes: '15' must be a whole"),
        ({"failureNotificationWindowMinutes": 1441}, "failureNotificationWindowMinutes: 1441 must be"),
        ({"cloudTrailFailures": "yes"}, "cloudTrailFailures: 'yes' must be true or false"),
        ({"observability": []}, "observability: [] must be {"),
        ({"observability": {"monitoringAccount": 999999999999}}, "observability.monitoringAccount: 999999999999 is"),
        (
            {"observability": {"monitoringAccount": "999999999999", "sourceAccounts": "111111111111"}},
            "observability.sourceAccounts: '111111111111' must be a list",
        ),
        (
            {"observability": {"monitoringAccount": "999999999999", "organizationId": "o-ABC"}},
            "observability.organizationId: 'o-ABC' is not an AWS Organizations ID",
        ),
        (
            {"observability": {"monitoringAccount": "999999999999", "sourceAccounts": []}},
            "observability: {'monitoringAccount': '999999999999', 'sourceAccounts': []} names no one who may link",
        ),
        (
            {"observability": {"monitoringAccount": "999999999999", "createSink": False, "sinkArns": []}},
            "observability.sinkArns: [] must be an object of region to sink ARN",
        ),
        (
            {
                "observability": {
                    "monitoringAccount": "999999999999",
                    "createSink": False,
                    "sinkArns": {"Ireland": "arn:aws:oam:eu-west-1:999999999999:sink/abc"},
                }
            },
            "observability.sinkArns: 'Ireland' is not a region name",
        ),
        (
            {
                "observability": {
                    "monitoringAccount": "999999999999",
                    "createSink": False,
                    "sinkArns": {"us-east-1": "arn:aws:oam:eu-west-1:999999999999:sink/abc"},
                }
            },
            "observability.sinkArns.us-east-1: 'arn:aws:oam:eu-west-1:999999999999:sink/abc' is in eu-west-1",
        ),
    ],
)
def test_bad_values_are_refused_naming_key_and_value(block: dict[str, Any], named: str) -> None:
    with pytest.raises(ConfigError) as refused:
        MonitorConfig.from_context(block)
    assert named in str(refused.value)


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [("rate(1 minute)", 60), ("rate(5 minutes)", 300), ("rate(2 hours)", 7200), ("cron(0/5 * * * ? *)", None)],
)
def test_schedule_period(expression: str, seconds: int | None) -> None:
    assert schedule_period_seconds(expression) == seconds


cluster_names = st.from_regex(r"[a-z][a-z0-9-]{0,20}", fullmatch=True)
subnet_ids = st.from_regex(r"subnet-[0-9a-f]{17}", fullmatch=True)
tag_values = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=10)
scan_configs = st.builds(
    lambda ecs, eks, clusters, ids, tags, all_subnets, warning, gap, min_free: ScanConfig(
        discover_ecs=ecs,
        discover_eks=eks,
        clusters=tuple(dict.fromkeys(clusters)),
        subnet_ids=tuple(dict.fromkeys(ids)),
        subnet_tags=tuple(TagSelector(k, tuple(v)) for k, v in tags.items()),
        all_subnets=all_subnets,
        warning_percent=warning,
        critical_percent=min(warning + gap, 99.9),
        min_free_ips=min_free,
    ),
    st.booleans(),
    st.booleans(),
    st.lists(cluster_names, max_size=4),
    st.lists(subnet_ids, max_size=4),
    st.dictionaries(tag_values, st.lists(tag_values, max_size=3), max_size=3),
    st.booleans(),
    st.floats(1, 98, allow_nan=False).map(lambda v: round(v, 3)),
    st.floats(0.5, 50, allow_nan=False).map(lambda v: round(v, 3)),
    st.none() | st.integers(0, 1000),
)


@given(scan_configs)
def test_lambda_environment_round_trip(config: ScanConfig) -> None:
    env = config.to_env()
    assert all(isinstance(value, str) for value in env.values())
    assert ScanConfig.from_env(env) == config
    assert ScanConfig.from_mapping(config.to_mapping()) == config


def test_an_empty_environment_gives_the_defaults() -> None:
    assert ScanConfig.from_env({}) == ScanConfig()
    assert FailureConfig.from_env({}) == FailureConfig()


@given(st.builds(FailureConfig, window_minutes=st.integers(1, 1440), cloudtrail=st.booleans()))
def test_failure_function_environment_round_trip(config: FailureConfig) -> None:
    env = config.to_env()
    assert all(isinstance(value, str) for value in env.values())
    assert FailureConfig.from_env(env) == config
    assert MonitorConfig.from_context(config.to_mapping()).failures == config


@pytest.mark.parametrize(
    ("name", "value", "named"),
    [
        (
            "SUBNET_MONITOR_SCAN_CONFIG",
            '{"discoverEcs":"yes"}',
            "SUBNET_MONITOR_SCAN_CONFIG.discoverEcs: 'yes' must be",
        ),
        (
            "SUBNET_MONITOR_SCAN_CONFIG",
            '{"criticalPercent":"ninety"}',
            "SUBNET_MONITOR_SCAN_CONFIG.criticalPercent: 'ninety' must be a number",
        ),
        (
            "SUBNET_MONITOR_SCAN_CONFIG",
            '{"minFreeIps":1.5}',
            "SUBNET_MONITOR_SCAN_CONFIG.minFreeIps: 1.5 must be a whole",
        ),
        ("SUBNET_MONITOR_SCAN_CONFIG", "{team", "SUBNET_MONITOR_SCAN_CONFIG: '{team' is not valid JSON"),
        ("SUBNET_MONITOR_SCAN_CONFIG", "[]", "SUBNET_MONITOR_SCAN_CONFIG: [] must be a JSON object"),
        (
            "SUBNET_MONITOR_SCAN_CONFIG",
            '{"subnetIds":["subnet-1"]}',
            "SUBNET_MONITOR_SCAN_CONFIG.subnetIds: 'subnet-1' is not a subnet ID",
        ),
        (
            "SUBNET_MONITOR_FAILURE_CONFIG",
            '{"failureNotificationWindowMinutes":"a while"}',
            "SUBNET_MONITOR_FAILURE_CONFIG.failureNotificationWindowMinutes: 'a while' must be a whole number",
        ),
        (
            "SUBNET_MONITOR_FAILURE_CONFIG",
            '{"cloudTrailFailures":"on"}',
            "SUBNET_MONITOR_FAILURE_CONFIG.cloudTrailFailures: 'on' must be true or false",
        ),
    ],
)
def test_a_bad_environment_names_the_variable(name: str, value: str, named: str) -> None:
    with pytest.raises(ConfigError) as refused:
        (FailureConfig if "FAILURE" in name else ScanConfig).from_env({name: value})
    assert named in str(refused.value)


def test_the_environment_is_one_json_variable_keyed_as_cdk_json() -> None:
    env = ScanConfig(warning_percent=70, subnet_tags=(TagSelector("team", ("data",)),)).to_env()
    assert list(env) == ["SUBNET_MONITOR_SCAN_CONFIG"]
    rendered = json.loads(env["SUBNET_MONITOR_SCAN_CONFIG"])
    assert rendered["warningPercent"] == 70 and rendered["subnetTags"] == {"team": ["data"]}
    assert json.loads(FailureConfig(window_minutes=30).to_env()["SUBNET_MONITOR_FAILURE_CONFIG"]) == {
        "failureNotificationWindowMinutes": 30,
        "cloudTrailFailures": False,
    }


def test_a_long_value_is_cut_in_the_message() -> None:
    with pytest.raises(ConfigError) as refused:
        MonitorConfig.from_context({"subnetTags": {"team": "x" * 300}})
    assert str(refused.value).startswith("subnetTags.team: 'xxxx")
    assert "x" * 100 not in str(refused.value) and "…" in str(refused.value)


def test_nested_keys_are_named_by_their_dotted_path() -> None:
    with pytest.raises(ConfigError, match=r"^cni\.prod\.warmIpTarget: -1 must be a whole number, 0 or more$"):
        MonitorConfig.from_context({"cni": {"prod": {"warmIpTarget": -1}}})
    with pytest.raises(ConfigError, match=r"^cni\.prod\.warmIp: 1 is not a known key; known: prefixDelegation, "):
        MonitorConfig.from_context({"cni": {"prod": {"warmIp": 1}}})


def test_an_environment_over_lambdas_4_kb_is_refused() -> None:
    many = tuple(f"subnet-{i:017x}" for i in range(200))
    with pytest.raises(ConfigError, match=r"subnetIds: '200 IDs' render a \d+-byte Lambda environment"):
        ScanConfig(subnet_ids=many).to_env()


def test_observability_parses_and_maps_back() -> None:
    # GIVEN a monitoring account, sources by account and by organization, sinks in two regions
    value = {
        "monitoringAccount": "999999999999",
        "sourceAccounts": ["111111111111", "222222222222", "111111111111"],
        "organizationId": "o-a1b2c3d4e5",
        "sinkArns": {
            "eu-west-1": "arn:aws:oam:eu-west-1:999999999999:sink/a1b2c3d4-5678-90ab-cdef-123456789012",
            "us-gov-west-1": "arn:aws-us-gov:oam:us-gov-west-1:999999999999:sink/f00d",
        },
    }
    # WHEN it is parsed
    config = MonitorConfig.from_context({"observability": value}).observability
    # THEN repeats are dropped, the default createSink is true, and the mapping parses back the same
    assert config == ObservabilityConfig(
        monitoring_account="999999999999",
        source_accounts=("111111111111", "222222222222"),
        organization_id="o-a1b2c3d4e5",
        sink_arns=value["sinkArns"],
        create_sink=True,
    )
    assert ObservabilityConfig.from_value(config.to_mapping()) == config


def test_observability_is_a_deploy_key_not_rendered_into_the_lambda() -> None:
    assert "observability" in {field.alias for field in MonitorConfig.model_fields.values()}
    assert "observability" not in {field.alias for field in ScanConfig.model_fields.values()}
    config = MonitorConfig.from_context({"observability": {"monitoringAccount": "999999999999", "createSink": False}})
    assert config.scan.to_env() == ScanConfig().to_env()


def test_min_free_prefix_blocks_null_means_no_alarm_as_it_always_has() -> None:
    # GIVEN a block that sets minFreePrefixBlocks to null (accepted, as 0, since the key exists)
    # WHEN it is read
    # THEN the scan raises no LowFreePrefixBlocks alarm (0), where leaving the key out keeps the default
    assert ScanConfig.from_mapping({"minFreePrefixBlocks": None}).min_free_prefix_blocks == 0
    assert ScanConfig.from_mapping({}).min_free_prefix_blocks == DEFAULT_MIN_FREE_PREFIX_BLOCKS
