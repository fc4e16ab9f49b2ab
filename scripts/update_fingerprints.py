"""Rewrite tests/fingerprints/fingerprints.json from the current code, and show what changed.

The fingerprint pins the exact outputs of a few scenario-seed pairs (see
tests/test_fingerprint.py). A refactor must leave it unchanged; a change meant to alter results
runs this script and quotes the before/after figures it prints in the commit message.

    .venv/bin/python scripts/update_fingerprints.py          # rewrite, print the changes
    .venv/bin/python scripts/update_fingerprints.py --check  # only compare (exit 1 if changed)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from fingerprint_cases import FINGERPRINT_FILE, fingerprint_all  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare only; write nothing")
    args = parser.parse_args()
    old = json.loads(FINGERPRINT_FILE.read_text()) if FINGERPRINT_FILE.exists() else {}
    new = fingerprint_all()
    changed = False
    for case, now in new.items():
        before = old.get(case)
        if before == now:
            print(f"{case}: unchanged")
            continue
        changed = True
        print(f"{case}: CHANGED")
        b_sum = (before or {}).get("summary", {})
        for key in sorted(set(b_sum) | set(now["summary"])):
            if b_sum.get(key) != now["summary"].get(key):
                print(f"  {key}: {b_sum.get(key)!r} -> {now['summary'].get(key)!r}")
    if not args.check:
        FINGERPRINT_FILE.write_text(json.dumps(new, indent=1, sort_keys=True) + "\n")
        print(f"wrote {FINGERPRINT_FILE.relative_to(REPO)}")
    return 1 if (changed and args.check) else 0


if __name__ == "__main__":
    sys.exit(main())
