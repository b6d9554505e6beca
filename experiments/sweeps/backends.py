"""Where runs execute: serially, in a local process pool, or on a Dask cluster.

Every backend has one method, ``run(fn, tasks)``, which calls ``fn(task)`` for each task and
yields ``(task, result)`` pairs as they finish (in any order); ``result`` is an exception when
the run could not be executed (its worker died twice). At most a few tasks per worker are in
flight at once, so a driver's memory does not grow with the size of the sweep.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import sys
import threading
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from multiprocessing import connection
from typing import Any

Task = dict[str, Any]
Pair = tuple[Task, Any]


class WorkerDied(RuntimeError):
    """A run's worker process died (twice: it is retried once)."""


class RunTimeout(Exception):
    """A run took longer than the sweep's ``--run-timeout``."""


# A run is stopped by an alarm in its own process at --run-timeout; a worker that does not
# come back (stuck outside Python code) is killed this much later and replaced.
HARD_KILL_GRACE_S = 10.0
PARENT_POLL_S = 0.5
# A closing pool's workers have this long to end their runs before they are killed.
CLOSE_GRACE_S = 2.0


@contextmanager
def time_limit(seconds: float | None) -> Iterator[None]:
    """Raise :class:`RunTimeout` in the block after ``seconds`` (a SIGALRM timer: only in
    a process's main thread on POSIX; elsewhere, as in Dask's worker threads, no limit)."""
    if (
        not seconds
        or not hasattr(signal, "setitimer")
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return

    def expire(signum: int, frame: Any) -> None:
        raise RunTimeout(f"the run took more than {seconds:g} s (--run-timeout)")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


_starts: Any = None  # in a pool worker: the queue on which it says which run it starts


def init_worker(parent: int, starts: Any) -> None:
    """A pool worker's initializer: die with the driver; report each run's start."""
    global _starts
    _starts = starts
    die_with_parent(parent)


def call_reporting_start(fn: Callable[[Task], Any], task: Task) -> Any:
    """Run ``fn(task)`` in a pool worker, first telling the driver that it has started."""
    if _starts is not None:
        _starts.put(task["run_id"])
    return fn(task)


def die_with_parent(parent: int) -> None:
    """A pool worker's initializer: a daemon thread that ends the worker as soon as its
    driver (``parent``) is gone, even killed with SIGKILL (the worker is re-parented)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_S)
        os._exit(1)

    threading.Thread(target=watch, name="die-with-parent", daemon=True).start()


class SerialBackend:
    """Runs in the driver process, one after another (``--workers 1``)."""

    name = "serial"
    workers = 1

    def start(self) -> None:
        pass

    def run(self, fn: Callable[[Task], Any], tasks: Iterable[Task]) -> Iterator[Pair]:
        for task in tasks:
            yield task, fn(task)

    def close(self) -> None:
        pass


class ProcessBackend:
    """A local pool of worker processes (the default: one per core).

    On Linux, a driver with no other Python thread forks its workers: they start in
    milliseconds with the driver's modules and compiled engine already loaded. Elsewhere, or
    once the driver runs threads (a progress bar, the store's writer), workers are spawned:
    each imports the model and loads the engine (about 3 s). ``start_method`` forces one.
    A run gives the same result either way.

    If a worker dies (the pool breaks), the pool is restarted and the runs that were in
    flight are retried once; a run whose worker dies again is reported as failed.
    """

    name = "processes"

    def __init__(
        self,
        workers: int | None = None,
        run_timeout: float | None = None,
        start_method: str | None = None,
    ) -> None:
        self.workers = workers or os.cpu_count() or 1
        self.run_timeout = run_timeout
        self.start_method = start_method
        self.pool: ProcessPoolExecutor | None = None
        self.starts = multiprocessing.get_context("spawn").Queue() if run_timeout else None

    def context(self) -> Any:
        """The start method for a new pool: fork where it is safe (see the class), else
        spawn."""
        if self.start_method:
            return multiprocessing.get_context(self.start_method)
        forkable = sys.platform == "linux" and "fork" in multiprocessing.get_all_start_methods()
        return multiprocessing.get_context(
            "fork" if forkable and threading.active_count() == 1 else "spawn"
        )

    def start(self) -> None:
        """Start the workers now (before the driver starts threads of its own, so that they
        can be forked)."""
        if self.pool is None:
            self._new_pool()

    def _new_pool(self, kill: bool = False) -> ProcessPoolExecutor:
        if self.pool is not None:
            if kill:  # a stuck worker: end them all (their other runs are retried)
                for process in list((self.pool._processes or {}).values()):
                    process.kill()
            self.pool.shutdown(wait=False, cancel_futures=True)
        context = self.context()
        self.pool = ProcessPoolExecutor(
            max_workers=self.workers,
            mp_context=context,
            initializer=init_worker,
            initargs=(os.getpid(), self.starts),
        )
        if context.get_start_method() == "fork":  # the pool forks every worker at once, now
            with warnings.catch_warnings():  # of numpy's and pyarrow's native threads, which
                warnings.filterwarnings(  # are fork-safe (Python counts every thread)
                    "ignore", "This process .* is multi-threaded", DeprecationWarning
                )
                self.pool.submit(os.getpid)
        return self.pool

    def _overdue(self, inflight: dict[Any, Task], started: dict[str, float]) -> list[Any]:
        """Futures whose run has outlived its timeout and the grace for its alarm (counted
        from when its worker said it started)."""
        if not self.run_timeout:
            return []
        now = time.monotonic()
        while True:
            try:
                started.setdefault(self.starts.get_nowait(), now)
            except queue.Empty:
                break
        limit = now - self.run_timeout - HARD_KILL_GRACE_S
        return [
            f
            for f, task in inflight.items()
            if started.get(task["run_id"], now) < limit and not f.done()
        ]

    def run(self, fn: Callable[[Task], Any], tasks: Iterable[Task]) -> Iterator[Pair]:
        source = iter(tasks)
        retry: deque[Task] = deque()
        attempts: dict[str, int] = {}
        inflight: dict[Any, Task] = {}
        started: dict[str, float] = {}  # run_id: when its worker started it
        pool = self.pool or self._new_pool()
        # With a timeout, one run per worker, so that a run's age is its running time.
        limit = self.workers if self.run_timeout else 2 * self.workers

        def fill() -> None:
            while len(inflight) < limit:
                task = retry.popleft() if retry else next(source, None)
                if task is None:
                    return
                started.pop(task["run_id"], None)
                inflight[pool.submit(call_reporting_start, fn, task)] = task

        def lost(future: Any) -> Task:
            return inflight.pop(future)

        fill()
        while inflight:
            done, _ = wait(
                inflight, return_when=FIRST_COMPLETED, timeout=1.0 if self.run_timeout else None
            )
            broken = False
            for future in done:
                task = lost(future)
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
                for future in list(inflight):
                    task = lost(future)
                    try:
                        result = future.result()
                    except BrokenProcessPool:
                        attempts[task["run_id"]] = attempts.get(task["run_id"], 0) + 1
                        retry.append(task)
                    else:
                        yield task, result
                pool = self._new_pool()
            overdue = self._overdue(inflight, started)
            if overdue:  # stuck workers: fail their runs, replace the pool, retry the others
                for future in overdue:
                    yield (
                        lost(future),
                        RunTimeout(
                            f"the run took more than {self.run_timeout:g} s (--run-timeout) and "
                            "its worker was killed"
                        ),
                    )
                retry.extend(lost(f) for f in list(inflight))
                pool = self._new_pool(kill=True)
            fill()

    def close(self) -> None:
        """Stop the workers. One still in a run (the driver stopped early: an error,
        Ctrl-C) has ``CLOSE_GRACE_S`` to end, then is killed: nobody reads its result."""
        if self.pool is None:
            return
        pool, self.pool = self.pool, None
        processes = list((pool._processes or {}).values())
        manager = pool._executor_manager_thread
        pool.shutdown(wait=False, cancel_futures=True)
        left = {process.sentinel: process for process in processes}
        deadline = time.monotonic() + CLOSE_GRACE_S
        while left and time.monotonic() < deadline:
            for sentinel in connection.wait(list(left), deadline - time.monotonic()):
                del left[sentinel]
        for process in left.values():
            process.kill()
        if manager is not None:
            manager.join(CLOSE_GRACE_S)


SCHEDULER_SCHEMES = ("tcp", "tls", "ws", "wss")
CONNECT_TIMEOUT_S = 10.0


def scheduler_address(text: str) -> str:
    """Check a Dask scheduler address (``tcp://HOST:PORT``; ``HOST:PORT`` means tcp) and
    return it with its scheme; a :class:`ValueError` says what is wrong."""
    from urllib.parse import urlsplit

    text = text.strip()
    if not text:
        raise ValueError("empty address: give tcp://HOST:PORT")
    url = text if "://" in text else f"tcp://{text}"
    scheme = url.split("://", 1)[0].lower()
    if scheme not in SCHEDULER_SCHEMES:
        raise ValueError(
            f"{text!r}: the scheme must be one of {', '.join(s + '://' for s in SCHEDULER_SCHEMES)}"
        )
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as e:  # an unclosed [ or a port that is not a number
        raise ValueError(f"{text!r}: not HOST:PORT ({e})") from None
    if not host:
        raise ValueError(f"{text!r}: no host; expected {scheme}://HOST:PORT")
    if port is None or not 1 <= port <= 65535:
        raise ValueError(f"{text!r}: needs a port from 1 to 65535, e.g. {scheme}://{host}:8786")
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        raise ValueError(f"{text!r}: expected {scheme}://HOST:PORT with nothing after the port")
    return url


class DaskBackend:
    """A Dask distributed cluster: given by address, or started on 127.0.0.1 with
    ``local_workers`` single-threaded worker processes (closed again by :meth:`close`).

    Dask itself reschedules the runs of a worker that dies; a run that keeps killing its
    workers comes back as ``KilledWorker`` and is recorded as failed.
    """

    name = "dask"

    def __init__(
        self,
        scheduler: str | None = None,
        local_workers: int | None = None,
        connect_timeout: float = CONNECT_TIMEOUT_S,
    ) -> None:
        try:
            from dask import config as dask_config
            from distributed import Client, LocalCluster
        except ImportError:
            raise RuntimeError(
                "the Dask backend needs the 'cluster' extra: pip install 'grassroots-sim[cluster]'"
            ) from None
        self.cluster = None
        if scheduler is None:
            dask_config.set({"distributed.scheduler.allowed-failures": 1})
            # No dashboard: dashboard_address=None only turns off its pages (bokeh); the
            # scheduler still starts its HTTP server (distributed.Scheduler calls
            # start_http_server with the default port 8787) with its own routes (health,
            # metrics, an info page of the workers). It gets a free port of 127.0.0.1 and
            # no routes: nothing is served, and a second cluster finds no port taken.
            with dask_config.set({"distributed.scheduler.http.routes": []}):
                self.cluster = LocalCluster(
                    n_workers=local_workers or 1,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                    scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
                )
            self.client = Client(self.cluster)
        else:
            address = scheduler_address(scheduler)
            try:
                self.client = Client(address, timeout=connect_timeout)
            except (OSError, TimeoutError) as e:
                raise RuntimeError(
                    f"cannot reach the Dask scheduler at {address} within "
                    f"{connect_timeout:g} s (--connect-timeout): "
                    f"{type(e).__name__}: {e}"
                ) from None
        self.workers = max(
            1, sum(w["nthreads"] for w in self.client.scheduler_info()["workers"].values())
        )

    def start(self) -> None:  # the cluster started with the backend
        pass

    def run(self, fn: Callable[[Task], Any], tasks: Iterable[Task]) -> Iterator[Pair]:
        from distributed import as_completed

        source = iter(tasks)
        inflight: dict[Any, Task] = {}
        queue = as_completed()

        def submit(task: Task) -> None:
            future = self.client.submit(
                fn, task, pure=False, key=f"run-{task['run_id']}-{os.getpid()}-{id(task)}"
            )
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


def make_backend(
    workers: int | None = None,
    local_cluster: int | None = None,
    scheduler: str | None = None,
    connect_timeout: float = CONNECT_TIMEOUT_S,
    run_timeout: float | None = None,
):
    """The backend the command-line options ask for (default: a process pool on all cores).

    ``run_timeout`` lets the process pool kill and replace a worker stuck in one run; the
    run itself is stopped by :func:`time_limit` in the runner.
    """
    if scheduler is not None or local_cluster:
        return DaskBackend(
            scheduler=scheduler, local_workers=local_cluster, connect_timeout=connect_timeout
        )
    if workers == 1:
        return SerialBackend()
    return ProcessBackend(workers, run_timeout)
