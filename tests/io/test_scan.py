"""find_videos / scan_videos: decoding a whole collection and naming what is wrong."""

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from _videos import gradient_video, mux_frames, write_video
from skvideo_imb.io import find_videos, scan_videos


@pytest.fixture
def collection(tmp_path):
    """A class-per-folder tree with one good, one truncated, one short and one broken
    video, a frame folder and a stray text file."""
    root = tmp_path / "videos"
    (root / "walk").mkdir(parents=True)
    (root / "run").mkdir()
    write_video(root / "walk" / "good.avi", gradient_video(12), "MJPG")
    cut = write_video(root / "walk" / "cut.avi", gradient_video(36), "MJPG")
    data = Path(cut).read_bytes()
    Path(cut).write_bytes(data[: len(data) // 2])
    write_video(root / "run" / "short.avi", gradient_video(1), "MJPG")
    (root / "run" / "broken.mp4").write_bytes(b"\x00" * 1000)
    (root / "run" / "notes.txt").write_text("not a video")
    frames = root / "run" / "frames"
    frames.mkdir()
    for k, frame in enumerate(gradient_video(4)):
        cv2.imwrite(str(frames / f"f{k}.png"), frame)
    return root


def test_find_videos_lists_files_and_frame_folders(collection):
    found = [os.path.relpath(p, collection) for p in find_videos([collection])]
    assert found == ["run/broken.mp4", "run/short.avi", "run/frames", "walk/cut.avi",
                     "walk/good.avi"]
    named = str(collection / "run" / "notes.txt")
    assert find_videos([named]) == [named]     # named explicitly: checked whatever it is


def test_scan_reports_each_problem_with_its_reason(collection):
    checks = {os.path.basename(c.path): c for c in scan_videos([collection], progress=False)}
    assert {name: c.status for name, c in checks.items()} == {
        "broken.mp4": "unreadable", "short.avi": "suspicious", "frames": "ok",
        "cut.avi": "truncated", "good.avi": "ok"}
    assert "could not be opened" in checks["broken.mp4"].reason
    assert checks["cut.avi"].declared_frames == 36 and 0 < checks["cut.avi"].n_frames < 36
    assert checks["cut.avi"].reason == f"declares 36 frames, {checks['cut.avi'].n_frames} decode"
    assert checks["short.avi"].reason == "only 1 frame (fewer than 2)"
    assert checks["frames"].n_frames == 4 and checks["good.avi"].n_frames == 12


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_scan_refuses_fifos_and_loops_without_hanging(tmp_path):
    os.mkfifo(tmp_path / "pipe.mp4")
    os.symlink(tmp_path / "loop.avi", tmp_path / "loop.avi")
    checks = scan_videos([tmp_path], progress=False)
    reasons = {os.path.basename(c.path): (c.status, c.reason) for c in checks}
    assert reasons["pipe.mp4"][0] == "unreadable" and "is a FIFO" in reasons["pipe.mp4"][1]
    assert reasons["loop.avi"][0] == "unreadable" and "cannot be read" in reasons["loop.avi"][1]


def test_a_frame_folder_with_a_corrupt_image_is_unreadable(tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    cv2.imwrite(str(folder / "f0.png"), np.zeros((8, 8, 3), np.uint8))
    (folder / "f1.png").write_bytes(b"\x89PNG broken")
    (check,) = scan_videos([folder], progress=False)
    assert check.status == "unreadable" and "f1.png" in check.reason


def _pyav_h264(path, n, *, steps_ms=None, audio_seconds=0.0, bframes=True):
    """H.264 from PyAV: at 25 fps, or at the given frame steps (ms, variable rate); with
    a silent audio track of ``audio_seconds`` (outlasting the video)."""
    import fractions
    av = pytest.importorskip("av")
    frames = gradient_video(n)[..., ::-1]  # (BGR from the helper; RGB for PyAV)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = frames.shape[2], frames.shape[1], \
            "yuv420p"
        stream.options = {} if bframes else {"bf": "0"}
        if steps_ms is not None:
            stream.codec_context.time_base = fractions.Fraction(1, 1000)
        audio = container.add_stream("pcm_s16le", rate=8000) if audio_seconds else None
        mux_frames(container, stream, frames, steps_ms)
        if audio is not None:
            samples = av.AudioFrame.from_ndarray(
                np.zeros((1, int(8000 * audio_seconds)), np.int16), format="s16",
                layout="mono")
            samples.sample_rate, samples.pts = 8000, 0
            for packet in audio.encode(samples):
                container.mux(packet)
            for packet in audio.encode():
                container.mux(packet)
    return str(path)


def _hide_first_frames(path, k, frame_ticks=512):
    """Trim an MP4 without re-encoding, as editors do: its edit list starts ``k``
    frames later, so a player (and FFmpeg) shows ``k`` frames fewer than it stores."""
    data = bytearray(Path(path).read_bytes())
    at = data.index(b"elst")
    assert int.from_bytes(data[at + 4:at + 12], "big") >> 32 == 0  # version 0, flags
    assert int.from_bytes(data[at + 8:at + 12], "big") == 1         # one entry
    media_time = at + 16                                            # after its duration
    start = int.from_bytes(data[media_time:media_time + 4], "big", signed=True)
    data[media_time:media_time + 4] = (start + k * frame_ticks).to_bytes(4, "big")
    Path(path).write_bytes(bytes(data))
    return str(path)


@pytest.mark.parametrize("kind", ["variable frame rate mkv", "audio outlasts the video",
                                  "trimmed by an edit list"])
def test_a_complete_file_whose_opencv_count_is_an_estimate_is_not_truncated(
        kind, tmp_path, recwarn):
    """OpenCV's frame count is duration x frame rate where the container stores none
    (Matroska) and counts the frames an edit list hides (MP4): a file that decodes
    whole is not called truncated, and counting it does not warn."""
    from skvideo_imb.io import _disk, count_frames
    if kind == "variable frame rate mkv":
        steps = list(np.random.RandomState(0).choice([33, 34, 66, 100], 40))
        path, shown = _pyav_h264(tmp_path / "vfr.mkv", 40, steps_ms=steps), 40
    elif kind == "audio outlasts the video":
        path, shown = _pyav_h264(tmp_path / "audio.mkv", 25, audio_seconds=3.0), 25
    else:
        path = _pyav_h264(tmp_path / "trimmed.mp4", 60, bframes=False)
        path, shown = _hide_first_frames(path, 10), 50
    cap = cv2.VideoCapture(path)
    assert cap.get(cv2.CAP_PROP_FRAME_COUNT) > shown   # what OpenCV says it holds
    cap.release()
    (check,) = scan_videos([path], progress=False)
    assert (check.status, check.n_frames, check.reason) == ("ok", shown, "")
    _disk.forget_counts()
    assert count_frames(path) == shown
    assert not [w for w in recwarn if "truncated" in str(w.message)]


def test_a_truncated_mp4_is_still_called_truncated(tmp_path):
    """The stored count, not the packets that survived, judges a cut file."""
    path = _pyav_h264(tmp_path / "cut.mp4", 60, bframes=False)
    data = Path(path).read_bytes()
    moov = data.index(b"moov")  # PyAV writes the index after the frames: move it first
    assert moov > data.index(b"mdat")
    faststart = tmp_path / "faststart.mp4"
    av = pytest.importorskip("av")
    with av.open(path) as source, av.open(str(faststart), "w",
                                          options={"movflags": "faststart"}) as out:
        stream = out.add_stream_from_template(source.streams.video[0])
        for packet in source.demux(source.streams.video[0]):
            if packet.dts is not None:
                packet.stream = stream
                out.mux(packet)
    data = faststart.read_bytes()
    faststart.write_bytes(data[: len(data) * 2 // 3])
    (check,) = scan_videos([str(faststart)], progress=False)
    assert check.status == "truncated" and check.declared_frames == 60
    assert 0 < check.n_frames < 60
