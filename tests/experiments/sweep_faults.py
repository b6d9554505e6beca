"""Faults injected into sweep runs, for the tests: a task function that wraps the runner's.

Tests put :func:`run_task` in place of ``experiments.sweeps.runner.run_task`` (monkeypatch);
process workers import it from here (they inherit the tests' ``sys.path`` and environment).

- ``GRASSROOTS_SWEEP_TEST_FAIL``: comma-separated run_ids whose run fails (their base
  scenario is replaced by a file that does not exist, so the runner's own error handling
  records the failure).
- ``GRASSROOTS_SWEEP_TEST_CRASH_ONCE``: a file path; the first run that finds it absent
  creates it and kills its worker process.
- ``GRASSROOTS_SWEEP_TEST_HANG``: comma-separated run_ids whose simulation never ends
  (``GRASSROOTS_SWEEP_TEST_HANG_HARD``: and ignores the timeout's alarm signal, like a run
  stuck outside Python code).

:func:`sweep_command` is the command line of a ``grassroots sweep`` in its own process that
writes its runs every ``flush_seconds`` (for tests that kill it once some are stored).
"""

import os
import signal
import sys
import time
from pathlib import Path

from experiments.sweeps import runner

FAIL_ENV = "GRASSROOTS_SWEEP_TEST_FAIL"
CRASH_ONCE_ENV = "GRASSROOTS_SWEEP_TEST_CRASH_ONCE"
HANG_ENV = "GRASSROOTS_SWEEP_TEST_HANG"
HANG_HARD_ENV = "GRASSROOTS_SWEEP_TEST_HANG_HARD"
MISSING_BASE = "/nonexistent/test-failure-injected.toml"
RUN_TASK = runner.run_task  # the real one, before a test replaces it


def run_task(task: dict) -> dict:
    marker = os.environ.get(CRASH_ONCE_ENV)
    if marker and not os.path.exists(marker):
        Path(marker).touch()
        os._exit(70)  # a worker that dies
    if task["run_id"] in os.environ.get(FAIL_ENV, "").split(","):
        task = {**task, "base": MISSING_BASE}
    hard = task["run_id"] in os.environ.get(HANG_HARD_ENV, "").split(",")
    if hard or task["run_id"] in os.environ.get(HANG_ENV, "").split(","):
        import sim

        real = sim.simulate
        sim.simulate = lambda *a, **k: hang(hard)  # the runner imports it at call time
        try:
            return RUN_TASK(task)
        finally:
            sim.simulate = real
    return RUN_TASK(task)


def touch_and_hang(path: str) -> None:
    """A run that says it has started (creates ``path``) and never ends, deaf to alarms."""
    Path(path).touch()
    hang(True)


def hang(hard: bool) -> None:
    if hard:
        signal.signal(signal.SIGALRM, signal.SIG_IGN)  # deaf to the timeout's alarm
    while True:
        time.sleep(0.05)


def sweep_command(*args: str, flush_seconds: float = 0.05) -> list[str]:
    """``python -m experiments.cli sweep ARGS``, its store writing a batch of the runs that
    have finished every ``flush_seconds`` (the store's FLUSH_SECONDS)."""
    code = (
        "import sys; from experiments.sweeps import store; "
        "store.FLUSH_SECONDS = float(sys.argv.pop(1)); "
        "from experiments.cli.main import main; sys.exit(main(sys.argv[1:]))"
    )
    return [sys.executable, "-c", code, str(flush_seconds), "sweep", *map(str, args)]
