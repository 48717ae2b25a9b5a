"""The real CDK CLI (pinned in package.json) synthesizes the project as a user would."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from infra import PROJECT_ROOT

# Environment variables that would hand the CLI credentials or a profile: synth needs none.
CREDENTIAL_VARIABLES = ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def _pinned_cli_version() -> str:
    return json.loads((PROJECT_ROOT / "package.json").read_text())["devDependencies"]["aws-cdk"]


def _installed_cli_version() -> str | None:
    installed = PROJECT_ROOT / "node_modules" / "aws-cdk" / "package.json"
    return json.loads(installed.read_text())["version"] if installed.exists() else None


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed: the CDK CLI cannot run")
def test_cdk_synth_with_the_pinned_cli(tmp_path):
    env = {key: value for key, value in os.environ.items() if key not in CREDENTIAL_VARIABLES}
    env["JSII_SILENCE_WARNING_DEPRECATED_NODE_VERSION"] = "1"
    env["JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"] = "20"
    # GIVEN the pinned CLI, installed from package-lock.json when missing or stale (as make synth does)
    if _installed_cli_version() != _pinned_cli_version():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PROJECT_ROOT, env=env, check=True)
    assert _installed_cli_version() == _pinned_cli_version()
    # WHEN it synthesizes the project with the committed cdk.json and no credentials
    result = subprocess.run(
        ["npx", "--no-install", "cdk", "synth", "--quiet", "--output", str(tmp_path)],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    # THEN it succeeds, writes the stack's template, and warns about nothing
    assert result.returncode == 0, result.stderr
    template = json.loads((tmp_path / "SubnetMonitor.template.json").read_text())
    assert "AWS::Scheduler::Schedule" in {resource["Type"] for resource in template["Resources"].values()}
    # npm's own notice about this machine's ~/.npmrc is not the project's.
    output = [
        line
        for line in (result.stdout + result.stderr).splitlines()
        if line.strip() and not line.startswith("npm warn Unknown user config")
    ]
    assert not [line for line in output if "warn" in line.lower() or "not configured" in line], output
