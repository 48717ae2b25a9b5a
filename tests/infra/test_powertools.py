"""The Powertools layer: the same library the project pins, resolved per region."""

from __future__ import annotations

import re

import aws_cdk as cdk

from infra import PROJECT_ROOT
from infra.powertools import POWERTOOLS_VERSION, RUNTIME, layer_arn, layer_name


def test_layer_carries_the_pinned_powertools_version():
    # The layer version is tied to one Powertools release; bump both together.
    pins = dict(
        line.split("==") for line in (PROJECT_ROOT / "requirements.txt").read_text().splitlines() if "==" in line
    )
    assert pins["aws-lambda-powertools"] == POWERTOOLS_VERSION


def test_layer_name_matches_the_runtime():
    assert RUNTIME.name == "python3.14"
    assert layer_name() == "AWSLambdaPowertoolsPythonV3-python314-arm64"


def test_region_agnostic_stack_gets_region_and_partition_tokens():
    # GIVEN a stack without an environment (the region is only known at deploy time)
    stack = cdk.Stack(cdk.App(), "Agnostic")
    # WHEN the layer ARN is built THEN region and partition are CloudFormation references
    resolved = stack.resolve(layer_arn(stack))
    parts = resolved["Fn::Join"][1]
    assert {"Ref": "AWS::Partition"} in parts
    assert {"Ref": "AWS::Region"} in parts
    assert re.search(r":017000801446:layer:AWSLambdaPowertoolsPythonV3-python314-arm64:\d+$", parts[-1])
