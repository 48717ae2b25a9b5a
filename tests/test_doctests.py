"""The examples in the docstrings of the model, the design sizing and the terminal text stay true."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from subnet_monitor.core import capacity, consumers, findings, forecast, leaks, space, whatif
from subnet_monitor.design import sizing
from subnet_monitor.render import terminal

MODULES = [capacity, consumers, findings, forecast, leaks, sizing, space, terminal, whatif]


@pytest.mark.parametrize("module", MODULES, ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
