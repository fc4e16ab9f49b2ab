"""The campaign-story figures of issue 10, measured the same way before and after a change.

Each row: what was measured, over several seeds, on the bundled scenarios. Prints a Markdown
table. Run time is a few minutes on 2 cores.

    .venv/bin/python scripts/story_checks.py [--seeds 6] [--default victory_will]
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

from encircle_sim.patterns import dispersion
from encircle_sim.runner import run
from encircle_sim.scenario_files import load_scenario


def scaled(name: str, factor: float) -> dict:
    sc = load_scenario(name)
    return {f"forces[{i}].units": max(1, int(round(f.units * factor)))
            for i, f in enumerate(sc.forces) if f.side != "SDF"}


def runs(name, seeds, overrides=None):
    return [run(name, seed=s, overrides=overrides or {}, plots=False) for s in seeds]


def escapes(r) -> int:
    iq = r.summary["iraq"]
    return iq["escaped_cordon"] + iq["escaped_border"]


def early_share(r, days=2.0) -> float:
    ev = r.events
    esc = ev[ev["kind"].isin(["escaped_cordon", "escaped_border"])]
    return float((esc["day"] <= days).mean()) if len(esc) else float("nan")


def daily_attacks(r) -> np.ndarray:
    ev = r.events
    att = ev[ev["kind"].isin(["attack_sdf", "attack_population"])]
    days = int(np.ceil(r.summary["days"]))
    return np.bincount(np.floor(att["day"]).astype(int).clip(0, days - 1), minlength=days)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--default", default="victory_will")
    parser.add_argument("--coupled", default="victory_will")
    args = parser.parse_args()
    seeds = list(range(1, args.seeds + 1))
    d = args.default
    rows = []

    base = runs(d, seeds)
    none = runs(d, seeds, {"forces": [], "air": []})
    left = [escapes(r) / r.summary["iraq"]["cells_initial"] for r in none]
    rows.append(("cells leaving the operation area with no forces and no air",
                 f"{100 * np.mean(left):.0f}% (range {100 * min(left):.0f}-{100 * max(left):.0f})"))
    rows.append(("share of escapes in the first two days: default vs no forces",
                 f"{100 * np.nanmean([early_share(r) for r in base]):.0f}% vs "
                 f"{100 * np.nanmean([early_share(r) for r in none]):.0f}%"))
    cold = runs(d, seeds, {"insurgents.choice_temperature": 0.1})
    rows.append(("escapes per run, choice_temperature 0.3 -> 0.1",
                 f"{np.mean([escapes(r) for r in base]):.1f} -> "
                 f"{np.mean([escapes(r) for r in cold]):.1f}"))
    iq = [r.summary["iraq"] for r in base]
    fighters0 = np.mean([i["fighters_initial"] for i in iq])
    rows.append(("insurgent losses in the default campaign (cells of "
                 f"{iq[0]['cells_initial']}, fighters of about {fighters0:.0f})",
                 f"killed {np.mean([i['killed'] for i in iq]):.1f}, dissolved "
                 f"{np.mean([i['dissolved'] for i in iq]):.1f}, captured "
                 f"{np.mean([i['captured'] for i in iq]):.1f} cells; fighters killed "
                 f"{np.mean([i.get('fighters_killed', np.nan) for i in iq]):.0f}, captured "
                 f"{np.mean([i.get('fighters_captured', np.nan) for i in iq]):.0f}; "
                 f"cells still active {np.mean([i['cells_active'] for i in iq]):.1f}; hideouts "
                 f"found {np.mean([i.get('hideouts_destroyed', 0) for i in iq]):.1f}, caches "
                 f"{np.mean([i['caches_destroyed'] for i in iq]):.1f}"))
    many = {"insurgents.cells": 300}
    open_ = runs(args.coupled, seeds, {**many, "border.sealing": 0.0})
    shut = runs(args.coupled, seeds, {**many, "border.sealing": 1.0})
    rows.append(("border escapes per run, border open vs sealed (300 cells); total escapes; "
                 "attacks in Syria",
                 f"{np.mean([r.summary['iraq']['escaped_border'] for r in open_]):.1f} vs "
                 f"{np.mean([r.summary['iraq']['escaped_border'] for r in shut]):.1f}; "
                 f"{np.mean([escapes(r) for r in open_]):.1f} vs "
                 f"{np.mean([escapes(r) for r in shut]):.1f}; "
                 f"{np.mean([r.summary['syria']['attacks'] for r in open_]):.1f} vs "
                 f"{np.mean([r.summary['syria']['attacks'] for r in shut]):.1f}"))
    lengths = []
    for factor in (1.0, 2.0, 3.0):
        rs = base if factor == 1.0 else runs(d, seeds[:4], scaled(d, factor))
        ended = [r.summary["iraq"].get("end_day") or r.summary["days"] for r in rs]
        why = sorted({str(r.summary["iraq"].get("end_reason", r.summary["final_phase"]))
                      for r in rs})
        lengths.append(f"{factor:g}x: {np.mean(ended):.1f} days ({', '.join(why)})")
    rows.append(("campaign length (days) at 1x, 2x, 3x forces", "; ".join(lengths)))
    js = runs("jazeera_storm", seeds)
    kept = [r.summary["syria"]["cells_active"] / r.summary["syria"]["cells_initial"] for r in js]
    rows.append(("sleeper cells left in jazeera_storm after 45 days",
                 f"{100 * np.mean(kept):.0f}% (range {100 * min(kept):.0f}-{100 * max(kept):.0f})"))
    coupled = base if args.coupled == d else runs(args.coupled, seeds)
    disp = [dispersion(daily_attacks(r)) for r in coupled]
    rows.append(("daily attack counts in Syria, variance/mean after detrending",
                 f"{np.nanmean(disp):.2f} (range {np.nanmin(disp):.2f}-{np.nanmax(disp):.2f})"))
    rows.append((f"attacks in Syria per run in make demo's scenario ({args.coupled})",
                 f"{np.mean([r.summary['syria']['attacks'] for r in coupled]):.1f}"))
    print(f"| what was measured ({len(seeds)} seeds; default = {d}) | figure |")
    print("|---|---|")
    for what, fig in rows:
        print(f"| {what} | {fig} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
