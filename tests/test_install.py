"""The CLI as a user installs it: build the wheel, install it into a fresh virtualenv with its declared
dependencies (from the package index), and run ``subnet-monitor``.

The wheel is built from a copy of what the build reads (``pyproject.toml``, ``README.md``, ``LICENSE``,
``lambda/subnet_monitor``), so setuptools' ``build/`` and ``*.egg-info`` never land in the checkout (the
``lambda/`` directory is the Lambda's code asset).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from subnet_monitor import __version__

REPO = Path(__file__).resolve().parents[1]
PLAN = "examples/plan.json"

pytestmark = pytest.mark.slow


def run(args: list[str | Path], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=900, check=False, **kwargs)  # type: ignore[call-overload]


def build_wheel(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    shutil.copytree(
        REPO / "lambda" / "subnet_monitor",
        source / "lambda" / "subnet_monitor",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy2(REPO / name, source / name)
    wheels = tmp_path / "wheels"
    built = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", wheels, "."], cwd=source)
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = wheels.glob("subnet_ip_monitor-*.whl")
    return wheel


def test_the_installed_cli_is_the_repository_cli(tmp_path: Path) -> None:
    # GIVEN the wheel, built from the repository's sources
    wheel = build_wheel(tmp_path)
    top_levels = {name.split("/")[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert top_levels == {"subnet_monitor", f"subnet_ip_monitor-{__version__}.dist-info"}

    # WHEN it is installed, with its dependencies, into a fresh virtualenv
    venv = tmp_path / "venv"
    created = run([sys.executable, "-m", "venv", venv])
    assert created.returncode == 0, created.stderr
    installed = run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel])
    assert installed.returncode == 0, installed.stdout + installed.stderr
    cli = venv / "bin" / "subnet-monitor"
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}

    # THEN the script names its version
    version = run([cli, "--version"], env=env)
    assert (version.returncode, version.stdout.strip()) == (0, f"subnet-monitor {__version__}")

    # AND checks a plan exactly as `python -m subnet_monitor` does from the checkout (same output, same exit code)
    from_repo = run(
        [sys.executable, "-m", "subnet_monitor", "check", "--plan", PLAN],
        cwd=REPO,
        env={**env, "PYTHONPATH": str(REPO / "lambda")},
    )
    from_wheel = run([cli, "check", "--plan", PLAN], cwd=REPO, env=env)
    assert from_repo.returncode == 2  # the example plan has failures on purpose
    assert (from_wheel.returncode, from_wheel.stdout, from_wheel.stderr) == (
        from_repo.returncode,
        from_repo.stdout,
        from_repo.stderr,
    )
