"""The pinned scenario-seed pairs and how their outputs are fingerprinted.

A fingerprint is the SHA-256 of the exact bytes of ``steps.csv`` and ``events.csv`` as a run
folder holds them, with the run's summary figures beside them (so that a change shows its
before/after figures; the hashes alone decide). Shared by tests/test_fingerprint.py and
scripts/update_fingerprints.py.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

FINGERPRINT_FILE = Path(__file__).with_name("fingerprints") / "fingerprints.json"

# (scenario, seed): the small scenario and the coupled two-theatre one, two seeds each
CASES = (("quick", 1), ("quick", 2), ("combined", 1), ("combined", 2))

def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fingerprint(scenario: str, seed: int) -> dict:
    """Hashes of the run's steps.csv and events.csv bytes, and its summary figures."""
    from encircle_sim.runner import run

    result = run(scenario, seed=seed)
    summary = result.summary
    return {
        "steps_sha256": _sha(result.steps.to_csv(index=False)),
        "events_sha256": _sha(result.events.to_csv(index=False)),
        "steps_rows": len(result.steps),
        "events_rows": len(result.events),
        "summary": summary,
    }


def case_name(scenario: str, seed: int) -> str:
    return f"{scenario}-seed{seed}"


def fingerprint_all() -> dict:
    return {case_name(s, k): fingerprint(s, k) for s, k in CASES}
