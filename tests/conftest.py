"""Shared fixtures: real video files written with OpenCV into a temporary folder."""

import os

if os.environ.get("PYTEST_XDIST_WORKER"):
    # `make test` runs a worker per core: each worker's torch (and every process
    # it starts, which inherits this) takes its share of the cores (at least one thread)
    # instead of all of them.
    # Set before torch is imported, so that a child process computes with the same
    # number of threads as the worker that compares its results.
    _workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    os.environ["OMP_NUM_THREADS"] = str(max(1, len(os.sched_getaffinity(0)) // _workers))

# engine="auto" remembers its measurements in a folder of this test process, shared with
# every process it starts, never in the user's cache.  Set at import, not in a fixture:
# the doctests of skvideo_imb/ are outside this folder's fixtures, and xdist workers
# import this file before running either.
if "SKVIDEO_IMB_TEST_CHOICES" not in os.environ:
    import atexit
    import shutil
    import tempfile

    _choices = tempfile.mkdtemp(prefix="skvideo_imb_engine_choices_")
    atexit.register(shutil.rmtree, _choices, True)
    os.environ["SKVIDEO_IMB_TEST_CHOICES"] = _choices
    os.environ["SKVIDEO_IMB_ENGINE_CHOICES"] = os.path.join(_choices, "engine_choices.json")

# The test processes send none of OpenVINO's usage reports (its import reports itself,
# before the featurizer's guard can run): they are dropped here, before any test module
# imports openvino.  features/test_telemetry.py records them on the sender it tests.
try:
    from openvino_telemetry.utils.sender import TelemetrySender
except ImportError:
    pass
else:
    TelemetrySender.send = lambda self, backend, message: None

import pytest  # noqa: E402

from _videos import gradient_video, write_video  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _short_engine_measurements():
    """engine="auto" times its candidates for 0.5 s instead of 3 s in this process.

    The tests measure about seven settings (backbones, sizes, precisions) once per run;
    the engines' speeds here differ two- to fourfold, which half a second of alternating
    calls tells apart as well as three.  Processes the tests start read the remembered
    choice instead of measuring.  The measurement itself is tested in
    features/test_engine_choice.py.
    """
    from skvideo_imb.features import _engine_choice
    budget = _engine_choice.BUDGET_S
    _engine_choice.BUDGET_S = 0.5
    yield
    _engine_choice.BUDGET_S = budget


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

