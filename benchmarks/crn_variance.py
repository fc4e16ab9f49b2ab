"""How much common random numbers shrink the variance of a difference between two courses of
action, against independent seeds (issue 11).

    .venv/bin/python benchmarks/crn_variance.py [--reps 30] [--workers 2]
        [--scenario victory_will] [--lever border.sealing] [--low 0.3] [--high 0.9]

Course A runs with the lever at ``--low`` and course B at ``--high``. With common random numbers
replication r of both courses uses the same seed; with independent seeds course B's replication
r has a seed of its own. For each outcome the script compares the variance of the per-replication
difference A_r - B_r under both schemes: the ratio var(independent) / var(common) is how many
times fewer replications common random numbers need for the same precision of the estimated
difference (1 = no gain; with one random stream shared by every submodel, a change of lever
reshuffles later draws and the gain is small; separate streams per submodel should raise it).
A bootstrap over replications gives each ratio a 90% interval.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np
import pandas as pd


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default="victory_will")
    p.add_argument("--lever", default="border.sealing")
    p.add_argument("--low", type=float, default=0.3)
    p.add_argument("--high", type=float, default=0.9)
    p.add_argument("--reps", type=int, default=30)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--seed", type=int, default=2019)
    p.add_argument("--top", type=int, default=12, help="outcomes shown (largest variance first)")
    args = p.parse_args()

    import encircle_sim as es
    from encircle_sim.experiments.seeds import replication_seed

    base = es.load_scenario(args.scenario)
    a = es.with_overrides(base, {args.lever: args.low})
    b = es.with_overrides(base, {args.lever: args.high})
    common = [replication_seed(args.seed, r) for r in range(args.reps)]
    own = [replication_seed(args.seed, r, 1) for r in range(args.reps)]  # course B's own seeds
    print(f"{args.scenario}: {args.lever} {args.low} vs {args.high}, {args.reps} replications "
          f"per course and scheme, {args.workers} workers", file=sys.stderr)
    shared = es.run_many({"A": a, "B": b}, seeds=common, workers=args.workers, progress=True)
    alone = es.run_many({"B": b}, seeds=own, workers=args.workers, progress=True)

    runs_a = shared[shared["label"] == "A"].reset_index(drop=True)
    runs_b = shared[shared["label"] == "B"].reset_index(drop=True)
    runs_b_own = alone.reset_index(drop=True)
    numeric = [c for c in runs_a.columns if c not in ("label", "seed", "scenario")
               and pd.api.types.is_numeric_dtype(runs_a[c])
               and not pd.api.types.is_bool_dtype(runs_a[c])]
    rng = np.random.default_rng(0)
    rows = []
    for col in numeric:
        d_crn = runs_a[col].to_numpy(float) - runs_b[col].to_numpy(float)
        d_ind = runs_a[col].to_numpy(float) - runs_b_own[col].to_numpy(float)
        ok = np.isfinite(d_crn) & np.isfinite(d_ind)
        d_crn, d_ind = d_crn[ok], d_ind[ok]
        if len(d_crn) < 3 or d_ind.var(ddof=1) == 0:
            continue
        v_crn, v_ind = d_crn.var(ddof=1), d_ind.var(ddof=1)
        boot = []
        for _ in range(2000):
            i = rng.integers(0, len(d_crn), len(d_crn))
            vc = d_crn[i].var(ddof=1)
            if vc > 0:
                boot.append(d_ind[i].var(ddof=1) / vc)
        low, high = np.percentile(boot, [5, 95]) if boot else (np.nan, np.nan)
        rows.append({"outcome": col, "mean difference": d_crn.mean(),
                     "var independent": v_ind, "var common": v_crn,
                     "ratio": v_ind / v_crn if v_crn > 0 else np.inf,
                     "ratio 90% low": low, "ratio 90% high": high})
    table = pd.DataFrame(rows).sort_values("var independent", ascending=False).head(args.top)
    with pd.option_context("display.width", 160, "display.max_columns", 20,
                           "display.float_format", "{:.3g}".format):
        print(table.to_string(index=False))
    finite = table["ratio"].replace(np.inf, np.nan).dropna()
    print(f"\nmedian variance ratio over these outcomes: {finite.median():.2f} "
          "(independent / common random numbers)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
