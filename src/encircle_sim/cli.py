"""The ``encircle-sim`` command: run, validate, map, list, viz, sweep, report, calibrate.

Scenario problems are reported as one readable list on stderr with exit status 2 and no
traceback; everything else the user can fix is reported the same way.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from pathlib import Path

from encircle_sim import __version__

EXIT_BAD_INPUT = 2
MIN_MAP_PX, MAX_MAP_PX = 200, 10000


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
    p.add_argument("scenario", nargs="?",
                   help="scenario file or bundled name (see `encircle-sim list`); none with "
                        "--from")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a value, e.g. --set insurgents.cells=400 (repeatable)")
    p.add_argument("--seed", type=int, help="override the scenario's seed")
    p.add_argument("--out", type=Path, help="run folder (default: runs/<scenario>-seed<N>; "
                   "with --from, the folder the checkpoint was written for)")
    p.add_argument("--animate", action="store_true",
                   help="also write an animation of the campaign (MP4; GIF without ffmpeg)")
    p.add_argument("--checkpoint-every", type=float, metavar="DAYS",
                   help="save a checkpoint every DAYS campaign days in <out>/checkpoints/ "
                        "(Ctrl-C also leaves one at the step it stops)")
    p.add_argument("--from", dest="resume", type=Path, metavar="CHECKPOINT",
                   help="continue a run from a checkpoint file instead of starting one")
    p.add_argument("--quiet", action="store_true", help="no progress output")
    p.add_argument("--force", action="store_true", help="replace an existing run folder")
    p.add_argument("--yes", action="store_true",
                   help="run even if the cost estimate exceeds this machine's free memory or "
                        "half an hour (see `encircle-sim validate`)")
    p.add_argument("--reps", type=int, metavar="N",
                   help="run N replications (seeds from the scenario's seed, or --seed) on the "
                        "sweep machinery, and print each outcome's mean, sd and 95%% interval")
    from encircle_sim.experiments.commands import add_cluster_args, add_commands

    add_cluster_args(p)

    p = sub.add_parser("validate", help="check scenario files and report every problem")
    p.add_argument("files", nargs="+", help="scenario files or bundled names")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a value in every file checked (repeatable)")

    p = sub.add_parser("map", help="draw the grid as the model sees it")
    _add_scenario_args(p, optional=True)
    p.add_argument("--out", type=Path, default=Path("map.png"), help="PNG file (default map.png)")
    p.add_argument("--size", default="1600x1200", help="image size WIDTHxHEIGHT in pixels")

    p = sub.add_parser("viz", help="open the live browser page (Mesa SolaraViz) of a scenario, "
                                   "or replay a run folder in it")
    p.add_argument("scenario", nargs="?", default="victory_will",
                   help="scenario file or bundled name shown first (default: victory_will), or "
                        "a run folder to replay")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; "
                        "0.0.0.0 shares the page with the network)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--open", action="store_true", help="open a web browser when the page is ready")

    p = sub.add_parser("branch", help="run alternative orders from a checkpoint, side by side")
    p.add_argument("checkpoint", type=Path, help="a checkpoint file (run --checkpoint-every)")
    p.add_argument("--orders", type=Path, required=True, metavar="FILE",
                   help="TOML file of [[alternative]] tables: name = '...', orders = [{...}]")
    p.add_argument("--reps", type=int, default=10, help="replications of each alternative "
                   "(default 10)")
    p.add_argument("--days", type=float, help="run this many days (default: to the end)")
    p.add_argument("--seed", type=int, default=0, help="root seed of the replications")
    p.add_argument("--workers", type=int, default=1, help="Dask worker processes (default 1)")
    p.add_argument("--no-baseline", action="store_true",
                   help="do not add 'as planned' (no new orders) as the first alternative")
    p.add_argument("--out", type=Path, help="folder for runs.csv, comparison.csv and "
                   "comparison.png (default: branches/<checkpoint name> next to the checkpoint)")
    p.add_argument("--quiet", action="store_true", help="no progress output")

    p = sub.add_parser("animate", help="draw the animation of a run folder, without rerunning")
    p.add_argument("folder", type=Path, help="a run folder written by `encircle-sim run`")
    p.add_argument("--format", choices=["mp4", "gif"],
                   help="default: mp4 when ffmpeg is available (imageio-ffmpeg), else gif")
    p.add_argument("--out", type=Path, help="file to write (default: FOLDER/campaign.mp4|gif)")

    p = sub.add_parser("list", help="list bundled scenarios, places or unit types")
    p.add_argument("what", nargs="?", choices=["scenarios", "places", "unit-types"],
                   default="scenarios")
    add_commands(sub)
    return parser


def _fail(message: str) -> int:
    print(message, file=sys.stderr)
    return EXIT_BAD_INPUT


def cmd_validate(args: argparse.Namespace) -> int:
    from encircle_sim.scenario_files import ScenarioError, load_scenario

    status = 0
    for ref in args.files:
        try:
            sc = load_scenario(ref, args.overrides)
        except ScenarioError as err:
            print(err.report(), file=sys.stderr)
            status = EXIT_BAD_INPUT
        else:
            from encircle_sim import costs

            n_units = sum(f.units for f in sc.forces)
            print(f"{ref}: ok ({sc.name}: {_count(len(sc.forces), 'formation')}, "
                  f"{_count(n_units, 'unit')}, {_count(sc.insurgents.cells, 'insurgent cell')})")
            cost = costs.estimate(sc)
            print(f"  a run needs {cost.describe()}")
            for reason in costs.reasons_to_ask(cost):
                print(f"  note: `encircle-sim run` will ask for --yes: {reason}")
    return status


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


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
            kind = place.population_class if place.kind == "town" else place.kind
            print(f"{place.name:24s} {place.country}  {place.lat:7.3f} N {place.lon:7.3f} E"
                  f"  {kind}{approx}")
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
        return _fail(f"--size {args.size!r}: expected WIDTHxHEIGHT in pixels, e.g. 1600x1200")
    if not (MIN_MAP_PX <= width <= MAX_MAP_PX and MIN_MAP_PX <= height <= MAX_MAP_PX):
        return _fail(f"--size {args.size!r}: each side must be {MIN_MAP_PX} to {MAX_MAP_PX} pixels")
    if problem := _unwritable(args.out, "--out"):
        return _fail(problem)
    sc = load_scenario(args.scenario, args.overrides)
    import numpy as np

    from encircle_sim.mapview import save_region_map
    from encircle_sim.model import region_for  # the very grid the model runs on

    grid = region_for(sc)
    area = np.array([[v.lat, v.lon] for v in sc.operation.area]) if sc.theatres.iraq else None
    args.out.parent.mkdir(parents=True, exist_ok=True)
    m = sc.map
    title = (f"{sc.name}{': ' + sc.title if sc.title else ''}\n"
             f"the grid as the model sees it: {m.cell_km:g} km cells, {grid.nx} x {grid.ny}, "
             f"{m.south:g}-{m.north:g}° N, {m.west:g}-{m.east:g}° E")
    saved = save_region_map(args.out, grid, operation_area=area, size_px=(width, height),
                            title=title)
    print(f"map written to {saved.path} ({width} x {height} px)")
    return 0


def cmd_viz(args: argparse.Namespace) -> int:
    """Check the scenario here (a bad one fails at once, exit 2), then serve the page."""
    import os

    from encircle_sim.scenario_files import load_scenario, resolve_scenario_path
    from encircle_sim.viz import server

    if Path(args.scenario).is_dir():  # a run folder: replay it (checked here, exit 2 if bad)
        from encircle_sim.replay import open_run_folder

        record = open_run_folder(args.scenario)
        os.environ[server.ENV_REPLAY] = str(Path(args.scenario).resolve())
        ref = str(resolve_scenario_path(record.folder / "scenario.resolved.toml").resolve())
    else:
        load_scenario(args.scenario)  # raises ScenarioError with every problem
        ref = args.scenario
        if ref.endswith(".toml") or os.sep in ref:  # a file: the server may run elsewhere
            ref = str(resolve_scenario_path(ref).resolve())

    problem = server.address_problem(args.host, args.port)
    if problem:
        return _fail(problem)
    os.environ[server.ENV_SCENARIO] = ref
    return server.serve(server.APP_MODULE, args.host, args.port, args.open)


def cmd_run(args: argparse.Namespace) -> int:
    from encircle_sim.scenario_files import load_scenario

    if args.reps is not None:
        from encircle_sim.experiments.commands import cmd_run_reps

        return cmd_run_reps(args)
    if args.workers is not None or args.scheduler is not None:
        return _fail("--workers and --scheduler go with --reps N (one run uses one process)")
    if args.out is not None and (problem := _unwritable(args.out, "--out", folder=True)):
        return _fail(problem)
    from encircle_sim.outputs import protected_place

    if args.out is not None and (problem := protected_place(args.out)):
        return _fail(f"--out {str(args.out)!r}: {problem}")
    if args.checkpoint_every is not None and not args.checkpoint_every > 0:
        return _fail(f"--checkpoint-every {args.checkpoint_every:g}: expected a number of "
                     "campaign days > 0 (e.g. 5, or 0.25 for every 6-hour step)")
    if args.resume is not None:
        given = [o for o, v in (("a scenario", args.scenario), ("--set", args.overrides),
                                ("--seed", args.seed)) if v not in (None, [])]
        if given:
            return _fail(f"--from {args.resume}: the checkpoint holds the scenario and seed; "
                         f"give no {' or '.join(given)}")
        if not args.resume.is_file():
            return _fail(f"--from {str(args.resume)!r}: no such checkpoint file")
        from encircle_sim.checkpoint import read_header

        read_header(args.resume)  # not a checkpoint: reported before anything runs
    elif args.scenario is None:
        return _fail("encircle-sim run: give a scenario (a bundled name or a file), or "
                     "--from CHECKPOINT to continue a run")
    else:
        load_scenario(args.scenario, args.overrides)  # report bad input before the model
    from encircle_sim.runner import run_scenario_cli

    return run_scenario_cli(args)


def _unwritable(path: Path, option: str, *, folder: bool = False) -> str | None:
    """Why ``path`` (a file, or a folder to create) could not be written, or None.

    Checked before a long job starts, so a typo in ``--out`` does not cost a whole run.
    """
    from encircle_sim.scenario import clip_path

    path = Path(path)
    shown = clip_path(repr(str(path)))
    try:
        if path.exists() and path.is_dir() != folder:
            return f"{option} {shown}: is a {'file' if folder else 'folder'}, not a " \
                   f"{'folder' if folder else 'file'}"
        parent = path if folder else path.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
    except OSError as err:  # a name too long for the file system, say
        return f"{option} {shown}: cannot be used ({err.strerror or err})"
    if not parent.is_dir():
        return f"{option} {shown}: {clip_path(repr(str(parent)))} is a file, not a folder"
    if not os.access(parent, os.W_OK | os.X_OK):
        return f"{option} {shown}: no permission to write in {clip_path(repr(str(parent)))}"
    return None


def _experiment_command(name: str):
    def command(args: argparse.Namespace) -> int:
        from encircle_sim.experiments import commands

        return getattr(commands, f"cmd_{name}")(args)

    return command


def cmd_animate(args: argparse.Namespace) -> int:
    from encircle_sim.animation import ffmpeg_exe, save_animation

    if args.format == "mp4" and ffmpeg_exe() is None:
        return _fail("--format mp4 needs ffmpeg: pip install imageio-ffmpeg (or --format gif)")
    if args.out is not None and (problem := _unwritable(args.out, "--out")):
        return _fail(problem)
    path = save_animation(args.folder, args.out, fmt=args.format)
    print(f"animation written to {path}")
    return 0


def cmd_branch(args: argparse.Namespace) -> int:
    if args.reps < 1:
        return _fail(f"--reps {args.reps}: expected a number of replications >= 1")
    if args.workers < 1:
        return _fail(f"--workers {args.workers}: expected a number of processes >= 1")
    if args.days is not None and not args.days > 0:
        return _fail(f"--days {args.days:g}: expected a number of days > 0")
    if not args.checkpoint.is_file():
        return _fail(f"{str(args.checkpoint)!r}: no such checkpoint file")
    from encircle_sim.branches import read_orders_file
    from encircle_sim.checkpoint import read_header

    read_header(args.checkpoint)  # not a checkpoint: reported before anything runs
    alternatives = read_orders_file(args.orders)
    out = args.out or args.checkpoint.parent.parent / "branches" / args.checkpoint.stem
    if problem := _unwritable(out, "--out", folder=True):
        return _fail(problem)
    from encircle_sim.branches import write_branch_folder

    return write_branch_folder(args, alternatives, out)


_stopped_by = ["SIGINT"]  # the signal behind a KeyboardInterrupt that reaches main()

COMMANDS = {"run": cmd_run, "branch": cmd_branch, "animate": cmd_animate,
            "validate": cmd_validate, "map": cmd_map, "list": cmd_list, "viz": cmd_viz,
            "sweep": _experiment_command("sweep"), "report": _experiment_command("report"),
            "calibrate": _experiment_command("calibrate")}


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    _stopped_by[0] = "SIGINT"

    def on_sigterm(signum, frame):  # batch schedulers, timeouts and `docker stop` send SIGTERM
        _stopped_by[0] = "SIGTERM"
        raise KeyboardInterrupt

    previous = None
    if threading.current_thread() is threading.main_thread():
        previous = signal.signal(signal.SIGTERM, on_sigterm)
    try:
        return _command(args)
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _command(args: argparse.Namespace) -> int:
    """Run the command; whatever the user can fix becomes a message and exit status 2."""
    from encircle_sim.files import OutputError
    from encircle_sim.scenario_files import ScenarioError

    try:
        return COMMANDS[args.command](args)
    except ScenarioError as err:
        return _fail(err.report())
    except OutputError as err:
        return _fail(f"--out {err}")
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as err:  # a file that cannot be read or written: the user can fix it
        from encircle_sim.scenario import clip_path

        where = f" {clip_path(repr(err.filename))}" if err.filename else ""
        return _fail(f"encircle-sim {args.command}: cannot access{where}: "
                     f"{err.strerror or err}")
    except KeyboardInterrupt:
        print(f"interrupted ({_stopped_by[0]}): nothing written", file=sys.stderr)
        return 128 + int(getattr(signal, _stopped_by[0]))


if __name__ == "__main__":
    sys.exit(main())
