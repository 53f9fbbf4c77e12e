"""Shared fixtures: real video files written with OpenCV into a temporary folder."""

import pytest

from _videos import gradient_video, write_video


@pytest.fixture
def video_frames():
    return gradient_video()


@pytest.fixture
def avi_path(tmp_path, video_frames):
    return write_video(tmp_path / "gradient.avi", video_frames, "MJPG")


@pytest.fixture
def mp4_path(tmp_path, video_frames):
    return write_video(tmp_path / "gradient.mp4", video_frames, "mp4v")
