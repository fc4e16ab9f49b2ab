"""Where replications run: in this process, or on a Dask cluster (started here, or any cluster
reached through its scheduler's address or a ``Client``).

Both yield each replication's row as soon as it finishes. On Dask only a bounded window of tasks
is in flight (a few per worker thread), so the driver's memory stays flat however long the
experiment, and an interruption loses at most the window. The experiment's shared data goes to
each worker once. A worker that dies has its tasks rescheduled by Dask on the others (up to
``distributed.scheduler.allowed-failures`` times); a task that still cannot finish is reported
as a failed replication, never silently dropped.

Dask's worker processes are started with ``spawn``, which re-runs the user's main script in every
worker; a script that calls :func:`encircle_sim.run_many` at its top level, without
``if __name__ == "__main__":``, would then start a cluster inside each worker ("Nanny failed to
start"). The workers never need the user's script (every task is a function of this package), so
while a cluster started here lives, the main module's file is hidden from ``multiprocessing``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import uuid
from collections.abc import Iterable, Iterator
from typing import Any

from encircle_sim.experiments.replicate import Job, Task, replicate

#: Tasks in flight per worker thread: enough to keep every worker busy between results.
WINDOW_PER_THREAD = 4
#: How many times a task may lose its worker before it is reported as failed.
ALLOWED_FAILURES = 3


def default_workers() -> int:
    """One worker per core this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def failed_row(task: Task, error: str) -> dict[str, Any]:
    return {"point": task.point, "rep": task.rep, "seed": task.seed, "summary": None,
            "measures": {}, "steps": None, "error": error, "traceback": None,
            "run_seconds": None, "worker": None}


class InProcess:
    """Replications one after another in this process (no start-up cost)."""

    slots = 1
    description = "this process"

    def results(self, job: Job, tasks: Iterable[Task]) -> Iterator[dict[str, Any]]:
        for task in tasks:
            yield replicate(job, task)

    def close(self) -> None:
        pass


@contextlib.contextmanager
def main_script_hidden():
    """Keep ``multiprocessing``'s spawned children from re-running the user's main script."""
    main = sys.modules.get("__main__")
    if main is None:
        yield
        return
    saved = {k: main.__dict__[k] for k in ("__file__", "__spec__") if k in main.__dict__}
    if "__file__" in saved:
        del main.__file__
    if saved.get("__spec__") is not None:
        main.__spec__ = None
    try:
        yield
    finally:
        main.__dict__.update(saved)


class OnDask:
    """Replications on a Dask cluster: a LocalCluster started here, or an existing one.

    Args:
        workers: worker processes of a LocalCluster started here (one thread each).
        scheduler: address of a running scheduler, e.g. ``tcp://10.0.0.5:8786``.
        client: a ``dask.distributed.Client`` to use (left open).
    """

    def __init__(self, workers: int | None = None, scheduler: str | None = None, client=None):
        import dask
        from dask.distributed import Client, LocalCluster

        self._owned: list[Any] = []
        self._hide = None
        dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES})
        if client is not None:
            self.client = client
            self.description = f"the Dask cluster of {client.scheduler.address}"
        elif scheduler is not None:
            self.client = Client(scheduler, timeout="20s")
            self._owned.append(self.client)
            self.description = f"the Dask cluster at {scheduler}"
        else:
            n = workers or default_workers()
            self._hide = main_script_hidden()
            self._hide.__enter__()
            try:
                # The scheduler's HTTP server (health, metrics) on a free port of this machine
                # only: no clash with another cluster's 8787, nothing opened to the network.
                cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                                       host="127.0.0.1", dashboard_address="127.0.0.1:0",
                                       silence_logs=logging.ERROR)
                self._owned.append(cluster)
                self.client = Client(cluster)
                self._owned.insert(0, self.client)
            except BaseException:
                self.close()
                raise
            self.description = f"a local Dask cluster of {n} worker process{'es' * (n > 1)}"

    @property
    def slots(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def results(self, job: Job, tasks: Iterable[Task]) -> Iterator[dict[str, Any]]:
        from dask.distributed import as_completed

        client = self.client
        shared = client.scatter(job, broadcast=True, hash=False)
        run_id = uuid.uuid4().hex[:8]
        pending: dict[str, Task] = {}
        done = as_completed()
        todo = iter(tasks)

        def submit_next() -> None:
            task = next(todo, None)
            if task is not None:
                future = client.submit(replicate, shared, task, pure=False,
                                       key=f"replication-{run_id}-{task.point}-{task.rep}")
                pending[future.key] = task
                done.add(future)

        for _ in range(WINDOW_PER_THREAD * self.slots):
            submit_next()
        try:
            for future in done:
                task = pending.pop(future.key)
                try:
                    row = future.result()
                except Exception as err:  # the worker died too often, or the task was lost
                    row = failed_row(task, _lost_task_message(err))
                future.release()
                submit_next()
                yield row
        finally:
            for future in list(done.futures):
                future.cancel()
            with contextlib.suppress(Exception):
                client.cancel(shared)

    def close(self) -> None:
        for thing in self._owned:
            with contextlib.suppress(Exception):
                thing.close()
        self._owned = []
        if self._hide is not None:
            self._hide.__exit__(None, None, None)
            self._hide = None


def _lost_task_message(err: BaseException) -> str:
    from distributed.scheduler import KilledWorker

    if isinstance(err, KilledWorker):
        return (f"KilledWorker: the replication's worker process died {ALLOWED_FAILURES + 1} "
                "times while running it (out of memory, or a crash)")
    return f"{type(err).__name__}: {err}".strip()


def executor_for(workers: int | None = None, scheduler: str | None = None, client=None):
    """In this process for one worker; otherwise on Dask."""
    if client is None and scheduler is None and (workers or default_workers()) == 1:
        return InProcess()
    return OnDask(workers=workers, scheduler=scheduler, client=client)


def map_tasks(fn, args: list[tuple], *, workers: int = 1, client=None, report=None,
              describe=str) -> list[Any]:
    """``[fn(*a) for a in args]`` in this process, or on Dask when ``workers`` > 1 or a
    ``client`` is given (the cluster set up as for sweeps), results in task order; a failure
    names its task (``describe(i)``). For work that is not a scenario replication (branches from
    a checkpoint); ``report(done, total)`` after each task."""
    if client is None and workers == 1:
        results = []
        for k, a in enumerate(args):
            try:
                results.append(fn(*a))
            except Exception as err:
                err.add_note(describe(k))
                raise
            if report:
                report(k + 1, len(args))
        return results
    from dask.distributed import as_completed

    executor = OnDask(workers=workers, client=client)
    try:
        futures = [executor.client.submit(fn, *a, pure=False) for a in args]
        where = {f.key: i for i, f in enumerate(futures)}
        out: list[Any] = [None] * len(args)
        for done, fut in enumerate(as_completed(futures), 1):
            i = where[fut.key]
            try:
                out[i] = fut.result()
            except Exception as err:
                err.add_note(describe(i))
                raise
            if report:
                report(done, len(args))
        return out
    finally:
        executor.close()
