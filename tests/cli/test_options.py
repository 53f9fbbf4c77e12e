"""What `make-data`'s and `check`'s options change (fit's and reproduce's: their files)."""

import json

import cv2
import numpy as np
import pytest

from _videos import gradient_video, write_video
from skvideo_imb.cli import main
from skvideo_imb.io import read_frames


def _make(folder, *options):
    assert main(["make-data", "synthetic", str(folder), "--videos-per-class", "1",
                 "--frames", "4", "4", *options]) == 0
    return sorted(p for p in folder.glob("*/*"))


@pytest.mark.parametrize("fmt, suffix, fourcc", [
    ("avi", ".avi", {"mjpg"}), ("mp4", ".mp4", {"mp4v", "fmp4"}),  # MPEG-4 part 2
    ("frames", "", None)])
def test_make_data_format_size_and_seed(tmp_path, fmt, suffix, fourcc):
    videos = _make(tmp_path / "a", "--format", fmt, "--size", "20", "--seed", "3")
    assert len(videos) == 5 and all(p.suffix == suffix for p in videos)
    if fourcc is None:
        assert all(p.is_dir() and len(list(p.glob("*.png"))) == 4 for p in videos)
    else:
        capture = cv2.VideoCapture(str(videos[0]))
        code = int(capture.get(cv2.CAP_PROP_FOURCC))
        capture.release()
        assert code.to_bytes(4, "little").decode().lower() in fourcc
    frames = [read_frames(str(p)) for p in videos]
    assert all(f.shape == (4, 20, 20, 3) for f in frames)
    again = [read_frames(str(p)) for p in _make(tmp_path / "b", "--format", fmt, "--size",
                                                 "20", "--seed", "3")]
    other = [read_frames(str(p)) for p in _make(tmp_path / "c", "--format", fmt, "--size",
                                                 "20", "--seed", "4")]
    assert all(np.array_equal(f, g) for f, g in zip(frames, again))
    assert not all(np.array_equal(f, g) for f, g in zip(frames, other))


def test_check_min_frames_flags_a_short_video(tmp_path, capsys):
    write_video(tmp_path / "short.avi", gradient_video(5), "MJPG")
    assert main(["check", str(tmp_path), "--min-frames", "5", "--json", "--quiet"]) == 0
    capsys.readouterr()
    assert main(["check", str(tmp_path), "--min-frames", "6", "--json", "--quiet"]) == 1
    (video,) = json.loads(capsys.readouterr().out)["videos"]
    assert video["status"] == "suspicious" and video["n_frames"] == 5
