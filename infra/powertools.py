"""The public Powertools for AWS Lambda (Python) v3 layer, resolved per region and partition.

Layer ARN format (Powertools docs, "Lambda Layer"):
``arn:{partition}:lambda:{region}:{account}:layer:AWSLambdaPowertoolsPythonV3-{python3xx}-{arch}:{version}``
https://docs.aws.amazon.com/powertools/python/latest/getting-started/install/#lambda-layer

The layer version counts the releases of Powertools v3 and is the same in every region: 3.0.0
published version 1, 3.1.0 version 2 … 3.31.1 version 36, then 3.34.0, 3.35.0, 3.36.0 and
3.37.0 versions 37 to 40. ``POWERTOOLS_VERSION`` is held equal to the pin in
``requirements.txt`` (a test checks it), so the CLI, the tests and the Lambda run the same library.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack, Token
from aws_cdk import aws_lambda as lambda_
from aws_cdk.region_info import RegionInfo
from constructs import Construct

from subnet_monitor.core.config import ConfigError

POWERTOOLS_VERSION = "3.37.0"
POWERTOOLS_LAYER_VERSION = 40
# Python 3.14 is the newest Lambda runtime that both aws-cdk-lib 2.275 and the Powertools v3
# layer (AWSLambdaPowertoolsPythonV3-python314-*) support.
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64

# The commercial partition's publishing account; China and GovCloud publish from their own
# accounts, one per region (same docs page, "AWS China regions", "AWS GovCloud regions").
COMMERCIAL_LAYER_ACCOUNT = "017000801446"
OTHER_PARTITION_LAYER_ACCOUNTS = {
    "cn-north-1": "498634801083",
    "us-gov-east-1": "165087284144",
    "us-gov-west-1": "165093116878",
}
COMMERCIAL_PARTITION = "aws"


def layer_name(runtime: lambda_.Runtime = RUNTIME, architecture: lambda_.Architecture = ARCHITECTURE) -> str:
    """``AWSLambdaPowertoolsPythonV3-python314-arm64`` for the default runtime and architecture."""
    python_tag = runtime.name.replace(".", "")  # python3.14 -> python314
    return f"AWSLambdaPowertoolsPythonV3-{python_tag}-{architecture.name}"


def layer_arn(scope: Construct) -> str:
    """The layer ARN in the region and partition of ``scope``'s stack (CloudFormation tokens).

    Raises
    ------
    ConfigError
        (key ``environments.region``) for a region outside the commercial partition where no
        Powertools layer is published.
    """
    stack = Stack.of(scope)
    account = COMMERCIAL_LAYER_ACCOUNT
    region = stack.region
    if not Token.is_unresolved(region):
        partition = RegionInfo.get(region).partition or COMMERCIAL_PARTITION
        if partition != COMMERCIAL_PARTITION:
            if region not in OTHER_PARTITION_LAYER_ACCOUNTS:
                raise ConfigError(
                    "environments.region",
                    region,
                    f"has no public Powertools layer (partition {partition}); "
                    f"published in {', '.join(sorted(OTHER_PARTITION_LAYER_ACCOUNTS))}",
                )
            account = OTHER_PARTITION_LAYER_ACCOUNTS[region]
    # format_arn fills in the stack's partition and region as tokens; only the account and the
    # resource name are ours.
    return stack.format_arn(
        service="lambda",
        account=account,
        resource="layer",
        resource_name=f"{layer_name()}:{POWERTOOLS_LAYER_VERSION}",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def powertools_layer(scope: Construct, id_: str) -> lambda_.ILayerVersion:
    """Reference the public layer (nothing is created in the account)."""
    return lambda_.LayerVersion.from_layer_version_arn(scope, id_, layer_arn(scope))
