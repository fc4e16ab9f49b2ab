"""How long does `encircle-sim run --animate` take, and how much memory? Before and after.

    .venv/bin/python benchmarks/animation_speed.py [--scenario victory_will] [--skip-before]

Each variant runs in a fresh process (so its peak memory is its own) and is timed from the start
of the run to the animation on disk, side by side in one invocation:

* before: the animation as it was before issue 13: a snapshot of every step kept in memory, then
  a full matplotlib figure per frame (``FuncAnimation``, ``PillowWriter``, GIF, 1200x900);
  kept below as it was, for this comparison only;
* after, MP4: the recording of the run (``replay.npz``) drawn by the live page's frame renderer
  (static map once, moving layer per frame) and piped to ffmpeg (imageio-ffmpeg);
* after, GIF: the same frames without ffmpeg (Pillow, one palette).

Printed per variant: wall seconds of the whole `run(..., animate=True)` (model, run folder,
plots, animation), of the animation alone, peak resident memory (ru_maxrss), and file size.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = r"""
import json, os, resource, sys, time
from pathlib import Path
variant, scenario, out = sys.argv[1], sys.argv[2], Path(sys.argv[3])
t0 = time.perf_counter()
if variant == "before":
    sys.path.insert(0, os.path.dirname(sys.argv[4]))
    from animation_speed import legacy_run
    path, anim_s = legacy_run(scenario, out)
else:
    if variant == "gif":
        os.environ["ENCIRCLE_SIM_FFMPEG"] = "none"
    import encircle_sim.animation as animation
    from encircle_sim.runner import run
    timed = {}
    write = animation.write_animation
    def timed_write(*a, **k):
        t = time.perf_counter()
        p = write(*a, **k)
        timed["s"] = time.perf_counter() - t
        return p
    animation.write_animation = timed_write
    result = run(scenario, out=out, animate=True)
    path, anim_s = result.animation, timed["s"]
wall = time.perf_counter() - t0
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"wall": wall, "animation": anim_s, "peak_mb": peak_mb,
                  "size_mb": path.stat().st_size / 1e6, "file": path.name}))
"""


def legacy_run(scenario: str, out: Path):
    """The pre-issue-13 `--animate`: snapshots, then a full matplotlib figure per frame."""
    import matplotlib.pyplot as plt
    import numpy as np
    from matplotlib import animation

    from encircle_sim import plotting
    from encircle_sim.model import CampaignModel
    from encircle_sim.operation import PHASE_LABELS, Phase
    from encircle_sim.outputs import write_run_folder

    def snapshot(model) -> dict:
        c, u = model.cells, model.units
        return {
            "day": model.day, "phase": int(model.plan.phase),
            "ux": u.x.copy(), "uy": u.y.copy(), "alive": u.alive.copy(),
            "cx": c.x[: c.n].copy(), "cy": c.y[: c.n].copy(), "state": c.state[: c.n].copy(),
            "pocket": np.packbits(model.plan.pocket) if model.plan.active else None,
        }

    model = CampaignModel(scenario)
    snapshots = [snapshot(model)]
    model.run(progress=lambda m: snapshots.append(snapshot(m)))
    write_run_folder(out, model, scenario=model.spec, source=scenario, wall_seconds=None,
                     completed=True)
    plotting.save_run_plots(out, model)
    t0 = time.perf_counter()
    fig, ax = plotting._base_map(model, size_px=(1200, 900), title=model.spec.name)
    shape = model.plan.pocket.shape
    dynamic: list = []
    events = model.events.frame()

    def draw(k):
        for artist in dynamic:
            artist.remove()
        dynamic.clear()
        snap = snapshots[k]
        n_coll, n_lines = len(ax.collections), len(ax.lines)
        if snap["pocket"] is not None:
            mask = np.unpackbits(snap["pocket"])[: shape[0] * shape[1]].reshape(shape)
            plotting.draw_pocket(ax, model, mask.astype(bool))
        plotting.draw_units(ax, model, snap["ux"], snap["uy"], snap["alive"])
        plotting.draw_cells(ax, model, snap["cx"], snap["cy"], snap["state"])
        if not events.empty:
            plotting.draw_events(ax, events[events["day"] <= snap["day"] + 1e-9])
        dynamic.extend(ax.collections[n_coll:])
        dynamic.extend(ax.lines[n_lines:])
        ax.set_title(f"{model.spec.name}: day {snap['day']:.1f} - "
                     f"{PHASE_LABELS[Phase(snap['phase'])]}")
        return dynamic

    anim = animation.FuncAnimation(fig, draw, frames=len(snapshots), blit=False)
    path = out / "campaign.gif"
    anim.save(path, writer=animation.PillowWriter(fps=8))
    plt.close(fig)
    return path, time.perf_counter() - t0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default="victory_will")
    ap.add_argument("--skip-before", action="store_true", help="skip the slow old variant")
    args = ap.parse_args(argv)
    variants = ["mp4", "gif"] + ([] if args.skip_before else ["before"])
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for v in variants:
            out = Path(tmp) / v
            proc = subprocess.run([sys.executable, "-c", CHILD, v, args.scenario, str(out),
                                   os.path.abspath(__file__)],
                                  capture_output=True, text=True, check=False)
            if proc.returncode:
                print(proc.stderr, file=sys.stderr)
                return 1
            results[v] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(f"{args.scenario}, one run each in a fresh process, side by side:")
    print(f"{'variant':14s} {'whole run s':>11s} {'animation s':>11s} {'peak MB':>8s} "
          f"{'file MB':>8s}  file")
    names = {"before": "before (GIF)", "mp4": "after, MP4", "gif": "after, GIF"}
    for v in variants:
        r = results[v]
        print(f"{names[v]:14s} {r['wall']:11.1f} {r['animation']:11.1f} {r['peak_mb']:8.0f} "
              f"{r['size_mb']:8.1f}  {r['file']}")
    if "before" in results:
        b = results["before"]
        for v in ("mp4", "gif"):
            r = results[v]
            print(f"before / {names[v]}: whole run {b['wall'] / r['wall']:.1f}x, animation "
                  f"{b['animation'] / r['animation']:.1f}x, peak memory "
                  f"{b['peak_mb'] / r['peak_mb']:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
