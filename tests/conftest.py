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


@pytest.fixture(scope="session")
def saved_models(tmp_path_factory):
    """Every supported configuration, fitted small and saved (tests/_saved_models.py)."""
    from _saved_models import fit_and_save

    return fit_and_save(tmp_path_factory.mktemp("saved_models"))
