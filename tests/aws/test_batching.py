"""``concurrently``: reads side by side, outcomes in input order, one failure kept with its item."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subnet_monitor.aws.batching import READ_WORKERS, concurrently


@given(st.lists(st.integers(min_value=-1000, max_value=1000), max_size=40), st.integers(min_value=1, max_value=12))
def test_outcomes_come_in_input_order_and_a_failure_stays_with_its_item(items: list[int], workers: int) -> None:
    # GIVEN a read that fails for negative numbers
    def read(number: int) -> int:
        if number < 0:
            raise ValueError(f"negative: {number}")
        return number * 2

    # WHEN mapped over the items in a pool
    outcomes = concurrently(read, items, catch=(ValueError,), workers=workers)

    # THEN every item has its outcome, in the order given: its value, or its own error and no value
    assert [done.item for done in outcomes] == items
    for done in outcomes:
        if done.item < 0:
            assert (done.value, str(done.error)) == (None, f"negative: {done.item}")
        else:
            assert (done.value, done.error) == (done.item * 2, None)


def test_the_pool_runs_its_size_of_reads_at_once_and_no_more() -> None:
    # GIVEN reads that each wait until READ_WORKERS of them are running (a loop would never get there)
    barrier = threading.Barrier(READ_WORKERS, timeout=30)
    running = 0
    most = 0
    lock = threading.Lock()

    def read(item: int) -> int:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        barrier.wait()
        with lock:
            running -= 1
        return item

    # WHEN three pools' worth of them are mapped
    outcomes = concurrently(read, range(3 * READ_WORKERS))

    # THEN they all finished, READ_WORKERS at a time
    assert [done.value for done in outcomes] == list(range(3 * READ_WORKERS))
    assert most == READ_WORKERS


def test_an_error_not_caught_is_raised_the_first_in_input_order() -> None:
    # GIVEN a read with a bug for two of the items
    def read(number: int) -> int:
        if number in (3, 7):
            raise KeyError(number)
        return number

    # WHEN mapped with only ValueError caught, THEN the bug is raised, for the first item that met it
    with pytest.raises(KeyError) as raised:
        concurrently(read, range(10), catch=(ValueError,))
    assert raised.value.args == (3,)


def test_progress_counts_every_item_on_the_calling_thread() -> None:
    # GIVEN a progress callback that notes its thread
    seen: list[tuple[str, int, int, bool]] = []

    def progress(label: str, done: int, total: int) -> None:
        seen.append((label, done, total, threading.current_thread() is threading.main_thread()))

    # WHEN five items are read with it
    concurrently(lambda item: item, range(5), progress=progress, label="ENI reads")

    # THEN it heard 1 to 5 of 5, each time on the caller's thread
    assert seen == [("ENI reads", n, 5, True) for n in range(1, 6)]


def test_a_failed_first_write_sends_the_rest_one_at_a_time() -> None:
    # GIVEN a write whose first call is refused
    threads: list[str] = []

    def write(number: int) -> int:
        threads.append(threading.current_thread().name)
        if number == 0:
            raise ValueError("denied")
        return number

    # WHEN mapped with the first alone
    outcomes = concurrently(write, range(6), catch=(ValueError,), first_alone=True)

    # THEN the first failed, the others were still sent, all on the calling thread
    assert [str(done.error) if done.error else done.value for done in outcomes] == ["denied", 1, 2, 3, 4, 5]
    assert set(threads) == {threading.current_thread().name}
