"""Reading a scenario file takes time in proportion to its size, even a hostile one.

Times ``load_scenario`` (reading, merging the base, validating, reporting) on variant files of
growing size, each a few shapes a hostile or mistaken file takes: many formations (valid), many
unknown keys (each one a problem), a [set] table of many paths. Each row gives the time per
1,000 entries relative to the smallest file of its shape, measured in one run: a ratio near 1
means linear; the 16,000-key file of issue 12 took 9 s and grew with the square of the count.

    .venv/bin/python benchmarks/bench_parsing.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from encircle_sim.scenario_files import ScenarioError, load_scenario

SIZES = (500, 1_000, 2_000, 4_000, 8_000)


def formations(n: int) -> str:
    return 'base = "quick"\n' + "".join(
        f'[[append.forces]]\nname = "F{i}"\nstart = "Haditha"\n' for i in range(n // 3))


def unknown_keys(n: int) -> str:
    return 'base = "quick"\n' + "".join(f"k{i} = {i}\n" for i in range(n))


def set_paths(n: int) -> str:
    return 'base = "quick"\n[set]\n' + "".join(f'"forces[0].x{i}" = 1\n' for i in range(n))


SHAPES = {"formations (valid)": formations, "unknown keys": unknown_keys,
          "[set] paths": set_paths}


def seconds(path: Path, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        try:
            load_scenario(path)
        except ScenarioError as err:
            err.report()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    load_scenario("quick")  # warm: imports, the region data
    print("| shape | " + " | ".join(f"{n:,} entries" for n in SIZES) + " |")
    print("|---|" + "---:|" * len(SIZES))
    with tempfile.TemporaryDirectory() as tmp:
        for label, make in SHAPES.items():
            per_k = []
            for n in SIZES:
                path = Path(tmp) / f"s{n}.toml"
                path.write_text(make(n), encoding="utf-8")
                per_k.append(seconds(path) / n * 1000)
            cells = [f"{t * 1000:.0f} ms/1k ({t / per_k[0]:.2f}x)" for t in per_k]
            print(f"| {label} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
