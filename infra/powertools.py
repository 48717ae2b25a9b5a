"""The public Powertools for AWS Lambda (Python) v3 layer, resolved per region at synth.

Layer ARN format and publishing accounts (Powertools docs, "Lambda Layer", "AWS China regions",
"AWS GovCloud regions"):
``arn:{partition}:lambda:{region}:{account}:layer:AWSLambdaPowertoolsPythonV3-{python3xx}-{arch}:{version}``
https://docs.aws.amazon.com/powertools/python/latest/getting-started/install/#lambda-layer

Why a table of the regions Powertools publishes in, and not its public SSM parameters
(``/aws/service/powertools/python/<arch>/<python>/<version|latest>``):

- Synth makes no AWS call (the team's rule), so ``StringParameter.value_from_lookup`` is out; the only
  SSM option is a reference CloudFormation resolves at deploy, which puts no ARN in the template (a
  reviewer and ``cdk diff`` see a parameter name, not the layer the functions will run).
- Powertools writes those parameters in its commercial regions only (``.github/workflows/update_ssm.yml``
  in its repository: 30 regions, account 017000801446; none in China or GovCloud), and once released a
  version without them (3.23.0, https://github.com/aws-powertools/powertools-lambda-python/issues/7689).
  A missing parameter fails the deploy: the failure this module exists to move to synth.
- The table below gives the same answer at synth: a region in it gets the ARN, with its partition and
  publishing account, visible in the template; a region not in it is refused with a ``ConfigError``
  naming it, before anything is deployed.

The layer version counts the releases of Powertools v3: 3.0.0 published version 1, 3.1.0 version 2 …
3.31.1 version 36, then 3.34.0, 3.35.0, 3.36.0 and 3.37.0 versions 37 to 40. Powertools keeps that number
the same release in every region and partition (the "Layer Balancer (Partitions)" workflow copies the
commercial history into China and GovCloud "preserving layer version numbers",
https://github.com/aws-powertools/powertools-lambda-python/issues/8418), but copies each
release to China and GovCloud separately and later than to the commercial regions: see docs/deploy.md for
checking that the pinned version has arrived there before deploying. ``POWERTOOLS_VERSION`` is held equal
to the pin in ``requirements.txt`` (a test checks it), so the CLI, the tests and the Lambda run the same
library.
"""

from __future__ import annotations

from aws_cdk import ArnFormat, Stack, Token
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from subnet_monitor.core.config import ConfigError

POWERTOOLS_VERSION = "3.37.0"
POWERTOOLS_LAYER_VERSION = 40
# Python 3.14 is the newest Lambda runtime that both aws-cdk-lib 2.275 and the Powertools v3
# layer (AWSLambdaPowertoolsPythonV3-python314-*) support.
RUNTIME = lambda_.Runtime.PYTHON_3_14
ARCHITECTURE = lambda_.Architecture.ARM_64

# The config key a refused region is reported under (a listed environment's, or the CLI's current one).
REGION_KEY = "environments.region"

# The commercial partition's regions with the layer, all from one publishing account: the Powertools
# docs' "All regional Layer ARNs" table (docs/includes/_layer_homepage_arm64.md), plus ca-west-1,
# which its layer deployment and SSM workflows (reusable_deploy_v3_layer_stack.yml, update_ssm.yml)
# publish to as well. Regions opened since (ap-east-2, ap-southeast-6, …) are not in it: refused.
COMMERCIAL_LAYER_ACCOUNT = "017000801446"
COMMERCIAL_REGIONS = frozenset(
    {
        "af-south-1",
        "ap-east-1",
        "ap-northeast-1",
        "ap-northeast-2",
        "ap-northeast-3",
        "ap-south-1",
        "ap-south-2",
        "ap-southeast-1",
        "ap-southeast-2",
        "ap-southeast-3",
        "ap-southeast-4",
        "ap-southeast-5",
        "ap-southeast-7",
        "ca-central-1",
        "ca-west-1",
        "eu-central-1",
        "eu-central-2",
        "eu-north-1",
        "eu-south-1",
        "eu-south-2",
        "eu-west-1",
        "eu-west-2",
        "eu-west-3",
        "il-central-1",
        "me-central-1",
        "me-south-1",
        "mx-central-1",
        "sa-east-1",
        "us-east-1",
        "us-east-2",
        "us-west-1",
        "us-west-2",
    }
)


def _published_in() -> dict[str, tuple[str, str]]:
    """Region → (partition, publishing account) for every region with the layer."""
    published = {region: ("aws", COMMERCIAL_LAYER_ACCOUNT) for region in COMMERCIAL_REGIONS}
    # China and GovCloud publish from an account per region (docs: "AWS China regions", "AWS GovCloud
    # regions"); the layer workflow for them (layers_partitions.yml) publishes to exactly these three.
    published["cn-north-1"] = ("aws-cn", "498634801083")
    published["us-gov-east-1"] = ("aws-us-gov", "165087284144")
    published["us-gov-west-1"] = ("aws-us-gov", "165093116878")
    return published


PUBLISHED_IN = _published_in()


def layer_name(runtime: lambda_.Runtime = RUNTIME, architecture: lambda_.Architecture = ARCHITECTURE) -> str:
    """``AWSLambdaPowertoolsPythonV3-python314-arm64`` for the default runtime and architecture."""
    python_tag = runtime.name.replace(".", "")  # python3.14 -> python314
    return f"AWSLambdaPowertoolsPythonV3-{python_tag}-{architecture.name}"


def publisher(region: str) -> tuple[str, str]:
    """The partition of ``region`` and the account that publishes the layer there.

    Raises
    ------
    ConfigError
        (key ``environments.region``) for a region Powertools publishes no layer in.
    """
    if region not in PUBLISHED_IN:
        raise ConfigError(
            REGION_KEY,
            region,
            "has no public Powertools for AWS Lambda layer, which the functions run on: Powertools publishes it "
            f"in {len(COMMERCIAL_REGIONS)} commercial regions (COMMERCIAL_REGIONS in infra/powertools.py), "
            "cn-north-1, us-gov-east-1 and us-gov-west-1",
        )
    return PUBLISHED_IN[region]


def layer_arn(scope: Construct) -> str:
    """The layer ARN in the region and partition of ``scope``'s stack.

    An environment-agnostic stack (region unknown until deploy) gets the commercial account with the
    partition and region as CloudFormation references: nothing at synth can say more.

    Raises
    ------
    ConfigError
        (key ``environments.region``) for a region Powertools publishes no layer in.
    """
    stack = Stack.of(scope)
    region = stack.region
    if Token.is_unresolved(region):
        # format_arn fills in the partition and the region as references.
        partition, account = stack.partition, COMMERCIAL_LAYER_ACCOUNT
    else:
        # The partition from the table, a literal: CDK's own is a reference for regions it has no facts on.
        partition, account = publisher(region)
    return stack.format_arn(
        service="lambda",
        partition=partition,
        account=account,
        resource="layer",
        resource_name=f"{layer_name()}:{POWERTOOLS_LAYER_VERSION}",
        arn_format=ArnFormat.COLON_RESOURCE_NAME,
    )


def powertools_layer(scope: Construct, id_: str) -> lambda_.ILayerVersion:
    """Reference the public layer (nothing is created in the account)."""
    return lambda_.LayerVersion.from_layer_version_arn(scope, id_, layer_arn(scope))
