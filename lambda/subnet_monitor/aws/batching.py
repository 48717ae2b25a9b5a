"""Split work into the batch sizes AWS APIs accept."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import TypeVar

T = TypeVar("T")


def batched(items: Iterable[T], size: int) -> Iterator[Sequence[T]]:
    """Yield consecutive tuples of at most ``size`` items."""
    if size < 1:
        raise ValueError(f"batch size must be positive, got {size}")
    iterator = iter(items)
    while batch := tuple(islice(iterator, size)):
        yield batch
