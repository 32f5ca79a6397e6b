"""expected.json: the cues of files/ as independent readers read them (run in a venv with webvtt-py 0.6.0
and srt 3.5.3, not mediakit's): `python make_expected.py files`.

.vtt and .sbv: webvtt-py; .srt: the srt library; .ass: pysubs2 1.8.1 (not mediakit's ASS reader); the TTML
file: pysubs2's own reference .ass for it, whose Dialogue lines are split here by hand.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pysubs2  # type: ignore[import-not-found]
import srt  # type: ignore[import-not-found]
import webvtt  # type: ignore[import-not-found]


def seconds(stamp: str) -> float:
    """ "00:01:02.500" or "0:01:02.50" -> 62.5"""
    h, m, s = stamp.strip().replace(",", ".").split(":")
    return round(int(h) * 3600 + int(m) * 60 + float(s), 3)


def read(path: Path) -> dict[str, object]:
    name = path.name
    if name.endswith((".vtt", ".sbv")):
        try:
            caps = webvtt.read(str(path)) if name.endswith(".vtt") else webvtt.from_sbv(str(path))
        except Exception as exc:  # webvtt-py's refusal is an expectation too
            return {"reader": "webvtt-py 0.6.0", "error": type(exc).__name__}
        return {
            "reader": "webvtt-py 0.6.0",
            "cues": [[seconds(c.start), seconds(c.end), c.text] for c in caps],
        }
    if name.endswith(".srt"):
        encoding = "gb2312" if "gb2312" in name else "utf-8-sig"
        subs = srt.parse(path.read_text(encoding=encoding))
        cues = [[s.start.total_seconds(), s.end.total_seconds(), s.content] for s in subs]
        return {"reader": f"srt 3.5.3 (decoded as {encoding})", "cues": cues}
    if name.endswith(".ass"):
        subs = pysubs2.load(str(path))
        cues = [[e.start / 1000, e.end / 1000, e.plaintext] for e in subs if not e.is_comment]
        return {"reader": "pysubs2 1.8.1", "cues": cues}
    reference = path.with_suffix(".ass").read_text(encoding="utf-8")
    cues = []
    for line in reference.splitlines():
        if line.startswith("Dialogue:"):
            fields = line.split(":", 1)[1].split(",", 9)
            text = re.sub(r"\{[^}]*\}", "", fields[9]).replace("\\N", "\n")
            cues.append([seconds(fields[1]), seconds(fields[2]), text])
    return {"reader": f"pysubs2's reference {path.with_suffix('.ass').name} (Dialogue lines split by hand)",
            "cues": cues}  # fmt: skip


def main() -> None:
    folder = Path(sys.argv[1])
    files = [p for p in sorted(folder.iterdir()) if p.suffix in (".vtt", ".sbv", ".srt", ".ttml", ".ass")]
    references = {p.with_suffix(".ass") for p in files if p.suffix == ".ttml"}  # expectations, not inputs
    out = {p.name: read(p) for p in files if p not in references}
    with open(folder.parent / "expected.json", "w", encoding="utf-8") as fh:
        json.dump(out, fh, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
