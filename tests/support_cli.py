"""Running the CLI in tests: its exit code and what it printed, and the moto AWS that module-scoped
estates are seeded in (a fixture of module scope cannot take the function-scoped ``aws`` fixture)."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from typing import NamedTuple

import boto3
import pytest
from moto import mock_aws

from fixtures.vpc_cni_addon import VpcCniAddons, serving
from subnet_monitor.cli import main
from tests.moto_estate import REGION


class Run(NamedTuple):
    code: int
    out: str
    err: str


def run(*argv: str) -> Run:
    """``subnet-monitor ARGV`` in this process: exit code, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(list(argv))
    return Run(code, out.getvalue(), err.getvalue())


@contextlib.contextmanager
def moto_aws() -> Iterator[boto3.Session]:
    """moto's AWS with fake credentials in the region of the estates, and the vpc-cni add-on answered
    (moto has no DescribeAddon); nothing of the caller's AWS setup leaks in."""
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_SESSION_TOKEN"):
            env.delenv(name, raising=False)
        env.setenv("AWS_ACCESS_KEY_ID", "testing")
        env.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        env.setenv("AWS_DEFAULT_REGION", REGION)
        with mock_aws(), serving(VpcCniAddons()):
            yield boto3.Session(region_name=REGION)
