"""find_videos / scan_videos: decoding a whole collection and naming what is wrong."""

import os
from pathlib import Path

import cv2
import numpy as np
import pytest

from _videos import gradient_video, write_video
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
