"""Session set-up: the compiled engine is compiled (or loaded from numba's cache) once,
before any test, so that no test, app server or CLI subprocess waits for the compiler.
Tests are grouped by subsystem (engine, hazards, model, experiments); their folders are
on the path, so that one test module can reuse another's strategies."""

import sys
from pathlib import Path

from sim.run import warm_engine

for folder in ("engine", "hazards", "model", "experiments"):
    sys.path.insert(0, str(Path(__file__).parent / folder))


def pytest_sessionstart(session) -> None:
    warm_engine()
