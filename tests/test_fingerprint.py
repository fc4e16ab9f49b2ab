"""Results are pinned: the exact outputs of a few scenario-seed pairs.

Reproducibility tests compare two runs of the same code; this one compares against outputs
checked in, so a change in the order of random draws, a reordered submodel or a changed formula
fails here even when every behaviour test still passes. A refactor keeps these byte-identical;
a change meant to alter results runs ``scripts/update_fingerprints.py`` and says why, with the
before/after figures it prints, in its commit message.
"""

from __future__ import annotations

import json

import pytest
from fingerprint_cases import CASES, FINGERPRINT_FILE, case_name, fingerprint

PINNED = json.loads(FINGERPRINT_FILE.read_text())


def test_every_case_is_pinned():
    assert sorted(PINNED) == sorted(case_name(s, k) for s, k in CASES)


@pytest.mark.parametrize("scenario, seed", CASES, ids=[case_name(s, k) for s, k in CASES])
def test_outputs_match_the_fingerprint(scenario, seed):
    pinned = PINNED[case_name(scenario, seed)]
    now = fingerprint(scenario, seed)
    changed = {k: (pinned["summary"].get(k), v) for k, v in now["summary"].items()
               if pinned["summary"].get(k) != v}
    hint = ("results changed; if that is meant, run scripts/update_fingerprints.py and quote "
            f"the before/after figures in the commit. Summary changes: {changed}")
    assert now["steps_rows"] == pinned["steps_rows"], hint
    assert now["events_rows"] == pinned["events_rows"], hint
    assert now["steps_sha256"] == pinned["steps_sha256"], hint
    assert now["events_sha256"] == pinned["events_sha256"], hint
    assert now["summary"] == pinned["summary"], hint
