"""The examples in the docstrings of the design sizing, the capacity model, the consumers and the forecast stay true."""

from __future__ import annotations

import doctest
from types import ModuleType

import pytest

from subnet_monitor.core import capacity, consumers, forecast
from subnet_monitor.design import sizing


@pytest.mark.parametrize("module", [capacity, consumers, sizing, forecast], ids=lambda m: m.__name__)
def test_docstring_examples(module: ModuleType) -> None:
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
