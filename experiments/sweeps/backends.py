"""Where runs execute: serially, in a local process pool, or on a Dask cluster.

Every backend has one method, ``run(fn, tasks)``, which calls ``fn(task)`` for each task and
yields ``(task, result)`` pairs as they finish (in any order); ``result`` is an exception when
the run could not be executed (its worker died twice). At most a few tasks per worker are in
flight at once, so a driver's memory does not grow with the size of the sweep.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

Task = dict[str, Any]
Pair = tuple[Task, Any]


class WorkerDied(RuntimeError):
    """A run's worker process died (twice: it is retried once)."""


class SerialBackend:
    """Runs in the driver process, one after another (``--workers 1``)."""

    name = "serial"
    workers = 1

    def run(self, fn: Callable[[Task], Any], tasks: Iterable[Task]) -> Iterator[Pair]:
        for task in tasks:
            yield task, fn(task)

    def close(self) -> None:
        pass


class ProcessBackend:
    """A local pool of spawned processes (the default: one per core).

    If a worker dies (the pool breaks), the pool is restarted and the runs that were in
    flight are retried once; a run whose worker dies again is reported as failed.
    """

    name = "processes"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.context = multiprocessing.get_context("spawn")
        self.pool: ProcessPoolExecutor | None = None

    def _new_pool(self) -> ProcessPoolExecutor:
        if self.pool is not None:
            self.pool.shutdown(wait=False, cancel_futures=True)
        self.pool = ProcessPoolExecutor(max_workers=self.workers, mp_context=self.context)
        return self.pool

    def run(self, fn: Callable[[Task], Any], tasks: Iterable[Task]) -> Iterator[Pair]:
        source = iter(tasks)
        retry: deque[Task] = deque()
        attempts: dict[str, int] = {}
        inflight: dict[Any, Task] = {}
        pool = self.pool or self._new_pool()
        limit = 2 * self.workers

        def fill() -> None:
            while len(inflight) < limit:
                task = retry.popleft() if retry else next(source, None)
                if task is None:
                    return
                inflight[pool.submit(fn, task)] = task

        fill()
        while inflight:
            done, _ = wait(inflight, return_when=FIRST_COMPLETED)
            broken = False
            for future in done:
                task = inflight.pop(future)
                try:
                    result = future.result()
                except BrokenProcessPool:
                    broken = True
                    run_id = task["run_id"]
                    attempts[run_id] = attempts.get(run_id, 0) + 1
                    if attempts[run_id] >= 2:
                        yield task, WorkerDied(f"worker died twice running {run_id}")
                    else:
                        retry.append(task)
                    continue
                except Exception as e:  # noqa: BLE001 - e.g. the task could not be pickled
                    result = e
                yield task, result
            if broken:  # every other run in flight is lost with the pool: wait, then retry
                for future, task in list(inflight.items()):
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        attempts[task["run_id"]] = attempts.get(task["run_id"], 0) + 1
                        retry.append(task)
                    else:
                        yield task, result
                    del inflight[future]
                pool = self._new_pool()
            fill()

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


class DaskBackend:
    """A Dask distributed cluster: given by address, or started on 127.0.0.1 with
    ``local_workers`` single-threaded worker processes (closed again by :meth:`close`).

    Dask itself reschedules the runs of a worker that dies; a run that keeps killing its
    workers comes back as ``KilledWorker`` and is recorded as failed.
    """

    name = "dask"

    def __init__(self, scheduler: str | None = None, local_workers: int | None = None) -> None:
        try:
            from dask import config as dask_config
            from distributed import Client, LocalCluster
        except ImportError:
            raise RuntimeError("the Dask backend needs the 'cluster' extra: "
                               "pip install 'grassroots-sim[cluster]'") from None
        self.cluster = None
        if scheduler is None:
            dask_config.set({"distributed.scheduler.allowed-failures": 1})
            self.cluster = LocalCluster(n_workers=local_workers or 1, threads_per_worker=1,
                                        processes=True, host="127.0.0.1",
                                        dashboard_address=None)
            self.client = Client(self.cluster)
        else:
            self.client = Client(scheduler)
        self.workers = max(1, sum(w["nthreads"] for w in
                                  self.client.scheduler_info()["workers"].values()))

    def run(self, fn: Callable[[Task], Any], tasks: Iterable[Task]) -> Iterator[Pair]:
        from distributed import as_completed

        source = iter(tasks)
        inflight: dict[Any, Task] = {}
        queue = as_completed()

        def submit(task: Task) -> None:
            future = self.client.submit(fn, task, pure=False, key=f"run-{task['run_id']}-"
                                        f"{os.getpid()}-{id(task)}")
            inflight[future.key] = task
            queue.add(future)

        for _ in range(2 * self.workers):
            task = next(source, None)
            if task is None:
                break
            submit(task)
        for future in queue:
            task = inflight.pop(future.key)
            try:
                result = future.result()
            except Exception as e:  # noqa: BLE001 - KilledWorker, lost connection, ...
                result = e
            future.release()
            yield task, result
            nxt = next(source, None)
            if nxt is not None:
                submit(nxt)

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_backend(workers: int | None = None, local_cluster: int | None = None,
                 scheduler: str | None = None):
    """The backend the command-line options ask for (default: a process pool on all cores)."""
    if scheduler or local_cluster:
        return DaskBackend(scheduler=scheduler, local_workers=local_cluster)
    if workers == 1:
        return SerialBackend()
    return ProcessBackend(workers)
