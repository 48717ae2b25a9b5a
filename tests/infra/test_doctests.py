"""The examples in the infra docstrings (queries, layer name) stay true."""

from __future__ import annotations

import doctest

import pytest

from infra import alarms, dashboard, observability


@pytest.mark.parametrize("module", [alarms, dashboard, observability], ids=lambda m: m.__name__)
def test_docstring_examples(module):
    result = doctest.testmod(module)
    assert result.attempted > 0
    assert result.failed == 0
