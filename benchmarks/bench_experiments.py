"""The experiment machinery's targets, measured side by side in one run (issue 11).

    .venv/bin/python benchmarks/bench_experiments.py                 # everything (~10 minutes)
    .venv/bin/python benchmarks/bench_experiments.py --big 200 --memory 500   # a shorter look

Reports, for the default scenario (victory_will) unless told otherwise:

* warm replication: one campaign in a process that has run one before (target <= 0.25 s);
* engine overhead: the share of a sweep's wall time that is not model run time - scheduling,
  storing, progress - per replication, in this process and on 2 Dask workers (target < 10%);
* throughput of 1 and 2 Dask workers on the same replications, cluster already started
  (target: 2 workers >= 1.8x of 1);
* the same ratio for plain processes with no Dask at all, measured in the same run: the
  machine's own ceiling for any engine;
* the wall time of ``--big`` (default 1,000) replications on 2 workers, cluster start included
  (target: under 5 minutes for 1,000);
* the driver's memory over a ``--memory`` (default 2,000) replication sweep of a tiny scenario
  (target: flat; the driver holds only a bounded window of tasks and a small write buffer);
* agent-steps per second of the model beside Mesa's Epstein civil-violence example
  (``mesa.examples``), both measured here.

Absolute times vary +-20% with the machine's load; ratios are measured in the same run.
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import tempfile
import time
from pathlib import Path


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def sweep(scenario, reps: int, folder: Path, *, client=None, workers=None, seed=1,
          on_row=None):
    """``reps`` replications of one scenario through the sweep machinery; (wall, rows)."""
    from encircle_sim.experiments.spec import single_scenario_experiment
    from encircle_sim.experiments.sweep import run_experiment

    rows = []

    def keep(row):
        rows.append(row["run_seconds"])
        if on_row:
            on_row(row)

    experiment = single_scenario_experiment(scenario, reps, seed)
    t0 = time.perf_counter()
    run_experiment(experiment, folder, workers=workers, client=client, progress=False,
                   force=True, on_row=keep)
    return time.perf_counter() - t0, rows


def warm_replication(scenario, repeat: int = 3) -> float:
    from encircle_sim.runner import run

    run(scenario, seed=1, plots=False)
    best = float("inf")
    for k in range(repeat):
        t0 = time.perf_counter()
        run(scenario, seed=2 + k, plots=False)
        best = min(best, time.perf_counter() - t0)
    return best


#: A bare worker: warms up on one replication, says so, waits for "go", runs its replications.
BARE_WORKER = """
import sys
from encircle_sim.experiments.replicate import Job, Task, replicate
from encircle_sim.scenario_files import load_scenario
job = Job([load_scenario(sys.argv[1])])
replicate(job, Task(0, 0, 1))
print("ready", flush=True)
sys.stdin.readline()
for rep in range(int(sys.argv[2])):
    row = replicate(job, Task(0, rep, 100 + rep))
    assert row["error"] is None, row["traceback"]
print("done", flush=True)
"""


def bare_processes(scenario: str, n: int, reps: int) -> float:
    """Replications per second of ``n`` plain processes running ``reps`` warm replications each
    at the same time, with no Dask: what the machine itself gives ``n`` workers (the ceiling of
    any engine's speed-up on it)."""
    import subprocess

    procs = [subprocess.Popen([sys.executable, "-c", BARE_WORKER, scenario, str(reps)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
             for _ in range(n)]
    for p in procs:
        assert p.stdout.readline().strip() == "ready"
    t0 = time.perf_counter()
    for p in procs:
        p.stdin.write("go\n")
        p.stdin.flush()
    for p in procs:
        assert p.stdout.readline().strip() == "done"
        p.wait()
    return n * reps / (time.perf_counter() - t0)


def model_agent_steps(scenario) -> float:
    """Agent-steps per second of one warm campaign (units alive + cells active, per step)."""
    from encircle_sim.model import CampaignModel

    CampaignModel(scenario, rng=1).run()
    m = CampaignModel(scenario, rng=2)
    steps = 0
    t0 = time.perf_counter()
    while m.running:
        try:
            steps += int(m.units.alive.sum() + m.cells.active.sum())
        except AttributeError:  # after the model's refactor: every Mesa agent
            steps += len(m.agents)
        m.step()
    return steps / (time.perf_counter() - t0)


def epstein_agent_steps(n_steps: int = 100) -> float:
    from mesa.examples import EpsteinCivilViolence
    from mesa.examples.advanced.epstein_civil_violence.model import EpsteinScenario

    EpsteinCivilViolence(scenario=EpsteinScenario(rng=1)).step()  # warm
    model = EpsteinCivilViolence(scenario=EpsteinScenario(rng=2))  # the default 40 x 40
    steps = 0
    t0 = time.perf_counter()
    for _ in range(n_steps):
        steps += len(model.agents)
        model.step()
    return steps / (time.perf_counter() - t0)


#: What the benchmark measures, in order (``--only`` picks some).
PARTS = ("warm", "agents", "overhead", "workers", "big", "memory")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--scenario", default="victory_will")
    p.add_argument("--pair", type=int, default=40,
                   help="replications for the overhead and the 1 vs 2 worker measure")
    p.add_argument("--big", type=int, default=1000, help="replications of the long sweep")
    p.add_argument("--memory", type=int, default=2000,
                   help="replications of the memory sweep (a tiny scenario)")
    p.add_argument("--only", default=",".join(PARTS),
                   help=f"comma-separated parts to measure, of {', '.join(PARTS)}")
    args = p.parse_args()
    parts = set(args.only.split(","))
    if parts - set(PARTS):
        p.error(f"--only: unknown {', '.join(sorted(parts - set(PARTS)))}; "
                f"choose from {', '.join(PARTS)}")

    from dask.distributed import Client, LocalCluster

    from encircle_sim.scenario_files import load_scenario, with_overrides

    scenario = load_scenario(args.scenario)
    tiny = with_overrides(load_scenario("quick"), {"time.max_days": 2})
    tmp = Path(tempfile.mkdtemp(prefix="bench-experiments-"))
    out: dict[str, str] = {}
    print(f"encircle-sim experiments benchmark: {args.scenario}, {os.cpu_count()} cores, "
          f"pid {os.getpid()}", flush=True)

    if "warm" in parts:
        warm = warm_replication(scenario)
        out["warm replication"] = f"{warm:.3f} s (target <= 0.25 s)"
        print(f"  warm replication {warm:.3f} s", flush=True)

    if "agents" in parts:
        ours, theirs = model_agent_steps(scenario), epstein_agent_steps()
        out["agent-steps/s"] = (f"{ours:,.0f} vs Mesa Epstein civil violence {theirs:,.0f} "
                                f"({ours / theirs:.2f}x)")
        print(f"  agent-steps/s {out['agent-steps/s']}", flush=True)

    if "overhead" in parts:
        wall, runs = sweep(scenario, args.pair, tmp / "serial", workers=1)
        serial_overhead = (wall - sum(runs)) / sum(runs)
        out["overhead, this process"] = (f"{serial_overhead:.1%} of run time "
                                         f"({(wall - sum(runs)) / len(runs) * 1000:.1f} ms per "
                                         f"replication; target < 10%)")
        print(f"  in-process: {len(runs)} in {wall:.1f} s, overhead {serial_overhead:.1%}",
              flush=True)

    if "workers" in parts:
        throughput = {}
        for n in (1, 2):
            with LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                              dashboard_address=None, silence_logs=50) as cluster, \
                    Client(cluster) as client:
                sweep(tiny, 2 * n, tmp / "warmup", client=client)  # workers import and warm up
                wall, runs = sweep(scenario, args.pair, tmp / f"dask{n}", client=client)
            throughput[n] = len(runs) / wall
            overhead = (n * wall - sum(runs)) / sum(runs)
            out[f"Dask {n} worker{'s' * (n > 1)}"] = (f"{throughput[n]:.2f} replications/s, "
                                                     f"engine overhead {overhead:.1%} of run time")
            print(f"  Dask {n}: {len(runs)} in {wall:.1f} s ({throughput[n]:.2f}/s), overhead "
                  f"{overhead:.1%}", flush=True)
        out["2 vs 1 worker throughput"] = (f"{throughput[2] / throughput[1]:.2f}x "
                                           "(target >= 1.8x)")
        bare = {n: bare_processes(args.scenario, n, args.pair // 2) for n in (1, 2)}
        out["2 vs 1 bare processes (no Dask)"] = (
            f"{bare[2] / bare[1]:.2f}x ({bare[1]:.2f} and {bare[2]:.2f} replications/s): the "
            "machine's own ceiling for the line above")
        print(f"  bare processes: {bare}", flush=True)

    if "big" in parts:
        wall, runs = sweep(scenario, args.big, tmp / "big", workers=2)
        out[f"{args.big} replications, 2 workers"] = (
            f"{wall:.0f} s wall incl. cluster start ({wall / 60:.1f} min; target < 5 min for "
            f"1,000), mean run {sum(runs) / len(runs):.3f} s")
        print(f"  {args.big} on 2 workers: {wall:.0f} s", flush=True)

    if "memory" in parts:
        gc.collect()
        samples: list[tuple[int, float]] = []

        def sample(row, _count=[0]):  # noqa: B006 - a counter that lives across calls
            _count[0] += 1
            if _count[0] % max(1, args.memory // 20) == 0:
                samples.append((_count[0], rss_mb()))

        sweep(tiny, args.memory, tmp / "memory", workers=2, on_row=sample)
        first, last = samples[1] if len(samples) > 1 else samples[0], samples[-1]
        slope = (last[1] - first[1]) / max(1, last[0] - first[0]) * 1000
        out[f"driver memory, {args.memory} replications"] = (
            f"{first[1]:.0f} MB after {first[0]}, {last[1]:.0f} MB after {last[0]} "
            f"({slope:+.1f} MB per 1,000 replications)")
        print(f"  memory samples: {samples}", flush=True)

    print("\nsummary")
    for key, value in out.items():
        print(f"  {key:40s} {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
