"""Reports: findings and per-file reports, the one shape validate, deep checks and renders report in."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from mediakit.probe import MediaInfo

SCHEMA_VERSION = 1
Verdict = Literal["pass", "warn", "fail"]


@dataclass(frozen=True)
class Finding:
    """One broken rule: what was seen, what the profile expects, and how to fix it."""

    rule: str
    severity: str
    observed: str
    expected: str
    message: str
    hint: str
    source: str = ""
    # The fix as data, for a program to act on (`mediakit fix`): {"action": "trim", "max_seconds": 8.0, ...}.
    # The actions and their keys are listed in presets/README.md. None when no mechanical fix exists.
    fix: dict[str, Any] | None = field(default=None, hash=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "severity": self.severity,
            "observed": self.observed,
            "expected": self.expected,
            "message": self.message,
            "hint": self.hint,
            "source": self.source,
            "fix": dict(self.fix) if self.fix is not None else None,
        }


@dataclass(frozen=True)
class FileReport:
    path: str
    profile: str | None
    profile_reason: str
    findings: tuple[Finding, ...]
    media: MediaInfo | None = field(default=None, compare=False, repr=False)

    def verdict(self, strict: bool = False) -> Verdict:
        if any(f.severity == "error" for f in self.findings):
            return "fail"
        if any(f.severity == "warning" for f in self.findings):
            return "fail" if strict else "warn"
        return "pass"

    def as_dict(self, strict: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "path": self.path,
            "profile": self.profile,
            "profile_reason": self.profile_reason,
            "verdict": self.verdict(strict),
            "findings": [f.as_dict() for f in self.findings],
        }
        if self.media is not None:
            out["media"] = media_summary(self.media)
        return out


def media_summary(info: MediaInfo) -> dict[str, Any]:
    """The probed facts a script may want, as plain JSON values."""
    out: dict[str, Any] = {
        "kind": info.kind,
        "container": info.container,
        "size_bytes": info.size_bytes,
        "duration": float(info.duration) if info.duration else None,
    }
    if info.display_size:
        out["width"], out["height"] = info.display_size
    v = info.primary_video
    if v:
        out.update(
            video_codec=v.codec,
            pix_fmt=v.pix_fmt,
            fps=float(v.avg_rate) if v.avg_rate else None,
            constant_rate=v.constant_rate,
            rotation=v.rotation,
            hdr=v.hdr,
        )
    out["audio_streams"] = len(info.audio)
    return out
