"""`skvideo-imb check`: a table of the videos that are unreadable, truncated or odd."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from _videos import gradient_video, write_video
from skvideo_imb.cli import main


def _folder(tmp_path, truncated=True):
    root = tmp_path / "videos"
    root.mkdir()
    write_video(root / "good.avi", gradient_video(12), "MJPG")
    if truncated:
        cut = write_video(root / "cut.avi", gradient_video(36), "MJPG")
        data = Path(cut).read_bytes()
        Path(cut).write_bytes(data[: len(data) // 2])
    return root


def test_a_truncated_video_is_listed_and_the_status_is_1(tmp_path, capsys):
    assert main(["check", str(_folder(tmp_path)), "--quiet"]) == 1
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0].split()[:4] == ["status", "frames", "declared", "path"]
    assert lines[1].startswith("truncated") and "cut.avi" in lines[1]
    assert "declares 36 frames" in lines[1] and "good.avi" not in out
    assert lines[-1] == "checked 2 videos: 1 problem (1 truncated)"


def test_all_good_is_status_0(tmp_path, capsys):
    assert main(["check", str(_folder(tmp_path, truncated=False)), "--quiet"]) == 0
    assert capsys.readouterr().out.strip() == "checked 1 videos: 0 problems"


@pytest.mark.slow
def test_json_for_machines(tmp_path):
    done = subprocess.run([sys.executable, "-m", "skvideo_imb", "check", "--json", "--quiet",
                           str(_folder(tmp_path))], capture_output=True, text=True)
    assert done.returncode == 1
    report = json.loads(done.stdout)
    assert (report["n_videos"], report["n_problems"]) == (2, 1)
    statuses = {Path(v["path"]).name: v["status"] for v in report["videos"]}
    assert statuses == {"cut.avi": "truncated", "good.avi": "ok"}


def test_a_missing_path_is_reported_not_a_traceback(tmp_path, capsys):
    assert main(["check", str(tmp_path / "nowhere.avi"), "--quiet"]) == 1
    out = capsys.readouterr().out
    assert "unreadable" in out and "does not exist" in out
