"""Clip loudness on real stereo music: two Anttis instrumentals (arcade) and an immich-memories-music track.

No loudness is documented for these tracks, so the independent meter (pyloudnorm plus a 4x-oversampled peak)
only has to read something plausible for mastered music; the Clip target (-14 LUFS, true peak at most -1 dBTP,
SPECS.md) is what the render must meet, read by that meter, never by mediakit's own.
"""

from __future__ import annotations

import pytest

from mediakit import ClipOptions, render_clip
from mediakit.probe import probe
from tests import loudness_meter as meter

pytestmark = [pytest.mark.realworld, pytest.mark.fetched, pytest.mark.integration]

FAST = {"x264_preset": "ultrafast"}

# (fetched path, where the clip's 10 s excerpt starts). The excerpts' own readings (README) make each case
# fail if the render skipped normalisation: two are 5.3 and 1.6 LU off target, the third peaks over -1 dBTP.
TRACKS = [
    # The excerpt reads -19.3 LUFS with peaks at -1.4 dBTP: 5.3 dB of gain cannot fit without limiting.
    ("arcade/arcade/resources/assets/music/funkyrobot.mp3", 60.0),
    ("arcade/arcade/resources/assets/music/1918.mp3", 40.0),
    # Already at -13.9 LUFS but peak-normalised to -1 dBFS, so its true peak (-0.7 dBTP) is over the ceiling.
    ("immich-memories-music/immich_memories_music/tracks/energetic/energetic_acoustic_1.opus", 10.0),
]


@pytest.fixture(scope="module")
def still(media):
    return media.still("music-still.png", size=(720, 1280))


@pytest.mark.parametrize(("rel", "start"), TRACKS, ids=lambda v: str(v).rsplit("/", 1)[-1])
def test_real_music_lands_on_the_clip_target(fetched, still, tmp_path, rel, start):
    src = fetched(rel)
    info = probe(src)
    assert info.audio[0].channels == 2 and info.duration is not None and info.duration >= start + 10
    # Sanity of the meter on the source: mastered music sits well above -40 LUFS and below -5.
    assert -40.0 <= meter.integrated(src) <= -5.0

    out = tmp_path / "music.mp4"
    result = render_clip(still, out, ClipOptions(audio=str(src), audio_start=start, duration=10, **FAST))
    lufs = meter.assert_on_target(out)
    assert probe(out).audio[0].channels == 2
    # mediakit's own report of the render must agree with the independent reading.
    assert result.loudness is not None and abs(result.loudness.integrated - lufs) <= 0.2
