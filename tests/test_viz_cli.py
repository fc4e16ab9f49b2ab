"""``encircle-sim viz``: argument handling, without starting a server or a browser."""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from encircle_sim import cli
from encircle_sim.scenario_files import BUNDLED_DIR
from encircle_sim.viz import server


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "encircle_sim.cli", "viz", *args],
                          capture_output=True, text=True, timeout=120)


def test_unknown_scenario_is_a_clear_error_with_exit_2():
    out = run_cli("victory_wil")
    assert out.returncode == 2
    assert "no such scenario" in out.stderr and "victory_will" in out.stderr  # names the choices
    assert "Traceback" not in out.stderr
    assert "Serving" not in out.stdout


def test_bad_port_and_host_are_clear_errors(capsys):
    assert cli.main(["viz", "quick", "--port", "0"]) == 2
    assert "--port 0" in capsys.readouterr().err
    assert cli.main(["viz", "quick", "--host", "no-such-host.invalid"]) == 2
    assert "--host no-such-host.invalid" in capsys.readouterr().err


def test_port_in_use_is_a_clear_error(capsys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert cli.main(["viz", "quick", "--port", str(port)]) == 2
    assert f"--port {port}: already in use" in capsys.readouterr().err


@pytest.fixture
def served(monkeypatch):
    calls = []

    def fake_serve(app, host, port, open_browser):
        calls.append((app, host, port, open_browser))
        return 0

    monkeypatch.setattr(server, "serve", fake_serve)
    monkeypatch.delenv(server.ENV_SCENARIO, raising=False)
    return calls


def test_defaults_serve_the_app_on_localhost(served):
    port = server.free_port()
    assert cli.main(["viz", "--port", str(port)]) == 0
    assert served == [(server.APP_MODULE, "127.0.0.1", port, False)]
    assert os.environ[server.ENV_SCENARIO] == "victory_will"


def test_scenario_file_is_passed_as_an_absolute_path(served, monkeypatch):
    monkeypatch.chdir(BUNDLED_DIR.parent)
    port = server.free_port()
    assert cli.main(["viz", "scenarios/quick.toml", "--port", str(port), "--open"]) == 0
    assert os.environ[server.ENV_SCENARIO] == str((BUNDLED_DIR / "quick.toml").resolve())
    assert served[0][3] is True


def test_banner_says_where_it_listens():
    assert "127.0.0.1 only" in server.banner("127.0.0.1", 8765)
    assert "anyone who can reach this machine" in server.banner("0.0.0.0", 8765)
