"""Expected cues of the vendored caption files, read by independent readers (not mediakit):
webvtt-py 0.6.0 for .vtt/.sbv, srt 3.5.3 for .srt, and the reference .ass of pysubs2's own TTML test."""
import json, re, sys, webvtt, srt
from pathlib import Path
d = Path(sys.argv[1])
out = {}
def secs(t):  # "00:01:02.500" -> 62.5
    h, m, s = t.replace(",", ".").split(":")
    return round(int(h) * 3600 + int(m) * 60 + float(s), 3)
for f in sorted(d.iterdir()):
    n = f.name
    if n.endswith((".vtt", ".sbv")):
        try:
            caps = webvtt.read(str(f)) if n.endswith(".vtt") else webvtt.from_sbv(str(f))
            out[n] = {"reader": "webvtt-py 0.6.0", "cues": [[secs(c.start), secs(c.end), c.text] for c in caps]}
        except Exception as e:
            out[n] = {"reader": "webvtt-py 0.6.0", "error": type(e).__name__}
    elif n.endswith(".srt"):
        enc = "gb2312" if "gb2312" in n else "utf-8-sig"
        subs = list(srt.parse(f.read_text(encoding=enc)))
        out[n] = {"reader": f"srt 3.5.3 (decoded as {enc})",
                  "cues": [[s.start.total_seconds(), s.end.total_seconds(), s.content] for s in subs]}
    elif n.endswith("ttml_example.ttml"):
        ref = (d / n.replace(".ttml", ".ass")).read_text(encoding="utf-8")
        cues = []
        for line in ref.splitlines():
            if line.startswith("Dialogue:"):
                parts = line.split(":", 1)[1].split(",", 9)
                def t(v):
                    h, m, s = v.strip().split(":"); return round(int(h) * 3600 + int(m) * 60 + float(s), 3)
                cues.append([t(parts[1]), t(parts[2]), re.sub(r"\{[^}]*\}", "", parts[9]).replace("\\N", "\n")])
        out[n] = {"reader": "pysubs2's reference pysubs2_ttml_example.ass (Dialogue lines split by hand)", "cues": cues}
json.dump(out, open(d.parent / "expected.json", "w"), ensure_ascii=False, indent=1)
for n, r in out.items():
    print(n, len(r.get("cues", [])), r.get("error", ""))
