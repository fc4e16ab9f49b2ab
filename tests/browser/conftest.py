"""Fixtures for tests that drive the live Solara page in a real browser (Debian's Chromium).

Generic: a test module says which app to serve by defining an ``app_module`` fixture::

    @pytest.fixture(scope="module")
    def app_module():
        return "encircle_sim.viz.app"          # or a path to an app .py file

and then uses ``live_server`` (the server, started with the project's launcher on a free local
port, offline) and ``browser_page`` (a fresh Chromium page that records every request, response
and console message, and blocks any request to a host other than this machine).

These fixtures FAIL, never skip, when Chromium or the front-end asset cache is missing: setup
(``make test``, via ``make browser-deps``) installs both, so a missing one is a broken setup.

Screenshots, console logs and server logs go to ``test-artifacts/`` (gitignored).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from encircle_sim.viz import assets, server

CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
SERVER_START_TIMEOUT = 120.0  # s; about 3-15 s is usual on a 2-core machine
FIX_HINT = "Run `make browser-deps` (or `make test`, which runs it) to set up the browser tests."


# --------------------------------------------------------------------------- configuration


@pytest.fixture(scope="session")
def artifacts_dir(pytestconfig) -> Path:
    path = Path(pytestconfig.rootpath) / "test-artifacts"
    path.mkdir(exist_ok=True)
    return path


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium (or ``$ENCIRCLE_SIM_CHROMIUM``); fails the test if there is none."""
    configured = os.environ.get("ENCIRCLE_SIM_CHROMIUM")
    path = configured or shutil.which("chromium")
    if not path or not os.access(path, os.X_OK):
        where = (f"ENCIRCLE_SIM_CHROMIUM={configured} is not an executable" if configured
                 else "`chromium` is not on PATH (and ENCIRCLE_SIM_CHROMIUM is not set)")
        pytest.fail(
            f"No Chromium for the browser tests: {where}. {FIX_HINT} "
            "(scripts/install-browser.sh installs Debian's chromium.)",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def assets_dir() -> Path:
    """The front-end asset cache the server reads; fails the test if it is incomplete."""
    base = assets.default_assets_dir()
    try:
        missing = assets.missing_packages(base)
    except assets.AssetsError as e:
        pytest.fail(f"Cannot work out the page's front-end packages: {e}", pytrace=False)
    if missing:
        pytest.fail(
            f"The front-end asset cache {base} lacks {', '.join(p.spec for p in missing)}: "
            f"offline, the page would stay blank. {FIX_HINT} "
            "(python -m encircle_sim.viz.assets fills it from the npm registry.)",
            pytrace=False,
        )
    return base


# --------------------------------------------------------------------------- the server

# uvicorn access-log line: ... "GET /_solara/cdn/requirejs@2.3.6/require.js HTTP/1.1" 200 OK
_ACCESS = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3})')


@dataclass
class LiveServer:
    app: str
    url: str
    proc: subprocess.Popen
    log_path: Path
    startup_seconds: float = 0.0

    def log_text(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def access_log(self) -> list[tuple[str, str, int]]:
        """(method, path, status) for every request the server answered so far."""
        return [
            (m["method"], m["path"], int(m["status"])) for m in _ACCESS.finditer(self.log_text())
        ]

    def cdn_requests(self) -> list[tuple[str, int]]:
        return [(p, s) for _, p, s in self.access_log() if p.startswith("/_solara/cdn/")]

    def offline_problems(self) -> list[str]:
        """Signs the server needed the internet: CDN fetch attempts, CDN paths not served."""
        problems = [
            line for line in self.log_text().splitlines() if "Could not load URL" in line
        ]
        problems += [f"{path} -> HTTP {status}" for path, status in self.cdn_requests()
                     if status not in (200, 304)]
        return problems


@pytest.fixture(scope="module")
def app_module() -> str:
    pytest.fail(
        "Define an `app_module` fixture in the test module (the app file path or module name "
        "to serve).", pytrace=False
    )


@pytest.fixture(scope="module")
def live_server(app_module, assets_dir, artifacts_dir, request) -> Iterator[LiveServer]:
    """The app served by the project's launcher on a free 127.0.0.1 port, with no way out.

    The server's HTTP(S) proxy points at a dead local port, so any attempt to fetch from outside
    (a front-end file missing from the cache) fails at once and is logged ("Could not load URL").
    """
    host = "127.0.0.1"
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    log_path = artifacts_dir / f"server-{request.module.__name__.rsplit('.', 1)[-1]}-{worker}.log"
    for attempt in range(3):  # a free port can be taken between choosing and binding it
        port = server.free_port(host)
        log = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 (closed below)
        try:
            proc = server.start(
                app_module, host, port, assets_dir=assets_dir, offline=True, access_log=True,
                stdout=log, cwd=request.config.rootpath,
            )
        except OSError:
            log.close()
            continue
        url = server.url_for(host, port)
        try:
            seconds = server.wait_until_ready(url, timeout=SERVER_START_TIMEOUT, proc=proc)
            break
        except (TimeoutError, RuntimeError) as e:
            server.stop(proc)
            log.close()
            if attempt == 2 or "exited" not in str(e):
                pytest.fail(f"The server for {app_module} did not start: {e}\n"
                            f"--- server log ({log_path}) ---\n{log_path.read_text()[-4000:]}",
                            pytrace=False)
    else:
        pytest.fail("Could not find a free local port for the server", pytrace=False)
    live = LiveServer(app_module, url, proc, log_path, seconds)
    try:
        yield live
    finally:
        server.stop(proc)
        log.close()


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def playwright_instance():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("The `playwright` Python package is missing: pip install -e .[test]",
                    pytrace=False)
    with sync_playwright() as pw:
        yield pw


@dataclass
class PageSession:
    """A browser page plus everything it did; see the ``browser_page`` fixture."""

    page: object  # playwright.sync_api.Page
    artifacts_dir: Path
    name: str
    requests: list[dict] = field(default_factory=list)  # every request the page made
    responses: dict[str, int] = field(default_factory=dict)  # url -> last status
    failed: list[dict] = field(default_factory=list)  # requests that failed (network level)
    console: list[dict] = field(default_factory=list)  # every console message
    page_errors: list[str] = field(default_factory=list)  # uncaught exceptions in the page
    outside: list[str] = field(default_factory=list)  # blocked requests to other hosts

    def outside_requests(self) -> list[str]:
        """Every request (routes blocked, websockets seen) for a host other than this machine."""
        return self.outside + [r["url"] for r in self.requests if not is_local(r["url"])]

    def console_errors(self) -> list[dict]:
        return [m for m in self.console if m["type"] == "error"]

    def screenshot(self, label: str = "page") -> Path:
        path = self.artifacts_dir / f"{self.name}-{label}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def save_log(self) -> Path:
        path = self.artifacts_dir / f"{self.name}-browser.json"
        data = {k: getattr(self, k) for k in
                ("requests", "responses", "failed", "console", "page_errors", "outside")}
        path.write_text(json.dumps(data, indent=1, default=str))
        return path


def is_local(url: str) -> bool:
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about"):
        return True
    return (parts.hostname or "") in LOCAL_HOSTS


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"rep_{report.when}", report)  # lets fixtures see whether the test failed
    return report


@pytest.fixture
def browser_page(chromium_path, playwright_instance, artifacts_dir, tmp_path, request):
    """A fresh Chromium (new user-data dir) page that records requests and console messages.

    Requests to any host but this machine are aborted and listed in ``.outside``. On failure a
    screenshot is saved; the request/console log is always saved to ``test-artifacts/``.
    """
    name = re.sub(r"[^\w.-]+", "_", request.node.name)
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "chromium-profile"),
        executable_path=chromium_path,
        headless=True,
        args=CHROMIUM_FLAGS,
        viewport={"width": 1400, "height": 1000},
        service_workers="block",
    )
    session = PageSession(page=None, artifacts_dir=artifacts_dir, name=name)

    def route(route):
        url = route.request.url
        if is_local(url):
            route.continue_()
        else:
            session.outside.append(url)
            route.abort("blockedbyclient")

    context.route("**/*", route)
    page = context.pages[0] if context.pages else context.new_page()
    session.page = page
    page.on("request", lambda r: session.requests.append(
        {"url": r.url, "method": r.method, "type": r.resource_type, "t": time.time()}))
    page.on("response", lambda r: session.responses.__setitem__(r.url, r.status))
    page.on("requestfailed", lambda r: session.failed.append({"url": r.url, "error": r.failure}))
    page.on("console", lambda m: session.console.append(
        {"type": m.type, "text": m.text, "location": m.location}))
    page.on("pageerror", lambda e: session.page_errors.append(str(e)))
    page.on("websocket", lambda ws: session.requests.append(
        {"url": ws.url, "method": "WEBSOCKET", "type": "websocket", "t": time.time()}))
    try:
        yield session
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            try:
                session.screenshot("failure")
            except Exception:  # noqa: BLE001 - the page may be gone; the report matters more
                pass
        session.save_log()
        context.close()
