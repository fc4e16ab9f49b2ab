"""Summarise a mutmut run per module: killed, survived, timeout, suspicious, no tests, kill rate.

mutmut 3 keeps each mutated file's results in ``mutants/<path>.meta`` (JSON: the exit code of
the tests run against each mutant). The kill rate counts a mutant as killed when a test failed
(or the tests timed out: the mutant made the model loop); a mutant that no selected test
reaches ("no tests") counts against it like a survivor.

    .venv/bin/python scripts/mutation_report.py              # the table (`make mutation`)
    .venv/bin/python scripts/mutation_report.py --survivors  # and the names of the survivors

A full run tests every mutant (about 2,700; over an hour on two busy cores). `make
mutation-sample` runs a fixed fifth of them (``mutmut run "*__mutmut_*[05]"``); the report
counts only the mutants checked, so a module's kill rate is then known to within the binomial
standard error printed beside it.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
MUTANTS = REPO / "mutants"

# mutmut's exit-code meanings (mutmut.stats.status_by_exit_code; anything else is suspicious)
STATUS = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests",
          34: "skipped", 35: "suspicious", 36: "timeout", 37: "killed", -24: "timeout",
          24: "timeout", 152: "timeout", 255: "timeout", -11: "segfault", -9: "segfault",
          None: "not checked"}
COLUMNS = ("killed", "timeout", "survived", "no tests", "suspicious", "not checked")


def status(code) -> str:
    return STATUS.get(code, "suspicious")


def results() -> dict[str, dict[str, str]]:
    """{module path: {mutant name: status}} of every mutated file."""
    out = {}
    for meta in sorted((MUTANTS / "src").rglob("*.py.meta")):
        codes = json.loads(meta.read_text())["exit_code_by_key"]
        if codes:
            module = str(meta.relative_to(MUTANTS).with_suffix(""))
            out[module] = {name: status(code) for name, code in codes.items()}
    return out


def checked(counts: Counter) -> int:
    return sum(n for st, n in counts.items() if st != "not checked")


def kill_rate(counts: Counter) -> float:
    total = checked(counts)
    return (counts["killed"] + counts["timeout"]) / total if total else float("nan")


def standard_error(counts: Counter) -> float:
    total, p = checked(counts), kill_rate(counts)
    return math.sqrt(p * (1 - p) / total) if total else float("nan")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--survivors", action="store_true",
                        help="also list the mutants that survived or that no test reaches")
    args = parser.parse_args()
    by_module = results()
    if not by_module:
        print(f"no mutants in {MUTANTS}: run `make mutation` (or `mutmut run`) first",
              file=sys.stderr)
        return 1
    header = f"{'module':44s} {'mutants':>7s} " + " ".join(f"{c:>11s}" for c in COLUMNS)
    print(header + f" {'kill rate':>9s} {'+-SE':>5s}")
    overall: Counter = Counter()
    for module, mutants in by_module.items():
        counts = Counter(mutants.values())
        overall.update(counts)
        print(f"{module:44s} {len(mutants):7d} "
              + " ".join(f"{counts[c]:11d}" for c in COLUMNS)
              + f" {kill_rate(counts):9.1%} {standard_error(counts):5.1%}")
    print(f"{'all':44s} {sum(overall.values()):7d} "
          + " ".join(f"{overall[c]:11d}" for c in COLUMNS)
          + f" {kill_rate(overall):9.1%} {standard_error(overall):5.1%}")
    if args.survivors:
        for mutants in by_module.values():
            for name, st in sorted(mutants.items()):
                if st in ("survived", "no tests", "suspicious"):
                    print(f"{st:10s} {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
