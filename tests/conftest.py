"""Shared fixtures: real video files written with OpenCV into a temporary folder."""

import os

if os.environ.get("PYTEST_XDIST_WORKER"):
    # `make test` runs one worker per core: each worker's torch (and every process it
    # starts, which inherits this) takes its share of the cores instead of all of them.
    # Set before torch is imported, so that a child process computes with the same
    # number of threads as the worker that compares its results.
    _workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    os.environ["OMP_NUM_THREADS"] = str(max(1, len(os.sched_getaffinity(0)) // _workers))

import pytest  # noqa: E402

from _videos import gradient_video, write_video  # noqa: E402


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
    """Every supported configuration, fitted small and saved (tests/_saved_models.py).

    Built once per test run: under pytest-xdist the first worker that needs them fits
    and saves them in the run's shared temporary folder, the others read them there.
    """
    from _saved_models import shared_fit_and_save

    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent  # the folder every worker's own temporary folder is in
    return shared_fit_and_save(root / "saved_models")


@pytest.fixture(scope="session", autouse=True)
def engine_choices(tmp_path_factory):
    """engine="auto" remembers its measurements in this run's temporary folder, shared by
    the xdist workers and every process they start, never in the user's cache."""
    root = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        root = root.parent
    path = root / "engine_choices.json"
    before = os.environ.get("SKVIDEO_IMB_ENGINE_CHOICES")
    os.environ["SKVIDEO_IMB_ENGINE_CHOICES"] = str(path)
    yield path
    if before is None:
        os.environ.pop("SKVIDEO_IMB_ENGINE_CHOICES", None)
    else:
        os.environ["SKVIDEO_IMB_ENGINE_CHOICES"] = before
