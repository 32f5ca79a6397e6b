"""Other subtitle projects' test files, read as independent readers read them (expected.json, README)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mediakit.captions import CaptionError, read_captions

pytestmark = pytest.mark.realworld

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
EXPECTED = json.loads((HERE / "expected.json").read_text(encoding="utf-8"))

# Where mediakit must differ from the independent reader, by the file's own name and content (README):
# blocks that reader keeps or drops without a word are reported by mediakit, naming their line.
REPORTED = {
    "webvtt-py_missing_timeframe.vtt": {6: "has no cue timing"},  # webvtt-py drops it silently
    "webvtt-py_missing_timeframe.srt": {5: "cue 2 has no timing line"},  # srt merges it into cue 1
    "webvtt-py_missing_caption_text.vtt": {6: "cue 2 has no text"},
    "webvtt-py_missing_caption_text.srt": {6: "cue 2 has no text"},
    "webvtt-py_invalid_timeframe_in_cue_text.vtt": {6: "cue 2 has no text"},  # two timing lines in a row
    "webvtt-py_sample.sbv": {14: "ends before it starts"},
}
MERGED_BY_THE_OTHER_READER = {"webvtt-py_missing_timeframe.srt": {0: "Caption text #1"}}
REFUSED = {"webvtt-py_invalid_timeframe.vtt": "line 6: malformed cue timing"}  # "00:00:1d.890"


def lines_of(text: str) -> str:
    return "\n".join(line.strip() for line in text.split("\n") if line.strip())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_cue_is_read_or_reported_by_its_line(name):
    expected = EXPECTED[name]
    if name in REFUSED:
        with pytest.raises(CaptionError, match=REFUSED[name]):
            read_captions(FILES / name)
        return
    result = read_captions(FILES / name)
    reported = REPORTED.get(name, {})
    # The other reader's cues, less those it keeps but no player can show (no text, or ending before start).
    shown = [(s, e, lines_of(t)) for s, e, t in expected["cues"] if lines_of(t) and e >= s]
    for index, text in MERGED_BY_THE_OTHER_READER.get(name, {}).items():
        shown[index] = (shown[index][0], shown[index][1], text)
    got = [(c.start, c.end, c.text) for c in result.cues]
    assert len(got) == len(shown), (name, len(got), len(shown))
    for (s1, e1, t1), (s2, e2, t2) in zip(got, shown, strict=True):
        assert s1 == pytest.approx(s2, abs=1e-3) and e1 == pytest.approx(e2, abs=1e-3) and t1 == t2, name
    assert {i.line: i.message for i in result.issues}.keys() == reported.keys(), result.issues
    for issue in result.issues:
        assert reported[issue.line] in issue.message and f"line {issue.line}:" in issue.message
    assert all(c.line > 0 for c in result.cues) or result.format not in ("srt", "vtt", "sbv", "ass")


def test_the_six_cue_file_with_identifiers_keeps_them_as_labels():
    result = read_captions(FILES / "webvtt-py_using_identifiers.vtt")
    # Its cue 2 has the identifier "second caption" and cue 4 the identifier "4" (read the file).
    assert [c.label for c in result.cues] == ["", "second caption", "", "4", "", ""]
    assert [c.text for c in result.cues] == [f"Caption text #{i}" for i in range(1, 7)]
