"""Test media made on demand with the bundled ffmpeg (lavfi sources) and Pillow, cached per session."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from PIL import Image

FFMPEG = imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg(*args: str, timeout: float = 300) -> None:
    subprocess.run([FFMPEG, "-v", "error", "-nostdin", "-y", *args], check=True, timeout=timeout)


class MediaFactory:
    """Makes each named file once per session: `factory.video(...)`, `factory.still(...)` return paths."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def _path(self, name: str, *params: object) -> Path:
        # The parameters are part of the cached name: two tests asking for "silent.mp4" made differently
        # (no audio track vs a silent one) must not get each other's file, whichever runs first.
        if not params:
            return self.root / name
        digest = hashlib.sha1(repr(params).encode()).hexdigest()[:8]
        stem, dot, suffix = name.rpartition(".")
        return self.root / (f"{stem}-{digest}.{suffix}" if dot else f"{name}-{digest}")

    def video(
        self,
        name: str,
        *,
        size: str = "1080x1920",
        seconds: float = 4.0,
        fps: str = "30",
        audio: bool = False,
        codec: str = "libx264",
        pix_fmt: str = "yuv420p",
        vf: str | None = None,
        extra: tuple[str, ...] = (),
        source: str = "testsrc2",
        input_extra: tuple[str, ...] = (),
    ) -> Path:
        """A lavfi test video; `vf` adds filters, `extra` adds output options."""
        out = self._path(name, size, seconds, fps, audio, codec, pix_fmt, vf, extra, source, input_extra)
        if out.exists():
            return out
        args = ["-f", "lavfi", "-i", f"{source}=s={size}:r={fps}:d={seconds}"]
        if audio:
            args += ["-f", "lavfi", "-i", f"sine=frequency=440:sample_rate=48000:d={seconds}"]
        args += [*input_extra]
        if vf:
            args += ["-vf", vf]
        args += ["-c:v", codec, "-pix_fmt", pix_fmt]
        if codec == "libx264":
            args += ["-preset", "ultrafast"]
        if audio:
            args += ["-c:a", "aac", "-shortest"]
        tmp = out.with_name(".tmp-" + out.name)
        ffmpeg(*args, *extra, str(tmp))
        tmp.replace(out)
        return out

    def remux(self, name: str, source: Path, *options: str) -> Path:
        """Stream-copy `source` with input `options` (e.g. a rotation matrix) into `name`."""
        out = self._path(name, str(source), options)
        if not out.exists():
            tmp = out.with_name(".tmp-" + out.name)
            ffmpeg(*options, "-i", str(source), "-c", "copy", str(tmp))
            tmp.replace(out)
        return out

    def still(
        self,
        name: str,
        size: tuple[int, int] = (1200, 1200),
        mode: str = "RGB",
        fmt: str | None = None,
        exif_orientation: int | None = None,
        seed: int = 1,
    ) -> Path:
        """A textured still (smooth colour fields plus detail) in any Pillow mode and format."""
        out = self._path(name, size, mode, fmt, exif_orientation, seed)
        if out.exists():
            return out
        rng = np.random.default_rng(seed)
        w, h = size
        y, x = np.mgrid[0:h, 0:w].astype(np.float32)
        base = np.stack(
            [np.sin(x / 37.0) + np.cos(y / 23.0), np.sin((x + y) / 51.0), np.cos(x / 19.0 - y / 41.0)],
            axis=-1,
        )
        rgb = ((base + 2) / 4 * 200 + rng.normal(0, 12, (h, w, 3))).clip(0, 255).astype(np.uint8)
        im = Image.fromarray(rgb)
        if mode == "RGBA":
            alpha = Image.fromarray((np.hypot(x - w / 2, y - h / 2) < min(w, h) / 2.5).astype(np.uint8) * 255)
            im.putalpha(alpha)
        elif mode == "I;16":
            im = Image.fromarray((np.asarray(im.convert("L"), dtype=np.uint16) * 257).astype(np.uint16))
        elif mode != "RGB":
            im = im.convert(mode)
        kwargs = {}
        if exif_orientation:
            exif = Image.Exif()
            exif[0x0112] = exif_orientation
            kwargs["exif"] = exif.tobytes()
        im.save(out, fmt, **kwargs)
        return out

    def raw(self, name: str, data: bytes) -> Path:
        out = self._path(name)
        out.write_bytes(data)
        return out

    def truncated(self, name: str, source: Path, fraction: float = 0.5) -> Path:
        data = source.read_bytes()
        return self.raw(name, data[: int(len(data) * fraction)])
