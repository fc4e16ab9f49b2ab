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


@pytest.mark.parametrize("host", ["", " ", "0.0.0.0 ", "http://127.0.0.1", "a b", "x" * 300,
                                  "host_name", "127.0.0.1\n"])
def test_an_empty_or_malformed_host_is_an_error_not_every_address(capsys, served, host):
    assert cli.main(["viz", "quick", "--host", host]) == 2
    err = capsys.readouterr().err
    assert err.startswith("--host ") and "127.0.0.1" in err
    assert len(err) < 400
    assert served == []  # nothing was started


def test_an_explicit_address_shares_the_page_with_a_warning(served, capsys):
    port = server.free_port("0.0.0.0")
    assert cli.main(["viz", "quick", "--host", "0.0.0.0", "--port", str(port)]) == 0
    assert served[0][1] == "0.0.0.0"
    assert server.host_problem("0.0.0.0") is None and server.host_problem("localhost") is None
    assert server.host_problem("::1") is None


def test_with_offline_assets_a_missing_file_is_never_fetched_from_a_cdn(tmp_path):
    env = server.server_env(tmp_path, warn=lambda msg: None)
    assert env["SOLARA_ASSETS_PROXY_CACHE_DIR"] == str(tmp_path)
    cdn = env["SOLARA_ASSETS_CDN"]
    assert cdn.startswith("http://127.0.0.1:"), cdn  # a local address where nothing listens
    without = server.server_env(tmp_path / "absent", warn=lambda msg: None)
    assert "SOLARA_ASSETS_CDN" not in without or without["SOLARA_ASSETS_CDN"] == os.environ.get(
        "SOLARA_ASSETS_CDN")


@pytest.mark.slow
def test_a_missing_front_end_file_is_a_404_from_the_local_server(tmp_path):
    import urllib.error
    import urllib.request

    port = server.free_port()
    log_path = tmp_path / "server.log"
    (tmp_path / "cdn").mkdir()  # an asset folder (here lacking everything)
    with log_path.open("w") as log:
        proc = server.start(server.APP_MODULE, "127.0.0.1", port, assets_dir=tmp_path / "cdn",
                            access_log=True, stdout=log)
    try:
        url = server.url_for("127.0.0.1", port)
        server.wait_until_ready(url, timeout=180, proc=proc)
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with pytest.raises(urllib.error.HTTPError) as exc:
            opener.open(url + "_solara/cdn/encircle-sim-missing@1.0.0/missing.js", timeout=60)
        assert exc.value.code == 404
    finally:
        server.stop(proc)
    log = log_path.read_text()
    tried = [line for line in log.splitlines() if "Could not load URL" in line]
    assert tried and all("http://127.0.0.1:9/" in line for line in tried), log[-2000:]
