"""The ``organization`` key: the monitor rolled out to an AWS Organization by a service-managed StackSet.

Only the deployment reads it (infra/organization.py). The names follow the CloudFormation resource
``AWS::CloudFormation::StackSet`` (``PermissionModel: SERVICE_MANAGED``, ``AutoDeployment``,
``DeploymentTargets.OrganizationalUnitIds``, ``CallAs``).
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudformation-stackset.html
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, Field, model_validator

from subnet_monitor.core.config.errors import ConfigError, Model, refuse, refusing
from subnet_monitor.core.config.scan import Flag

# Organization root ("r-…") or OU ("ou-<root>-<ou>") IDs: the pattern of the StackSets API.
# https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_StackSetAutoDeploymentTargetSummary.html
ORGANIZATIONAL_UNIT_PATTERN = re.compile(r"^(ou-[a-z0-9]{4,32}-[a-z0-9]{8,32}|r-[a-z0-9]{4,32})$")
# The same patterns as deploy.py's (which imports this module, so they cannot come from there).
ORGANIZATION_ID_PATTERN = re.compile(r"^o-[a-z0-9]{10,32}$")
ACCOUNT_PATTERN = re.compile(r"^\d{12}$")
REGION_PATTERN = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d$")
NOT_A_REGION = "is not a region name (e.g. eu-west-1)"


def _listed(items: tuple[str, ...]) -> tuple[str, ...]:
    if not items:
        raise refuse("must list at least one")
    if len(set(items)) != len(items):
        raise refuse("lists a value twice")
    return items


def _list_of(pattern: re.Pattern[str], reason: str) -> Any:
    """A non-empty list of distinct strings matching ``pattern``."""
    item = Annotated[str, Field(pattern=pattern.pattern), refusing(reason)]
    # The refusal first, so that _listed's own reasons are not replaced by it.
    return Annotated[tuple[item, ...], refusing("must be a list"), AfterValidator(_listed)]  # type: ignore[valid-type]


class OrganizationTargets(Model):
    """Where the StackSet deploys: every account in these OUs and in the OUs nested in them."""

    organizational_unit_ids: _list_of(  # type: ignore[valid-type]
        ORGANIZATIONAL_UNIT_PATTERN, "is not an OU ID (ou-…-…) or the organization root ID (r-…)"
    ) = Field(description="Organizational unit IDs (ou-…) or the root ID (r-…) to deploy to; at least one.")


class OrganizationConfig(Model):
    """The monitor in every account of some OUs, in the listed regions, by one service-managed StackSet.

    The administrator account (the management account, or a delegated administrator for StackSets)
    holds the StackSet and, in each listed region, a bucket with the Lambda code that every account of
    the organization may read.
    """

    organization_id: Annotated[
        str,
        Field(pattern=ORGANIZATION_ID_PATTERN.pattern),
        refusing("is not an AWS Organizations ID (o- and 10-32 characters)"),
    ] = Field(description="The AWS Organizations ID (o-…); its accounts may read the Lambda code buckets.")
    administrator_account: Annotated[
        str, Field(pattern=ACCOUNT_PATTERN.pattern), refusing("is not a 12-digit account ID")
    ] = Field(
        description="The 12-digit ID of the management or delegated administrator account that holds the StackSet."
    )
    administrator_region: Annotated[str, Field(pattern=REGION_PATTERN.pattern), refusing(NOT_A_REGION)] | None = Field(
        None, description="The region that holds the StackSet; null = the CLI's current region."
    )
    call_as: Annotated[
        Literal["SELF", "DELEGATED_ADMIN"], refusing("must be SELF (management account) or DELEGATED_ADMIN")
    ] = Field("SELF", description="SELF from the management account, DELEGATED_ADMIN from a delegated administrator.")
    targets: OrganizationTargets = Field(description="Where the StackSet deploys.")
    regions: _list_of(REGION_PATTERN, NOT_A_REGION) = Field(  # type: ignore[valid-type]
        description="The regions to deploy the monitor to in every target account; at least one."
    )
    auto_deployment: Flag = Field(
        True, description="Deploy to accounts that join the target OUs later, and remove from accounts that leave."
    )
    retain_stacks_on_account_removal: Flag = Field(
        False, description="Keep the monitor's stacks in an account that leaves the target OUs (autoDeployment only)."
    )

    @model_validator(mode="after")
    def _retain_needs_auto_deployment(self) -> OrganizationConfig:
        # AWS::CloudFormation::StackSet AutoDeployment, RetainStacksOnAccountRemoval: "Specify only if
        # Enabled is set to True."
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-cloudformation-stackset-autodeployment.html
        if self.retain_stacks_on_account_removal and not self.auto_deployment:
            raise ConfigError(
                "retainStacksOnAccountRemoval",
                True,
                "applies only with autoDeployment: true (an account leaves the targets of an auto-deployment)",
            )
        return self
