"""The monitor rolled out to an AWS Organization: one service-managed StackSet from the administrator account.

With the ``organization`` key, the app adds, in the administrator account (the management account or
a delegated administrator for StackSets):

- one :class:`CodeBucketStack` per listed region: a bucket named ``<prefix>-<region>`` that every
  account of the organization may read (``aws:PrincipalOrgID``), because Lambda takes a function's code
  from "an Amazon S3 bucket in the same AWS Region as your function. The bucket can be in a different
  AWS account" (Lambda API, FunctionCode.S3Bucket:
  https://docs.aws.amazon.com/lambda/latest/api/API_FunctionCode.html);
- :class:`OrganizationStack`, in the administrator region: the ``AWS::CloudFormation::StackSet``
  (``PermissionModel: SERVICE_MANAGED``, auto-deployment, the OUs and regions) and the monitor's
  member template, a :class:`MonitorMemberStack`.

The asset plumbing is cdklabs' ``cdk-stacksets``: its ``StackSetStack`` points the member template's
code at ``<prefix>-${AWS::Region}`` and its parent stack copies the code into each listed bucket
(a ``BucketDeployment``). The member template is the one :func:`infra.stack.add_monitor` composes for
a stack per account, environment-agnostic: the Powertools layer ARN takes its region and partition
from ``AWS::Region`` / ``AWS::Partition`` at deploy (infra/powertools.py).
"""

from __future__ import annotations

from aws_cdk import (
    Aws,
    CfnOutput,
    DefaultStackSynthesizer,
    Environment,
    RemovalPolicy,
    Stack,
)
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from cdk_stacksets import (
    Capability,
    DeploymentType,
    StackSet,
    StackSetStack,
    StackSetTarget,
    StackSetTemplate,
)
from constructs import Construct

from infra.nag import Acknowledgement, acknowledge, nag_rendering
from infra.powertools import COMMERCIAL_REGIONS
from infra.stack import DESCRIPTION, add_monitor
from subnet_monitor.core.config import ConfigError, MonitorConfig, OrganizationConfig

ORGANIZATION_STACK_ID = "SubnetMonitorOrganization"
CODE_BUCKET_STACK_ID = "SubnetMonitorOrganizationCode"
STACK_SET_NAME = "subnet-monitor"
# Bucket names are global: the administrator account's ID keeps them its own. With the longest region
# name (14 characters) the name stays well under S3's 63.
CODE_BUCKET_PREFIX = "subnet-monitor-code"


def code_bucket_prefix(organization: OrganizationConfig) -> str:
    """``subnet-monitor-code-<administrator account>``; each region's bucket adds ``-<region>``."""
    return f"{CODE_BUCKET_PREFIX}-{organization.administrator_account}"


def code_bucket_name(organization: OrganizationConfig, region: str) -> str:
    """The name of the code bucket in ``region``: what the member template reads in that region."""
    return f"{code_bucket_prefix(organization)}-{region}"


def member_config(config: MonitorConfig) -> MonitorConfig:
    """The configuration of the member template: the same monitor, without the keys that name accounts.

    A StackSet template is one template for every account and region, so it cannot tell the
    monitoring account from a source: the observability link of member accounts is the link StackSet's
    (infra/observability-link.template.yaml, docs/observability.md).
    """
    return config.model_copy(update={"observability": None, "environments": (), "organization": None})


def check_regions(organization: OrganizationConfig, administrator_region: str) -> None:
    """Refuse a region the member template cannot run in.

    The member template names the Powertools layer by ``AWS::Region`` with the commercial publishing
    account (infra/powertools.py), and a StackSet deploys within its own partition.

    Raises
    ------
    ConfigError
        (``organization.regions`` or ``organization.administratorRegion``) for a region outside the
        commercial regions Powertools publishes its layer in.
    """
    reason = (
        "has no public Powertools for AWS Lambda layer from the commercial publishing account, which the "
        f"StackSet's functions run on: the StackSet deploys to the {len(COMMERCIAL_REGIONS)} commercial regions "
        "in COMMERCIAL_REGIONS (infra/powertools.py); deploy one stack per environment in China and GovCloud"
    )
    for region in organization.regions:
        if region not in COMMERCIAL_REGIONS:
            raise ConfigError("organization.regions", region, reason)
    if administrator_region not in COMMERCIAL_REGIONS:
        raise ConfigError("organization.administratorRegion", administrator_region, reason)


class CodeBucketStack(Stack):
    """The administrator account's bucket for the Lambda code in one region, readable by the organization.

    Attributes
    ----------
    bucket
    """

    def __init__(self, scope: Construct, id_: str, *, organization: OrganizationConfig, region: str) -> None:
        super().__init__(
            scope,
            id_,
            env=Environment(account=organization.administrator_account, region=region),
            description="Subnet monitor (subnet-ip-monitor): Lambda code for the organization's StackSet",
        )
        self.bucket = s3.Bucket(
            self,
            "Bucket",
            bucket_name=code_bucket_name(organization, region),
            # SSE-S3: another account cannot use the administrator account's AWS managed KMS key.
            encryption=s3.BucketEncryption.S3_MANAGED,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            enforce_ssl=True,
            # Kept on stack deletion: member stacks in the organization still point their functions at it.
            removal_policy=RemovalPolicy.RETAIN,
        )
        # Any principal of the organization may read the code, nobody else: aws:PrincipalOrgID
        # "compare[s] the identifier of the organization in AWS Organizations to which the requesting
        # principal belongs" (IAM global condition context keys,
        # https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid).
        self.bucket.add_to_resource_policy(
            iam.PolicyStatement(
                sid="OrganizationReadsLambdaCode",
                principals=[iam.OrganizationPrincipal(organization.organization_id)],
                actions=["s3:GetObject"],
                resources=[self.bucket.arn_for_objects("*")],
            )
        )
        self.acknowledgements = acknowledge(
            [
                Acknowledgement(
                    self.bucket,
                    "AwsSolutions-S1",
                    "The bucket holds only the monitor's Lambda code, written by the CDK deployment and read by "
                    "CloudFormation in the organization's accounts; CloudTrail records who wrote it, and server "
                    "access logs would need a second bucket per region for no new question answered.",
                )
            ]
        )


class MonitorMemberStack(StackSetStack):
    """The template every target account and region gets: the monitor of :func:`infra.stack.add_monitor`."""

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: MonitorConfig,
        asset_buckets: list[s3.IBucket],
        asset_bucket_prefix: str,
    ) -> None:
        super().__init__(scope, id_, asset_buckets=asset_buckets, asset_bucket_prefix=asset_bucket_prefix)
        self.template_options.description = DESCRIPTION
        add_monitor(self, config)


class OrganizationStack(Stack):
    """The StackSet and the member template, in the administrator account and region.

    Attributes
    ----------
    member, stack_set
    """

    def __init__(
        self,
        scope: Construct,
        id_: str,
        *,
        config: MonitorConfig,
        organization: OrganizationConfig,
        region: str,
        code_buckets: list[CodeBucketStack],
    ) -> None:
        super().__init__(
            scope,
            id_,
            env=Environment(account=organization.administrator_account, region=region),
            description="Subnet monitor (subnet-ip-monitor): the StackSet that deploys it across the organization",
        )
        prefix = code_bucket_prefix(organization)
        buckets = [
            # By name: each bucket is in its own region's stack, which a reference cannot cross.
            s3.Bucket.from_bucket_name(self, f"CodeBucket-{target}", code_bucket_name(organization, target))
            for target in organization.regions
        ]
        for stack in code_buckets:
            self.add_stack_dependency(stack, "the Lambda code is copied into each region's bucket")
        self.member = MonitorMemberStack(
            self, "Member", config=member_config(config), asset_buckets=buckets, asset_bucket_prefix=prefix
        )
        self.stack_set = StackSet(
            self,
            "StackSet",
            stack_set_name=STACK_SET_NAME,
            description=DESCRIPTION,
            template=StackSetTemplate.from_stack_set_stack(self.member),
            target=StackSetTarget.from_organizational_units(
                organizational_units=list(organization.targets.organizational_unit_ids),
                regions=list(organization.regions),
            ),
            deployment_type=DeploymentType.service_managed(
                delegated_admin=organization.call_as == "DELEGATED_ADMIN",
                auto_deploy_enabled=organization.auto_deployment,
                # CloudFormation takes RetainStacksOnAccountRemoval with auto-deployment only.
                auto_deploy_retain_stacks=(
                    organization.retain_stacks_on_account_removal if organization.auto_deployment else None
                ),
            ),
            # The member template creates IAM roles (without names).
            capabilities=[Capability.IAM],
        )
        CfnOutput(self, "StackSetName", value=STACK_SET_NAME)
        self.acknowledgements = acknowledge(self._copy_findings(buckets))

    def _copy_findings(self, buckets: list[s3.IBucket]) -> list[Acknowledgement]:
        """The cdk-nag findings on the ``BucketDeployment`` that cdk-stacksets adds to copy the code into
        each region's bucket: aws-cdk-lib's own custom resource and grants, which this stack does not shape."""
        [handler] = [child for child in self.node.children if child.node.id.startswith("Custom::CDKBucketDeployment")]
        role = handler.node.find_child("ServiceRole")
        source = self._asset_objects()
        grants = (
            "aws-cdk-lib's BucketDeployment handler (cdk-stacksets publishes the StackSet's Lambda code with it) "
            "reads the code from the CDK asset bucket of this account and region and copies it into the code "
            "bucket of each listed region; CDK's grantRead/grantReadWrite give it these wildcards."
        )
        found = [
            Acknowledgement(
                role,
                "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]",
                "aws-cdk-lib's BucketDeployment handler (cdk-stacksets publishes the StackSet's Lambda code with it) "
                "writes its own logs with the AWS managed basic execution policy; the role is the handler's alone.",
            ),
            Acknowledgement(
                handler,
                "AwsSolutions-L1",
                "The runtime of aws-cdk-lib's BucketDeployment handler is aws-cdk-lib's choice and moves with its "
                "version (requirements.txt); the handler runs only while cdk deploy copies the code.",
            ),
            Acknowledgement(role, f"AwsSolutions-IAM5[Resource::{source}]", grants),
            *(
                Acknowledgement(role, f"AwsSolutions-IAM5[Action::{action}]", grants)
                for action in ("s3:GetBucket*", "s3:GetObject*", "s3:List*", "s3:Abort*", "s3:DeleteObject*")
            ),
            *(
                Acknowledgement(
                    role, f"AwsSolutions-IAM5[Resource::{nag_rendering(self, bucket.arn_for_objects('*'))}]", grants
                )
                for bucket in buckets
            ),
        ]
        # Not acknowledged: cdk-stacksets' warning that it cannot add a policy to a bucket it did not create
        # (CodeBucketStack sets that policy). Its only ID is the generic "warning-annotation", whose
        # acknowledgement would also hide every future warning of the member template.
        return found

    def _asset_objects(self) -> str:
        """The objects of the CDK asset bucket (the default bootstrap's), as cdk-nag renders them."""
        bucket = (
            DefaultStackSynthesizer.DEFAULT_FILE_ASSETS_BUCKET_NAME.replace(
                "${Qualifier}", DefaultStackSynthesizer.DEFAULT_QUALIFIER
            )
            .replace("${AWS::AccountId}", self.account)
            .replace("${AWS::Region}", self.region)
        )
        # The grant names the partition by reference (the asset bucket comes from the synthesizer).
        return nag_rendering(self, f"arn:{Aws.PARTITION}:s3:::{bucket}/*")


def add_organization(app: Construct, config: MonitorConfig, *, default_region: str) -> OrganizationStack | None:
    """The code buckets and the StackSet stack for the ``organization`` key, or nothing without it.

    Raises
    ------
    ConfigError
        for a region the member template cannot run in (:func:`check_regions`).
    """
    organization = config.organization
    if organization is None:
        return None
    region = organization.administrator_region or default_region
    check_regions(organization, region)
    code_buckets = [
        CodeBucketStack(app, f"{CODE_BUCKET_STACK_ID}-{target}", organization=organization, region=target)
        for target in organization.regions
    ]
    return OrganizationStack(
        app, ORGANIZATION_STACK_ID, config=config, organization=organization, region=region, code_buckets=code_buckets
    )
