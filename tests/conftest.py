"""Session set-up: the compiled engine is compiled (or loaded from numba's cache) once,
before any test, so that no test, app server or CLI subprocess waits for the compiler."""

from sim.run import warm_engine


def pytest_sessionstart(session) -> None:
    warm_engine()
