"""Memory stays flat over many campaigns in one process (a worker running thousands of
replications must not grow).

Each campaign builds a Mesa grid; Mesa 3.5 registers every grid's own cell class in
``copyreg.dispatch_table``, whose property accessors hold all the grid's layer arrays, so
without care each campaign left ~0.5-0.9 MB behind for good (80 campaigns: +62 MB, and on
without end). The campaigns here are short (two days) so that a hundred fit in the suite; the
leak was per campaign, not per step.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

CAMPAIGNS = 100
# The first campaigns fill what is meant to be kept (the grid, route fields, the allocator's
# pools: glibc keeps freed memory for reuse, and the resident size levels off after a few
# dozen campaigns, 20 MB above the first). Growth is measured after them.
SETTLE = 20
MAX_GROWTH_MB = 20

SCRIPT = textwrap.dedent(f"""\
    import gc
    from encircle_sim.runner import run

    def rss_mb():
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS"):
                    return int(line.split()[1]) / 1024

    for i in range(1, {CAMPAIGNS} + 1):
        run("victory_will", seed=i, overrides={{"time.max_days": 2.0}})
        if i in ({SETTLE}, {CAMPAIGNS}):
            gc.collect()
            print(rss_mb(), flush=True)
""")


@pytest.mark.slow
def test_a_hundred_campaigns_in_one_process_do_not_grow_memory():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True,
                          timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    settled, last = map(float, proc.stdout.split())
    assert last - settled < MAX_GROWTH_MB, (
        f"RSS grew {last - settled:.1f} MB over campaigns {SETTLE}-{CAMPAIGNS} "
        f"({settled:.0f} -> {last:.0f} MB)")
