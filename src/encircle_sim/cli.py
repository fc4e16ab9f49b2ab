"""The ``encircle-sim`` command: run, validate, map, list, viz (and, as it arrives, sweep).

Scenario problems are reported as one readable list on stderr with exit status 2 and no
traceback; everything else the user can fix is reported the same way.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from encircle_sim import __version__

EXIT_BAD_INPUT = 2


def _add_scenario_args(p: argparse.ArgumentParser, *, optional: bool = False) -> None:
    if optional:
        p.add_argument("scenario", nargs="?", default="victory_will",
                       help="scenario file or bundled name (default: victory_will)")
    else:
        p.add_argument("scenario", help="scenario file or bundled name (see `encircle-sim list`)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a value, e.g. --set insurgents.cells=400 (repeatable)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="encircle-sim",
        description="Agent-based simulation of an encirclement campaign in the Iraq-Syria desert.")
    parser.add_argument("--version", action="version", version=f"encircle-sim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run one campaign and write its run folder")
    _add_scenario_args(p)
    p.add_argument("--seed", type=int, help="override the scenario's seed")
    p.add_argument("--out", type=Path, help="run folder (default: runs/<scenario>-seed<N>)")
    p.add_argument("--animate", action="store_true", help="also write an animation of the campaign")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--force", action="store_true", help="replace an existing run folder")

    p = sub.add_parser("validate", help="check scenario files and report every problem")
    p.add_argument("files", nargs="+", help="scenario files or bundled names")

    p = sub.add_parser("map", help="draw the grid as the model sees it")
    _add_scenario_args(p, optional=True)
    p.add_argument("--out", type=Path, default=Path("map.png"), help="PNG file (default map.png)")
    p.add_argument("--size", default="1600x1200", help="image size WIDTHxHEIGHT in pixels")

    p = sub.add_parser("viz", help="open the live browser page (Mesa SolaraViz) of a scenario")
    p.add_argument("scenario", nargs="?", default="victory_will",
                   help="scenario file or bundled name shown first (default: victory_will)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; "
                        "0.0.0.0 shares the page with the network)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--open", action="store_true", help="open a web browser when the page is ready")

    p = sub.add_parser("list", help="list bundled scenarios, places or unit types")
    p.add_argument("what", nargs="?", choices=["scenarios", "places", "unit-types"],
                   default="scenarios")
    return parser


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return EXIT_BAD_INPUT


def cmd_validate(args: argparse.Namespace) -> int:
    from encircle_sim.scenario_files import ScenarioError, load_scenario

    status = 0
    for ref in args.files:
        try:
            sc = load_scenario(ref)
        except ScenarioError as err:
            print(err.report(), file=sys.stderr)
            status = EXIT_BAD_INPUT
        else:
            print(f"{ref}: ok ({sc.name}: {len(sc.forces)} formations, "
                  f"{sum(f.units for f in sc.forces)} units, {sc.insurgents.cells} cells)")
    return status


def cmd_list(args: argparse.Namespace) -> int:
    if args.what == "scenarios":
        import tomllib

        from encircle_sim.scenario_files import bundled_scenarios

        for name, path in bundled_scenarios().items():
            with path.open("rb") as fh:
                data = tomllib.load(fh)
            kind = f" (variant of {data['base']})" if "base" in data else ""
            print(f"{name:28s} {data.get('title', '')}{kind}")
    elif args.what == "places":
        from encircle_sim.geography import load_region

        for place in sorted(load_region().places.values(), key=lambda p: (p.country, p.name)):
            approx = "  (approximate)" if place.approximate else ""
            print(f"{place.name:24s} {place.country}  {place.lat:7.3f} N {place.lon:7.3f} E"
                  f"  {place.kind}{approx}")
    else:
        from encircle_sim.scenario import UNIT_TYPE_DEFAULTS

        for name, values in UNIT_TYPE_DEFAULTS.items():
            print(name + ": " + ", ".join(f"{k}={v}" for k, v in values.items()))
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    from encircle_sim.scenario_files import load_scenario

    try:
        width, height = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        return _fail(f"--size {args.size!r}: expected WIDTHxHEIGHT, e.g. 1600x1200")
    sc = load_scenario(args.scenario, args.overrides)
    from encircle_sim.plotting import save_scenario_map

    path = save_scenario_map(sc, args.out, size_px=(width, height))
    print(f"map written to {path}")
    return 0


def cmd_viz(args: argparse.Namespace) -> int:
    """Check the scenario here (a bad one fails at once, exit 2), then serve the page."""
    import os

    from encircle_sim.scenario_files import load_scenario, resolve_scenario_path

    load_scenario(args.scenario)  # raises ScenarioError with every problem
    ref = args.scenario
    if ref.endswith(".toml") or os.sep in ref:  # a file: the server may run in another folder
        ref = str(resolve_scenario_path(ref).resolve())
    from encircle_sim.viz import server

    problem = server.address_problem(args.host, args.port)
    if problem:
        return _fail(problem)
    os.environ[server.ENV_SCENARIO] = ref
    return server.serve(server.APP_MODULE, args.host, args.port, args.open)


def cmd_run(args: argparse.Namespace) -> int:
    from encircle_sim.runner import run_scenario_cli

    return run_scenario_cli(args)


COMMANDS = {"run": cmd_run, "validate": cmd_validate, "map": cmd_map, "list": cmd_list,
            "viz": cmd_viz}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from encircle_sim.scenario_files import ScenarioError

    try:
        return COMMANDS[args.command](args)
    except ScenarioError as err:
        return _fail(err.report())
    except KeyboardInterrupt:
        return _fail("interrupted")


if __name__ == "__main__":
    sys.exit(main())
