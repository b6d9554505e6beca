"""The sweep, run, report and demo commands under hostile conditions: a changed base on
resume, bad scheduler addresses and ports, write errors, corrupt results, killed drivers,
runs that hang."""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.cli.main import main
from experiments.sweeps.backends import scheduler_address

REPO = Path(__file__).resolve().parent.parent
STREET = REPO / "configs" / "scenarios" / "street_flood.toml"


def tiny_base(folder: Path, war_hours: float = 6) -> Path:
    path = folder / "base.toml"
    path.write_text(f'name = "tiny"\nbase = "{STREET}"\n[time]\npeace_days = 2\n'
                    f"war_hours = {war_hours}\n[population]\nn_residents = 2000\n",
                    encoding="utf-8")
    return path


def tiny_sweep(folder: Path, replications: int = 1, extra: str = "") -> Path:
    tiny_base(folder)
    path = folder / "tiny.toml"
    path.write_text(f'name = "tiny"\nbase = "base.toml"\nreplications = {replications}\n'
                    f'{extra}[factors]\n"reporting.mechanism" = ["hierarchical", "direct"]\n',
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> tuple[Path, Path]:
    """A finished tiny sweep (2 runs): its sweep file and its results folder."""
    folder = tmp_path_factory.mktemp("finished")
    sweep = tiny_sweep(folder)
    out = folder / "out"
    assert main(["sweep", str(sweep), "--workers", "1", "--out", str(out), "--quiet"]) == 0
    return sweep, out


def test_resume_refuses_a_changed_base_naming_the_change(finished, capsys):
    sweep, out = finished
    assert main(["sweep", str(sweep), "--workers", "1", "--out", str(out), "--resume",
                 "--quiet"]) == 0  # unchanged: nothing left to run, fine
    tiny_base(sweep.parent, war_hours=4)
    try:
        capsys.readouterr()
        assert main(["sweep", str(sweep), "--workers", "1", "--out", str(out),
                     "--resume"]) == 2
        err = capsys.readouterr().err
        assert "cannot resume" in err and "time.war_hours 6.0 -> 4.0" in err
        assert "Traceback" not in err
    finally:
        tiny_base(sweep.parent)


@pytest.mark.parametrize("address, words", [
    ("foo", "port"), ("tcp://", "no host"), ("http://example.org:80", "scheme"),
    ("tcp://[::1", "not HOST:PORT"), ("tcp://127.0.0.1:99999", "not HOST:PORT"),
    ("tcp://127.0.0.1:0", "port from 1 to 65535"), ("", "empty"),
])
def test_bad_scheduler_address_is_refused_before_connecting(tmp_path, capsys, address, words):
    sweep = tiny_sweep(tmp_path)
    assert main(["sweep", str(sweep), "--scheduler", address, "--out",
                 str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "--scheduler" in err and words in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_scheduler_address_accepts_host_port_forms():
    assert scheduler_address("10.0.0.5:8786") == "tcp://10.0.0.5:8786"
    assert scheduler_address("tls://[::1]:8786") == "tls://[::1]:8786"


def test_unreachable_scheduler_fails_within_the_connect_timeout(tmp_path, capsys):
    pytest.importorskip("distributed")
    import time

    sweep = tiny_sweep(tmp_path)
    start = time.monotonic()
    assert main(["sweep", str(sweep), "--scheduler", "tcp://127.0.0.1:1",
                 "--connect-timeout", "1", "--out", str(tmp_path / "out")]) == 2
    assert time.monotonic() - start < 15
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:1 within 1 s" in err


@pytest.mark.parametrize("port", ["70000", "-1", "0", "x"])
def test_demo_port_out_of_range_is_refused(capsys, port):
    assert main(["demo", "--port", port]) == 2
    err = capsys.readouterr().err
    assert "--port" in err and "Traceback" not in err
    if port != "x":
        assert "1 to 65535" in err
