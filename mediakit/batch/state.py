"""Batch state in OUT/.mediakit-batch.json: which outputs are up to date, and a cache of input hashes."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mediakit import __version__
from mediakit.batch.jobs import Job

log = logging.getLogger(__name__)

STATE_NAME = ".mediakit-batch.json"
SCHEMA = 1
# A file rewritten within the same mtime tick as it was hashed can keep its size and mtime, so a cached hash
# is trusted only if the file was already this much older than the moment it was hashed (git's "racy" rule).
_RACY_NS = 2_000_000_000


@dataclass(frozen=True)
class Fingerprint:
    """The content hash of a file and the (size, mtime) it was taken at."""

    size: int
    mtime_ns: int
    sha256: str
    hashed_ns: int

    def matches(self, st: os.stat_result) -> bool:
        return (st.st_size, st.st_mtime_ns) == (self.size, self.mtime_ns) and (
            self.mtime_ns < self.hashed_ns - _RACY_NS
        )


def fingerprint(path: Path, known: Fingerprint | None = None) -> Fingerprint:
    """sha256 of `path`, or `known` when the file's size and mtime show it has not changed since."""
    st = os.stat(path)
    if known is not None and known.matches(st):
        return known
    hashed_ns = time.time_ns()
    with open(path, "rb") as fh:
        digest = hashlib.file_digest(fh, "sha256").hexdigest()
    return Fingerprint(st.st_size, st.st_mtime_ns, digest, hashed_ns)


def job_key(job: Job, hashes: dict[str, str]) -> str:
    """What an output depends on: mediakit's version, the kind, the preset (its name and its file's content:
    a user's preset may change), the options and the content of each file."""
    from mediakit.batch.jobs import default_preset
    from mediakit.preset import resolve

    name = job.preset or default_preset(job.kind)
    # No preset: a fix chooses one per file from the file itself, whose content is in the key already.
    preset = resolve(name) if name else None
    document = {
        "mediakit": __version__,
        "kind": job.kind,
        "preset": [preset.name, hashlib.sha256(preset.path.read_bytes()).hexdigest()] if preset else None,
        "options": job.options_dict(),
        "files": hashes,
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


def write_json_atomic(path: Path, document: Any) -> None:
    """Write JSON to a temp file beside `path` and rename it, so readers never see half a file."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(document, fh, indent=1, ensure_ascii=False, default=str)
            fh.write("\n")
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


class State:
    """Finished outputs (by path relative to OUT) with the key they were made from, plus the hash cache."""

    def __init__(self, out: Path, outputs: dict[str, dict[str, Any]], files: dict[str, Fingerprint]) -> None:
        self.out = out
        self.path = out / STATE_NAME
        self.outputs = outputs
        self.files = files

    @classmethod
    def load(cls, out: Path) -> State:
        path = out / STATE_NAME
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if data.get("schema") != SCHEMA:
                raise ValueError(f"schema {data.get('schema')!r}")
            files = {p: Fingerprint(**fp) for p, fp in data["files"].items()}
            return cls(out, dict(data["outputs"]), files)
        except FileNotFoundError:
            return cls(out, {}, {})
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            # A damaged state only costs a full re-render, never a wrong skip.
            log.warning("%s is unreadable (%s); every job will run", path, exc)
            return cls(out, {}, {})

    def _name(self, output: Path) -> str:
        return Path(os.path.relpath(output, self.out)).as_posix()

    def known(self, job: Job) -> dict[str, Fingerprint]:
        """Cached fingerprints of the job's files, for a worker to reuse instead of hashing again."""
        return {str(p): self.files[str(p)] for p in job.files().values() if str(p) in self.files}

    def entry(self, job: Job) -> dict[str, Any] | None:
        """The recorded entry if the output is up to date: same version, files, options; output untouched."""
        entry = self.outputs.get(self._name(job.output))
        if entry is None or entry.get("mediakit_version") != __version__:
            return None
        try:
            st: os.stat_result | None = os.stat(job.output)
        except OSError:
            st = None
        if entry.get("wrote", True):
            if st is None:
                return None
            if (st.st_size, st.st_mtime_ns) != (entry.get("output_size"), entry.get("output_mtime_ns")):
                return None  # the output was replaced or edited since mediakit wrote it
        elif st is not None:
            return None  # a fix that had nothing to write, but a file has appeared there since: look again
        hashes: dict[str, str] = {}
        for role, path in job.files().items():
            try:
                print_ = fingerprint(path, self.files.get(str(path)))
            except OSError:
                return None
            self.files[str(path)] = print_
            hashes[role] = print_.sha256
        return entry if entry.get("key") == job_key(job, hashes) else None

    def record(
        self,
        job: Job,
        key: str,
        fingerprints: dict[str, Fingerprint],
        summary: dict[str, Any],
        wrote: bool = True,
    ) -> None:
        """Remember a finished output (stat taken now, so a later edit of the output is noticed); `wrote`
        False: the job was done without writing one (a fix of a file that already passes)."""
        self.files.update(fingerprints)
        st = os.stat(job.output) if wrote else None
        self.outputs[self._name(job.output)] = {
            "key": key,
            "input": str(job.input),
            "kind": job.kind,
            "mediakit_version": __version__,
            "wrote": wrote,
            "output_size": st.st_size if st else None,
            "output_mtime_ns": st.st_mtime_ns if st else None,
            "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            **summary,
        }

    def save(self) -> None:
        write_json_atomic(
            self.path,
            {
                "schema": SCHEMA,
                "mediakit_version": __version__,
                "outputs": self.outputs,
                "files": {p: dataclasses.asdict(fp) for p, fp in self.files.items()},
            },
        )
