"""Batch rendering: whole catalogues of canvases and clips, resumable, in parallel or on a Dask cluster."""

from __future__ import annotations

from mediakit.batch.engine import REPORT_NAME, BatchResult, Event, cores, default_workers, run_batch
from mediakit.batch.jobs import KINDS, Job, build_options, folder_jobs, scan
from mediakit.batch.manifest import Manifest, ManifestError, load_manifest
from mediakit.batch.state import STATE_NAME
from mediakit.batch.worker import STATUSES, Outcome

__all__ = [
    "KINDS",
    "REPORT_NAME",
    "STATE_NAME",
    "STATUSES",
    "BatchResult",
    "Event",
    "Job",
    "Manifest",
    "ManifestError",
    "Outcome",
    "build_options",
    "cores",
    "default_workers",
    "folder_jobs",
    "load_manifest",
    "run_batch",
    "scan",
]
