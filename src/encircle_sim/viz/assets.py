"""The browser page's front-end files, kept in a project folder so the page works with no internet.

A Solara page (Mesa's SolaraViz is one) loads its JavaScript, CSS and fonts through the server's
asset proxy at ``/_solara/cdn/NAME@VERSION/path``. The server answers from its cache folder
(``SOLARA_ASSETS_PROXY_CACHE_DIR``) and only on a miss fetches the file from a public CDN, so with
no internet and an empty cache the page stays blank. This module fills a project-owned cache
folder once, from the npm registry (``npm pack NAME@VERSION``), in exactly the layout the proxy
reads::

    <dir>/@widgetti/solara-vuetify-app@10.1.1/dist/solara-vuetify-app8.min.js
    <dir>/requirejs@2.3.6/require.js
    <dir>/vega@5/build/vega.min.js            (solara asks for a range here; kept as it asks)

The versions are read from the installed solara's own templates and components, so they always
match what the page will request; a reference this module does not know fails loudly.

Folder: ``$ENCIRCLE_SIM_ASSETS_DIR`` if set, else ``.cache/solara-cdn`` in the repository.
To use the page on an air-gapped machine, copy that folder there and point
``ENCIRCLE_SIM_ASSETS_DIR`` at it.

    python -m encircle_sim.viz.assets            fetch what is missing (quick when all is there)
    python -m encircle_sim.viz.assets --check    only report; exit 1 if something is missing
    python -m encircle_sim.viz.assets --list     print the NAME@VERSION list and exit
"""

from __future__ import annotations

import argparse
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ENV_DIR = "ENCIRCLE_SIM_ASSETS_DIR"
MARKER = ".encircle-sim-complete"

#: The npm packages a page may request through the proxy, in the order they load. Versions are not
#: written here: they are read from the installed solara (see :func:`required_packages`).
#: Found empirically (browser + server log, CDN unreachable) with Mesa's SolaraViz and
#: solara 1.64.1:
#:   the app shell (Vue 2 or Vue 3 flavour), requirejs and font-awesome load on every page;
#:   vue-grid-layout with SolaraViz's draggable grid; vega/vega-lite/vega-embed with any Altair
#:   chart (solara.FigureAltair); katex and mermaid with any solara.Markdown.
VUE2_APP = "@widgetti/solara-vuetify-app"
VUE3_APP = "@widgetti/solara-vuetify3-app"
COMMON_PACKAGES = (
    "requirejs",
    "font-awesome",
    "@widgetti/vue-grid-layout",
    "vega",
    "vega-lite",
    "vega-embed",
    "katex",
    "mermaid",
)
#: The solara version the list above was last checked against in a real browser.
VERIFIED_WITH_SOLARA = "1.64.1"

# A reference "NAME@VERSION/..." in solara's front-end sources (VERSION may be a range like "5").
_REF = re.compile(
    r"(?P<name>@[a-z0-9][a-z0-9._-]*/[a-z0-9][a-z0-9._-]*|[a-z0-9][a-z0-9._-]*)"
    r"@(?P<version>[~^]?[0-9][0-9A-Za-z.+-]*)"
    r"(?P<path>/[^\s\"'`)]*)"
)


class AssetsError(RuntimeError):
    """The asset list could not be worked out, or a package could not be fetched."""


@dataclass(frozen=True)
class Package:
    name: str  # e.g. "@widgetti/solara-vuetify-app"
    version: str  # exactly as solara requests it: "10.1.1", or a range such as "5"
    files: tuple[str, ...] = ()  # paths inside the package that solara references literally

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    def folder(self, base: Path) -> Path:
        # The proxy maps /_solara/cdn/<spec>/<path> to <cache dir>/<spec>/<path>; a scoped
        # name keeps its scope as a folder: <dir>/@widgetti/solara-vuetify-app@10.1.1/...
        return base / self.spec


def repo_root() -> Path | None:
    """The repository this package runs from (editable install), or None if installed elsewhere."""
    root = Path(__file__).resolve().parents[3]
    if (root / "pyproject.toml").is_file() and (root / "src" / "encircle_sim").is_dir():
        return root
    return None


def default_assets_dir() -> Path:
    """``$ENCIRCLE_SIM_ASSETS_DIR``, else ``<repo>/.cache/solara-cdn``, else a user cache folder."""
    env = os.environ.get(ENV_DIR)
    if env:
        return Path(env).expanduser().resolve()
    root = repo_root()
    if root is not None:
        return root / ".cache" / "solara-cdn"
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(xdg) / "encircle-sim" / "solara-cdn"


def _major(dist: str) -> int:
    return int(importlib.metadata.version(dist).split(".")[0])


def _solara_sources() -> list[Path]:
    """The installed solara files that put URLs through the asset proxy (read, not imported)."""
    spec = importlib.util.find_spec("solara")
    if spec is None or not spec.submodule_search_locations:
        raise AssetsError("solara is not installed in this Python environment")
    root = Path(list(spec.submodule_search_locations)[0])
    files = [root / "server" / "templates" / "solara.html.j2", root / "server" / "settings.py"]
    files += sorted((root / "widgets" / "vue").glob("*.vue"))
    files += sorted((root / "components").glob("*.py"))
    files += sorted((root / "lab").rglob("*.py")) + sorted((root / "lab").rglob("*.vue"))
    missing = [f for f in files[:2] if not f.is_file()]
    if missing:
        raise AssetsError(f"solara's layout changed: {missing} not found; review {__file__}")
    return files


def required_packages() -> list[Package]:
    """The packages (and versions) the installed solara's page requests through its asset proxy."""
    ipywidgets_major = _major("ipywidgets")
    vue3 = _major("ipyvue") >= 3  # what solara.server.server decides with
    wanted = (VUE3_APP if vue3 else VUE2_APP,) + COMMON_PACKAGES
    ignored = {VUE2_APP if vue3 else VUE3_APP}

    refs: dict[str, dict[str, set[str]]] = {}
    for source in _solara_sources():
        text = source.read_text(encoding="utf-8", errors="replace")
        for m in _REF.finditer(text):
            # A full URL (say a commented-out CDN link) does not go through the proxy.
            url_start = re.split(r"[\s\"'`(]", text[max(0, m.start() - 100) : m.start()])[-1]
            if "://" in url_start:
                continue
            path = m.group("path").replace("{{ipywidget_major_version}}", str(ipywidgets_major))
            files = refs.setdefault(m.group("name"), {}).setdefault(m.group("version"), set())
            if "{" not in path and "$" not in path and path != "/":
                files.add(path.lstrip("/"))

    unknown = sorted(set(refs) - set(wanted) - ignored)
    if unknown:
        raise AssetsError(
            f"the installed solara ({importlib.metadata.version('solara')}) requests front-end "
            f"packages this project does not know: {unknown}.\n"
            "Check whether the page needs them (run the browser test) and add them to "
            f"COMMON_PACKAGES in {__file__}."
        )
    packages = []
    for name in wanted:
        if name not in refs:
            raise AssetsError(
                f"the installed solara ({importlib.metadata.version('solara')}) no longer "
                f"references {name!r} (it did in {VERIFIED_WITH_SOLARA}); review the list in "
                f"{__file__}"
            )
        for version, files in sorted(refs[name].items()):
            packages.append(Package(name, version, tuple(sorted(files))))
    return packages


def is_complete(pkg: Package, base: Path) -> bool:
    folder = pkg.folder(base)
    return (folder / MARKER).is_file() and all((folder / f).is_file() for f in pkg.files)


def missing_packages(base: Path | None = None) -> list[Package]:
    base = base or default_assets_dir()
    return [p for p in required_packages() if not is_complete(p, base)]


def _npm() -> str:
    npm = shutil.which("npm")
    if npm is None:
        raise AssetsError(
            "npm is not installed; it is needed once, to fetch the page's front-end packages.\n"
            "  Install it (Debian/Ubuntu: apt-get install -y npm), or copy a filled asset folder "
            f"from another machine and set {ENV_DIR} to it."
        )
    return npm


def _unpack(tgz: Path, dest: Path, pkg: Package, resolved: dict) -> None:
    """Unpack an npm tarball's top folder (``package/``) into ``dest``, atomically."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".unpack-", dir=dest.parent))
    try:
        with tarfile.open(tgz) as tar:
            members = []
            for member in tar.getmembers():
                parts = member.name.split("/", 1)
                if len(parts) < 2 or not parts[1] or not (member.isfile() or member.isdir()):
                    continue
                member.name = parts[1]  # strip "package/" (a few old tarballs use another name)
                members.append(member)
            tar.extractall(tmp, members=members, filter="data")
        for f in pkg.files:
            # The CDN minifies on the fly a ".min.js"/".min.css" the package does not ship (solara
            # asks for requirejs@2.3.6/require.min.js, which is not in the package): serve the
            # unminified file under that name, which behaves the same.
            plain = re.sub(r"\.min\.(js|css)$", r".\1", f)
            if plain != f and not (tmp / f).is_file() and (tmp / plain).is_file():
                shutil.copyfile(tmp / plain, tmp / f)
        absent = [f for f in pkg.files if not (tmp / f).is_file()]
        if absent:
            raise AssetsError(
                f"{pkg.spec} (npm {resolved.get('version')}) lacks files solara requests: {absent}"
            )
        (tmp / MARKER).write_text(
            json.dumps(
                {
                    "requested": pkg.spec,
                    "resolved": f"{resolved.get('name')}@{resolved.get('version')}",
                    "integrity": resolved.get("integrity"),
                },
                indent=1,
            )
            + "\n"
        )
        if dest.exists():  # e.g. partial files the proxy cached from the CDN when online
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def fetch(packages: list[Package], base: Path, log=print) -> None:
    """``npm pack`` the packages (one npm call) and unpack each into ``base``."""
    if not packages:
        return
    npm = _npm()
    base.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="npm-pack-") as tmpdir:
        cmd = [npm, "pack", "--json", "--pack-destination", tmpdir, *(p.spec for p in packages)]
        log(f"assets: npm pack {' '.join(p.spec for p in packages)}")
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=tmpdir)
        if proc.returncode != 0:
            raise AssetsError(
                f"npm pack failed (exit {proc.returncode}):\n{proc.stderr.strip()[-2000:]}\n"
                "The npm registry must be reachable once for this step; or copy a filled asset "
                f"folder from another machine and set {ENV_DIR} to it."
            )
        try:
            results = json.loads(proc.stdout)
        except json.JSONDecodeError as e:
            raise AssetsError(f"could not read npm pack's output: {e}\n{proc.stdout[:500]}") from e
        if len(results) != len(packages):
            raise AssetsError(f"npm pack returned {len(results)} tarballs for {len(packages)} "
                              "specs")
        for pkg, res in zip(packages, results, strict=True):
            if res.get("name") != pkg.name:
                raise AssetsError(f"npm pack returned {res.get('name')} for {pkg.spec}")
            _unpack(Path(tmpdir) / res["filename"], pkg.folder(base), pkg, res)
            log(f"assets:   {pkg.spec:40s} <- npm {res['name']}@{res['version']}")


def ensure(base: Path | None = None, force: bool = False, log=print) -> Path:
    """Make sure every package the page needs is in ``base``; return the folder."""
    base = base or default_assets_dir()
    packages = required_packages()
    todo = packages if force else [p for p in packages if not is_complete(p, base)]
    if todo:
        t0 = time.monotonic()
        fetch(todo, base, log=log)
        log(f"assets: fetched {len(todo)} package(s) into {base} in {time.monotonic() - t0:.1f} s")
    else:
        log(f"assets: all {len(packages)} front-end packages present in {base}")
    solara_version = importlib.metadata.version("solara")
    if solara_version != VERIFIED_WITH_SOLARA:
        log(
            f"assets: note: solara {solara_version} is installed; this list was verified in a "
            f"browser with {VERIFIED_WITH_SOLARA} (the browser test checks it again)"
        )
    return base


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m encircle_sim.viz.assets",
        description="Fetch the live page's front-end files (npm packages) for offline use.",
    )
    parser.add_argument("--dir", type=Path, help=f"cache folder (default: ${ENV_DIR} or "
                        ".cache/solara-cdn in the repository)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--check", action="store_true", help="fetch nothing; exit 1 if incomplete")
    group.add_argument("--list", action="store_true", help="print the NAME@VERSION list")
    group.add_argument("--force", action="store_true", help="fetch everything again")
    args = parser.parse_args(argv)
    base = args.dir.expanduser().resolve() if args.dir else default_assets_dir()
    try:
        if args.list:
            for p in required_packages():
                print(p.spec)
            return 0
        if args.check:
            missing = missing_packages(base)
            if missing:
                print(f"assets: missing in {base}: {' '.join(p.spec for p in missing)}\n"
                      "  fix: python -m encircle_sim.viz.assets", file=sys.stderr)
                return 1
            print(f"assets: complete: {base}")
            return 0
        ensure(base, force=args.force)
    except AssetsError as e:
        print(f"assets: ERROR: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
