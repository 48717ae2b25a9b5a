"""Names of the resources whose names are unique per account rather than per region.

CloudWatch dashboards and AWS Chatbot channel configurations are account-wide: the same stack deployed
in a second region of one account (as docs/observability.md walks through) would fail with "already
exists" and roll back. Their names therefore carry the region, unless the stack's name already ends
with it (``SubnetMonitor-<account>-<region>`` for a listed environment).
"""

from __future__ import annotations

from aws_cdk import Stack, Token

# The longest region code today is 14 characters (ap-southeast-5, us-gov-west-1 is 13); room for more.
REGION_MAX_LENGTH = 20


def account_unique_name(stack: Stack, suffix: str = "", *, max_length: int) -> str:
    """``<stack name>[-<region>]<suffix>``, cut in the stack name's part to fit ``max_length``.

    The region may be a token (an environment-agnostic stack): CloudFormation fills it in at deploy.
    """
    region = stack.region
    named = not Token.is_unresolved(region) and stack.stack_name.endswith(f"-{region}")
    tail = "" if named else f"-{region}"
    room = max_length - len(suffix) - (0 if named else REGION_MAX_LENGTH + 1)
    return f"{stack.stack_name[:room]}{tail}{suffix}"
