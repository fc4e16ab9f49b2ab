"""Launch the live browser page (a Solara app) in a way that works with no internet.

``serve()`` is what ``encircle-sim viz`` calls; ``start()`` + ``wait_until_ready()`` are the
non-blocking pieces the browser tests use.

The server is ``solara run APP --production`` in a child process, with:

* ``SOLARA_ASSETS_PROXY_CACHE_DIR`` pointing at the project's front-end asset folder
  (:mod:`encircle_sim.viz.assets`), so the page's JavaScript/CSS/fonts come from disk, not a CDN;
* ``SOLARA_TELEMETRY_MIXPANEL_ENABLE=False``, so the server phones nowhere;
* host 127.0.0.1 unless asked otherwise: the page controls a live Python process.

    python -m encircle_sim.viz.server APP [--host 127.0.0.1] [--port 8765] [--open]
"""

from __future__ import annotations

import argparse
import errno
import ipaddress
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import webbrowser
from pathlib import Path
from typing import IO

from encircle_sim.viz import assets

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
#: The encircle-sim page (``encircle-sim viz``), and the variable naming the scenario it shows
#: first.
APP_MODULE = "encircle_sim.viz.app"
ENV_SCENARIO = "ENCIRCLE_SIM_VIZ_SCENARIO"
ENV_REPLAY = "ENCIRCLE_SIM_VIZ_REPLAY"  # a run folder to replay first
# A proxy address where nothing listens: with it, any attempt of the server to reach the internet
# (a CDN file missing from the cache, say) fails at once and shows in the log as
# "Could not load URL".
DEAD_PROXY = "http://127.0.0.1:9"
LOCAL_HOSTS = "127.0.0.1,localhost,::1"


def _say(msg: str) -> None:
    print(f"encircle-sim viz: {msg}", file=sys.stderr, flush=True)


def server_env(
    assets_dir: Path | None = None, offline: bool = False, warn=_say
) -> dict[str, str]:
    """The environment for the server process (a copy of ours plus the settings above).

    ``offline=True`` also points the server's HTTP(S) proxy at a dead local port, so that it
    provably cannot fetch anything from outside (used by the tests; harmless otherwise).
    """
    env = dict(os.environ)
    env["SOLARA_TELEMETRY_MIXPANEL_ENABLE"] = "False"
    base = Path(assets_dir) if assets_dir else assets.default_assets_dir()
    if base.is_dir():
        env["SOLARA_ASSETS_PROXY_CACHE_DIR"] = str(base)
        # with the files on disk, a file missing from them is a 404 for the browser, never a
        # request to a public CDN (Solara fetches what its cache lacks from this address)
        env["SOLARA_ASSETS_CDN"] = DEAD_PROXY + "/"
        try:
            missing = assets.missing_packages(base)
        except assets.AssetsError as e:
            missing = []
            warn(f"WARNING: could not check the front-end asset folder: {e}")
        if missing:
            warn(
                f"WARNING: the front-end asset folder {base} lacks "
                f"{', '.join(p.spec for p in missing)}; without internet the page may stay blank.\n"
                "  Fix (needs the npm registry once): python -m encircle_sim.viz.assets"
            )
    else:
        warn(
            f"WARNING: no front-end asset folder at {base}: the page will load its JavaScript from "
            "a public CDN and stays blank without internet.\n"
            "  Fix (needs the npm registry once): python -m encircle_sim.viz.assets   (or: make "
            f"browser-deps); on an air-gapped machine copy a filled folder and set {assets.ENV_DIR}"
        )
    if offline:
        for key in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY",
                    "all_proxy"):
            env[key] = DEAD_PROXY
        env["NO_PROXY"] = env["no_proxy"] = LOCAL_HOSTS
    return env


def url_for(host: str, port: int) -> str:
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def banner(host: str, port: int) -> str:
    url = url_for(host, port).rstrip("/")
    if host in ("127.0.0.1", "localhost", "::1"):
        return (
            f"Serving encircle-sim at {url} (listening on {host} only; "
            "use --host 0.0.0.0 to share on the network)"
        )
    return (
        f"Serving encircle-sim at {url} (listening on {host}: anyone who can reach this machine "
        "on that address can open the page and run the model)"
    )


def port_is_free(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


_HOST_NAME = re.compile(r"(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                        r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?")


def host_problem(host: str) -> str | None:
    """Why ``host`` is not an address to listen on, or None.

    An empty host would make the server listen on every address of the machine while looking
    like the default; sharing the page takes an explicit address such as 0.0.0.0.
    """
    shown = repr(host) if len(host) <= 80 else repr(host[:80]) + f"... ({len(host):,} characters)"
    if not host.strip():
        return (f"--host {shown}: give an address to listen on: 127.0.0.1 (this machine only, "
                "the default) or 0.0.0.0 (share the page with the network)")
    try:
        ipaddress.ip_address(host)
        return None
    except ValueError:
        pass
    if not _HOST_NAME.fullmatch(host):
        return (f"--host {shown}: not an IP address or host name; e.g. 127.0.0.1 (this machine "
                "only) or 0.0.0.0 (share the page with the network)")
    return None


def address_problem(host: str, port: int) -> str | None:
    """Why the server could not listen on ``host:port`` (in words), or None if it can."""
    if problem := host_problem(host):
        return problem
    if not 0 < port < 65536:
        return f"--port {port}: expected a port number from 1 to 65535"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except socket.gaierror:
            return f"--host {host}: not an address or host name this machine knows"
        except OSError as err:
            if err.errno == errno.EADDRINUSE:
                return f"--port {port}: already in use on {host}; choose another port"
            if err.errno == errno.EACCES:
                return f"--port {port}: not allowed for this user; choose a port above 1023"
            return f"--host {host}: cannot listen there ({err.strerror or err})"
    return None


def free_port(host: str = DEFAULT_HOST) -> int:
    """A port the OS considers free right now (there is a small race until the server binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def solara_command(app: str, host: str, port: int, access_log: bool = False) -> list[str]:
    cmd = [sys.executable, "-m", "solara", "run", str(app), "--host", host, "--port", str(port),
           "--production", "--no-open"]
    if access_log:  # one line per request with its status: "GET /_solara/cdn/... 200"
        cmd += ["--access-log", "--log-level-uvicorn", "info"]
    return cmd


def start(
    app: str,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    *,
    assets_dir: Path | None = None,
    offline: bool = False,
    access_log: bool = False,
    stdout: IO | int | None = None,
    cwd: str | Path | None = None,
) -> subprocess.Popen:
    """Start the server in a child process and return at once (see :func:`wait_until_ready`)."""
    if not port_is_free(host, port):
        raise OSError(f"port {port} on {host} is already in use; choose another with --port")
    env = server_env(assets_dir, offline=offline)
    return subprocess.Popen(
        solara_command(app, host, port, access_log=access_log),
        env=env,
        cwd=cwd,
        stdout=stdout,
        stderr=subprocess.STDOUT if stdout is not None else None,
    )


def wait_until_ready(
    url: str, timeout: float = 60.0, proc: subprocess.Popen | None = None, interval: float = 0.25
) -> float:
    """Wait until ``url`` answers HTTP 200; return the seconds it took.

    Raises TimeoutError after ``timeout`` seconds, or RuntimeError at once if ``proc`` (the server
    process) exits first. Never goes through a proxy, whatever the environment says.
    """
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    t0 = time.monotonic()
    last = "no answer"
    while True:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"the server exited with code {proc.returncode} before {url} "
                               "answered")
        try:
            with opener.open(url, timeout=5) as resp:
                if resp.status == 200:
                    return time.monotonic() - t0
                last = f"HTTP {resp.status}"
        except urllib.error.HTTPError as e:
            last = f"HTTP {e.code}"
        except (urllib.error.URLError, OSError) as e:
            last = str(getattr(e, "reason", e))
        if time.monotonic() - t0 > timeout:
            raise TimeoutError(f"{url} did not answer HTTP 200 within {timeout:.0f} s "
                               f"(last: {last})")
        time.sleep(interval)


def stop(proc: subprocess.Popen, timeout: float = 10.0) -> int:
    """Stop the server process (SIGTERM, then SIGKILL after ``timeout``); return its exit code."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)
    return proc.returncode


def serve(
    app_module_or_path: str,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    open_browser: bool = False,
) -> int:
    """Serve the Solara app until interrupted (Ctrl-C); return the exit code for the command.

    ``app_module_or_path`` is what ``solara run`` accepts: a file (``path/to/app.py``) or a
    module name (``encircle_sim.viz.app``) defining ``page``.
    """
    try:
        proc = start(app_module_or_path, host, port)
    except OSError as e:
        _say(f"ERROR: {e}")
        return 1
    print(banner(host, port), flush=True)
    url = url_for(host, port)

    def on_sigterm(signum, frame):  # stop the child too when we are told to stop
        raise KeyboardInterrupt

    try:
        previous = signal.signal(signal.SIGTERM, on_sigterm)
    except ValueError:  # not the main thread: leave signals alone
        previous = None
    try:
        try:
            seconds = wait_until_ready(url, timeout=120, proc=proc)
            _say(f"ready after {seconds:.1f} s; press Ctrl-C to stop")
            if open_browser:
                webbrowser.open(url)
        except (TimeoutError, RuntimeError) as e:
            _say(f"ERROR: {e}")
            stop(proc)
            return proc.returncode or 1
        return proc.wait()
    except KeyboardInterrupt:
        _say("stopping")
        stop(proc)
        return 0
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m encircle_sim.viz.server",
                                     description="Serve a Solara/Mesa page, offline-ready.")
    parser.add_argument("app", help="app file (app.py) or module name defining `page`")
    parser.add_argument("--host", default=DEFAULT_HOST,
                        help="address to listen on (default 127.0.0.1: this machine only)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="default 8765")
    parser.add_argument("--open", action="store_true", help="open a web browser when ready")
    args = parser.parse_args(argv)
    if problem := address_problem(args.host, args.port):
        _say(f"ERROR: {problem}")
        return 2
    return serve(args.app, args.host, args.port, args.open)


if __name__ == "__main__":
    sys.exit(main())
