"""Regions outside the usual: GovCloud and China deploy without Slack and with their own Powertools layer;
Slack there, and any region Powertools publishes no layer in, stop synth naming the key and the region."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk.region_info import RegionInfo

from infra.failures import HANDLER as FAILURE_HANDLER
from infra.powertools import POWERTOOLS_LAYER_VERSION, PUBLISHED_IN, layer_arn
from subnet_monitor.core.config import ConfigError
from tests.infra.support import ACCOUNT, build, collector, flatten, resources

SLACK = {"slack": {"workspaceId": "T0123ABCDE", "channelId": "C0456FGHIJ"}}
LAYER = f"layer:AWSLambdaPowertoolsPythonV3-python314-arm64:{POWERTOOLS_LAYER_VERSION}"
# The publishing accounts outside the commercial partition, as the Powertools docs list them
# (https://docs.aws.amazon.com/powertools/python/latest/getting-started/install/#aws-govcloud-regions).
OTHER_PARTITIONS = {
    "us-gov-west-1": "arn:aws-us-gov:lambda:us-gov-west-1:165093116878",
    "us-gov-east-1": "arn:aws-us-gov:lambda:us-gov-east-1:165087284144",
    "cn-north-1": "arn:aws-cn:lambda:cn-north-1:498634801083",
}


def _environments(*regions: str) -> dict:
    return {"environments": [{"account": ACCOUNT, "region": region} for region in regions]}


@pytest.fixture(scope="module")
def other_partitions():
    # GIVEN one stack per GovCloud region and one in China, no Slack (one app: synth is the slow part)
    built = build(_environments(*OTHER_PARTITIONS))
    return dict(zip(OTHER_PARTITIONS, (built.template(index) for index in range(len(OTHER_PARTITIONS))), strict=True))


@pytest.mark.parametrize("region", OTHER_PARTITIONS)
def test_govcloud_and_china_synthesize_with_their_partitions_layer(other_partitions, region):
    template = other_partitions[region]
    # THEN both functions run the layer of that region's partition and publishing account
    layers = [
        flatten(layer)
        for function in resources(template, "AWS::Lambda::Function").values()
        for layer in function["Properties"]["Layers"]
    ]
    assert layers == [f"{OTHER_PARTITIONS[region]}:{LAYER}"] * 2
    # AND nothing of AWS Chatbot is in the template
    assert resources(template, "AWS::Chatbot::SlackChannelConfiguration") == {}


def test_the_failure_function_shares_the_collectors_layer(other_partitions):
    template = other_partitions["us-gov-west-1"]
    [failure] = [
        f["Properties"]
        for f in resources(template, "AWS::Lambda::Function").values()
        if f["Properties"]["Handler"] == FAILURE_HANDLER
    ]
    assert failure["Layers"] == collector(template)["Layers"]


@pytest.mark.parametrize(
    ("block", "region", "partition"),
    [
        pytest.param({**SLACK, **_environments("us-gov-west-1")}, "us-gov-west-1", "aws-us-gov", id="govcloud-listed"),
        pytest.param({**SLACK, **_environments("cn-north-1")}, "cn-north-1", "aws-cn", id="china-listed"),
        # the "many regions" mix: a commercial region with Slack next to GovCloud still stops the build
        pytest.param(
            {**SLACK, **_environments("eu-west-1", "us-gov-east-1")}, "us-gov-east-1", "aws-us-gov", id="mixed"
        ),
    ],
)
def test_slack_in_a_region_without_aws_chatbot_stops_synth(block, region, partition):
    # WHEN the app is built THEN synth stops before any template, naming the key, the region and why
    with pytest.raises(ConfigError) as refused:
        build(block)
    assert refused.value.key == "slack"
    assert refused.value.value == region
    assert f"slack: '{region}' has no AWS Chatbot" in str(refused.value)
    assert partition in str(refused.value)


def test_slack_in_the_clis_govcloud_region_stops_synth():
    # GIVEN no environments listed: the stack goes to the CLI's current region, here GovCloud
    with pytest.raises(ConfigError) as refused:
        build(SLACK, region="us-gov-west-1")
    assert (refused.value.key, refused.value.value) == ("slack", "us-gov-west-1")


@pytest.mark.parametrize(
    ("block", "region"),
    [
        # China's second region: Powertools publishes in cn-north-1 only
        pytest.param(_environments("cn-northwest-1"), "cn-northwest-1", id="china-ningxia"),
        # a commercial region Powertools does not publish in
        pytest.param(_environments("ap-southeast-6"), "ap-southeast-6", id="commercial-unpublished"),
        pytest.param(_environments("eu-west-1", "ap-east-2"), "ap-east-2", id="one-of-two"),
    ],
)
def test_a_region_without_the_powertools_layer_stops_synth(block, region):
    with pytest.raises(ConfigError) as refused:
        build(block)
    assert refused.value.key == "environments.region"
    assert refused.value.value == region
    assert f"environments.region: '{region}' has no public Powertools for AWS Lambda layer" in str(refused.value)


def test_the_clis_region_without_the_layer_stops_synth():
    with pytest.raises(ConfigError) as refused:
        build(None, region="ap-southeast-6")
    assert refused.value.value == "ap-southeast-6"


def test_every_published_region_gets_an_arn_in_its_own_partition():
    # GIVEN a bare stack in each region the layer is published in (no app build: only the ARN matters)
    app = cdk.App()
    for region, (partition, account) in PUBLISHED_IN.items():
        stack = cdk.Stack(app, f"In-{region}", env=cdk.Environment(account=ACCOUNT, region=region))
        # THEN the ARN is in the partition AWS puts that region in, from the account that publishes there
        assert RegionInfo.get(region).partition == partition
        assert stack.resolve(layer_arn(stack)) == f"arn:{partition}:lambda:{region}:{account}:{LAYER}"
