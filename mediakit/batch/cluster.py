"""Running batch tasks on a Dask distributed cluster (the optional `mediakit[cluster]` extra).

Workers need mediakit installed and must see the inputs and OUT at the same paths (a shared mount).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import uuid
from collections.abc import Callable
from typing import Any

from mediakit.batch.worker import Outcome, Task, execute
from mediakit.errors import UsageError

log = logging.getLogger(__name__)

CONNECT_TIMEOUT = "20s"


def run_on_worker(task: Task) -> Outcome:
    """The function a cluster worker runs: the worker's cores shared between its task threads."""
    try:
        from distributed import get_worker

        worker = get_worker()
        slots = getattr(getattr(worker, "state", worker), "nthreads", 1) or 1
        task = dataclasses.replace(task, threads=max(1, (os.cpu_count() or 1) // slots))
    except (ImportError, ValueError):
        pass  # not on a dask worker (e.g. called directly): keep the task's own setting
    return execute(task)


def _client(address: str) -> Any:
    try:
        from distributed import Client
    except ImportError:
        raise UsageError("--cluster needs Dask distributed", "pip install 'mediakit[cluster]'") from None
    try:
        return Client(address, timeout=CONNECT_TIMEOUT)
    except (OSError, TimeoutError, ValueError) as exc:
        raise UsageError(
            f"cannot reach the Dask scheduler at {address}: {exc}",
            "check the address and that the scheduler is running",
        ) from None


class ClusterPool:
    """Sends every task to the scheduler at `address` and collects the outcomes as they finish."""

    def __init__(self, address: str) -> None:
        self.address = address

    def run(
        self,
        tasks: list[Task],
        started: Callable[[Task], None],
        progress: Callable[[Task, float], None],
        done: Callable[[Outcome], None],
    ) -> None:
        """Run every task; on KeyboardInterrupt cancel what has not started, then re-raise.

        Tasks already running on a worker cannot be interrupted by Dask: they finish (their outputs are
        written atomically) but are not recorded, so the next run makes them again.
        """
        from distributed import as_completed

        client = _client(self.address)
        batch = uuid.uuid4().hex[:8]
        futures: dict[Any, Task] = {}
        try:
            for task in tasks:
                future = client.submit(
                    run_on_worker, task, key=f"mediakit-batch-{batch}-{task.job.index}", pure=False, retries=0
                )
                futures[future] = task
            for future in as_completed(list(futures)):
                task = futures[future]
                try:
                    outcome = future.result()
                except Exception as exc:  # e.g. KilledWorker: the job's worker died (twice) under it
                    outcome = Outcome(task.job.index, "failed", f"cluster: {type(exc).__name__}: {exc}")
                done(outcome)
        except KeyboardInterrupt:
            client.cancel(list(futures), force=True)
            raise
        finally:
            client.close()
