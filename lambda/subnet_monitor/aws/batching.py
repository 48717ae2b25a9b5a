"""Split work into the batch sizes AWS APIs accept, and run independent reads side by side."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from itertools import islice
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# How many reads a scan keeps in flight at once (per fan-out; see NESTED_READ_WORKERS). The work is
# waiting on the network, not the CPU (Lambda gives 2 vCPUs or fewer at the collector's memory sizes,
# and the GIL is released while a thread waits on its socket), so the bound is the APIs' rate limits:
# EC2 throttles each non-mutating action with a bucket of 100 requests refilled at 20 a second
# (https://docs.aws.amazon.com/ec2/latest/devguide/ec2-api-throttling.html) and ECS its cluster reads
# with a bucket of 50 (https://docs.aws.amazon.com/AmazonECS/latest/APIReference/request-throttling.html).
# Ten in flight stay far inside either burst; what a long scan adds past the refill rate, the clients'
# adaptive retry mode (aws/clients.py) slows down instead of failing. boto3 clients are safe to share
# between threads once created ("Low-level clients are thread safe", boto3 guide, Multithreading or
# multiprocessing with clients: https://boto3.amazonaws.com/v1/documentation/api/latest/guide/clients.html);
# sessions are not, which is why AwsClients builds every client up front on the calling thread.
READ_WORKERS = 10
# A fan-out inside one of those (the node groups and Fargate profiles of one cluster): at most
# READ_WORKERS x NESTED_READ_WORKERS = 40 reads of one client in flight.
NESTED_READ_WORKERS = 4
MAX_IN_FLIGHT = READ_WORKERS * NESTED_READ_WORKERS
# Reads whose answers are large go fewer at a time, because every page in flight is held whole while
# botocore parses it (a page of 1,000 ENIs is about 7 MB), and the peak memory is a Lambda's limit:
# 500 subnets' 6 hours of history (some megabytes) 4 at a time, read after the ENIs are dropped; the
# ENIs in 4 streams side by side (aws/ec2.py cuts the VPCs into that many), which makes the ENI pages
# that follow one another a quarter as many (51 in a row at 10,000 subnets with one stream, 14 with 4).
# At 10,000 subnets the scan peaks at 244 MB with 4 streams (make bench ARGS="--sizes 1000,10000"),
# against the 256 MB it must fit in. It was 264 MB with one stream before slim_eni kept repeated strings
# once and the allocator one arena (ALLOCATOR_ENVIRONMENT); 263 MB with 4 streams and one arena alone
# (docs/scale-and-cost.md, "Reads side by side, and the latency of AWS").
BULK_READ_WORKERS = 4
ENI_STREAMS = 4
# glibc's malloc gives each thread that allocates an arena of its own (up to 8 per core), and memory
# freed into one arena is reused only by the threads that allocate from it: the pool threads' page
# parses grew arenas of their own while the memory the dropped ENIs left sat in the main one. With one
# arena every thread reuses it (the threads take turns at the GIL anyway, so nothing waits on its lock).
# glibc reads MALLOC_ARENA_MAX when the process starts, so it is set in the collector's environment
# (infra/stack.py; not one of the variables Lambda reserves) and in the benchmark's worker
# (bench/run.py) alike. glibc.malloc.arena_max, "identical in features" to MALLOC_ARENA_MAX:
# https://www.gnu.org/software/libc/manual/html_node/Memory-Allocation-Tunables.html
ALLOCATOR_ENVIRONMENT = {"MALLOC_ARENA_MAX": "1"}

# Told each finished item: what is being read, how many are done, of how many.
Progress = Callable[[str, int, int], None]


def batched(items: Iterable[T], size: int) -> Iterator[Sequence[T]]:
    """Yield consecutive tuples of at most ``size`` items."""
    if size < 1:
        raise ValueError(f"batch size must be positive, got {size}")
    iterator = iter(items)
    while batch := tuple(islice(iterator, size)):
        yield batch


@dataclass(frozen=True)
class Done(Generic[T, R]):
    """One item's outcome: its ``value``, or the ``error`` (one of the caught types) it raised."""

    item: T
    value: R | None = None
    error: Exception | None = None


def concurrently(
    read: Callable[[T], R],
    items: Iterable[T],
    *,
    catch: tuple[type[Exception], ...] = (),
    workers: int | None = None,
    progress: Progress | None = None,
    label: str = "",
    first_alone: bool = False,
) -> list[Done[T, R]]:
    """``read`` over ``items`` in a pool of at most ``workers`` threads, outcomes in input order.

    An exception of a ``catch`` type stays with its item (``Done.error``) and the others still run,
    so the caller records failures in the same order as a loop would; any other exception is raised,
    the first in input order, once every item has finished. ``progress`` is called on the calling
    thread as items finish (``label``, done, total).

    Parameters
    ----------
    read
        the work for one item; it must touch no state another item's ``read`` touches.
    workers
        the pool's size (default :data:`READ_WORKERS`, read at call time); 1, or a single item, runs
        on the calling thread.
    first_alone
        run the first item on its own first, and the rest one at a time if it failed: for writes,
        where an API that refuses one call (denied, or throttled past the retries) would refuse a
        pool's worth at once.
    """
    items = list(items)
    size = READ_WORKERS if workers is None else workers
    if first_alone and items:
        [first] = concurrently(read, items[:1], catch=catch, workers=1)
        if progress is not None:
            progress(label, 1, len(items))

        def rest_progress(_: str, done: int, total: int) -> None:
            if progress is not None:
                progress(label, done + 1, total + 1)

        rest = concurrently(read, items[1:], catch=catch, workers=1 if first.error else size, progress=rest_progress)
        return [first, *rest]

    def attempt(item: T) -> Done[T, R]:
        try:
            return Done(item, value=read(item))
        except catch as error:
            return Done(item, error=error)

    if size <= 1 or len(items) <= 1:
        outcomes = []
        for number, item in enumerate(items, start=1):
            outcomes.append(attempt(item))
            if progress is not None:
                progress(label, number, len(items))
        return outcomes
    with ThreadPoolExecutor(max_workers=min(size, len(items)), thread_name_prefix="read") as pool:
        futures = [pool.submit(attempt, item) for item in items]
        for number, _ in enumerate(as_completed(futures), start=1):
            if progress is not None:
                progress(label, number, len(items))
        return [future.result() for future in futures]
