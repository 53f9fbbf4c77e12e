"""engine="auto": measured once per setting, remembered on disk, the file distrusted."""

import json
import os
import threading
import time

import numpy as np
import pytest
import torch

from skvideo_imb import InceptionFeaturizer
from skvideo_imb.features import _engine_choice as choice
from skvideo_imb.features import _engines

HAS_OPENVINO = _engines.engine_available("openvino", _engines.torch.device("cpu"))


class Slow:
    """An engine that takes ``delay`` seconds a call and counts its calls."""

    def __init__(self, delay):
        self.delay, self.calls = delay, 0

    def __call__(self, frames):
        self.calls += 1
        time.sleep(self.delay)
        return np.zeros((len(frames), 4), np.float32)


@pytest.fixture(scope="module")
def videos(make_videos):
    return make_videos(n=3, t=6, seed=2)


@pytest.fixture
def choices(tmp_path, monkeypatch):
    """A fresh choices file, nothing remembered in this process, a short budget."""
    path = tmp_path / "choices.json"
    monkeypatch.setenv("SKVIDEO_IMB_ENGINE_CHOICES", str(path))
    monkeypatch.setattr(choice, "BUDGET_S", 0.05)
    choice.forget_choices()
    yield path
    choice.forget_choices()


def _choose(delays, built=None, image_size=16, report=None):
    built = {} if built is None else built

    def build(name):
        built[name] = Slow(delays[name])
        return built[name]
    return choice.choose_engine(tuple(delays), build, backbone="b", image_size=image_size,
                                precision="fp32", batch_size=32, report=report)


def _never(name):
    raise AssertionError(f"{name} was built: the decision should have been remembered")


@pytest.mark.parametrize("fast", ["openvino", "torch"])
def test_the_faster_engine_is_chosen(choices, fast):
    slow = "torch" if fast == "openvino" else "openvino"
    built, lines = {}, []
    assert _choose({fast: 0.001, slow: 0.02}, built, report=lines.append) == fast
    assert built[fast].calls >= 3 and built[slow].calls >= 3   # warm-up + 2 timed at least
    record, = json.loads(choices.read_text())["choices"].values()
    assert record["engine"] == fast
    assert record["frames_per_s"][fast] > 5 * record["frames_per_s"][slow]
    assert record["setting"]["image_size"] == 16 and record["setting"]["batch"] == 8
    assert lines and lines[0].startswith(f"engine='auto': {fast} (measured {fast} ")


def test_a_decision_is_remembered_in_the_process_and_on_disk(choices):
    assert _choose({"openvino": 0.02, "torch": 0.001}) == "torch"
    # in this process: nothing is built again
    assert choice.choose_engine(("openvino", "torch"), _never, backbone="b", image_size=16,
                                precision="fp32", batch_size=32) == "torch"
    choice.forget_choices()  # a new process: the file answers
    assert choice.choose_engine(("openvino", "torch"), _never, backbone="b", image_size=16,
                                precision="fp32", batch_size=32) == "torch"


def test_workers_with_fewer_threads_choose_as_one_process_does(choices):
    """joblib and Dask workers run with a share of the cores: the thread count must not
    make them measure again, and perhaps choose another engine than the parent."""
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(2)
        assert _choose({"openvino": 0.02, "torch": 0.001}) == "torch"
        choice.forget_choices()  # a worker process, with one thread
        torch.set_num_threads(1)
        assert choice.choose_engine(("openvino", "torch"), _never, backbone="b",
                                    image_size=16, precision="fp32", batch_size=32) == "torch"
    finally:
        torch.set_num_threads(before)
    record, = json.loads(choices.read_text())["choices"].values()
    assert record["threads"] == 2  # kept for reading


def test_another_setting_is_measured_again(choices):
    assert _choose({"openvino": 0.02, "torch": 0.001}) == "torch"
    assert _choose({"openvino": 0.001, "torch": 0.02}, image_size=32) == "openvino"
    assert len(json.loads(choices.read_text())["choices"]) == 2


def test_one_candidate_is_not_measured(choices):
    assert choice.choose_engine(("torch",), _never, backbone="b", image_size=16,
                                precision="fp32", batch_size=4) == "torch"
    assert not choices.exists()


@pytest.mark.parametrize("content", [
    "not json {",
    json.dumps(["a list"]),
    json.dumps({"choices": "a string"}),
    "BAD-RECORD",
    "NEGATIVE-SPEED",
    "UNKNOWN-ENGINE",
    "HUGE",
    "NESTED",
    "FIFO",
])
def test_a_damaged_or_crafted_file_is_measured_again_and_replaced(choices, content):
    assert _choose({"openvino": 0.02, "torch": 0.001}) == "torch"
    key, = json.loads(choices.read_text())["choices"]
    record = {"engine": "openvino", "frames_per_s": {"openvino": 1e9, "torch": 1.0}}
    crafted = {"BAD-RECORD": {"choices": {key: "openvino"}},
               "NEGATIVE-SPEED": {"choices": {key: {**record, "frames_per_s": {
                   "openvino": -1.0, "torch": 1.0}}}},
               "UNKNOWN-ENGINE": {"choices": {key: {**record, "engine": "os.system"}}},
               "HUGE": {"choices": {key: record}, "pad": "x" * (2 << 20)}}
    if content == "FIFO":  # open() on it would block for ever
        choices.unlink()
        os.mkfifo(choices)
    elif content == "NESTED":  # json raises RecursionError, not ValueError
        choices.write_text("[" * 100_000 + "]" * 100_000)
    else:
        choices.write_text(json.dumps(crafted[content]) if content in crafted else content)
    choice.forget_choices()
    built = {}
    assert _choose({"openvino": 0.02, "torch": 0.001}, built) == "torch"  # measured again
    assert built, "the crafted record was believed"
    record, = json.loads(choices.read_text())["choices"].values()  # replaced by a file
    assert record["engine"] == "torch"


class Broken:
    def __call__(self, frames):
        raise RuntimeError("an operation this engine cannot run")


def test_a_candidate_that_fails_is_left_out(choices):
    lines = []

    def build(name):
        return Broken() if name == "openvino" else Slow(0.001)
    assert choice.choose_engine(("openvino", "torch"), build, backbone="b", image_size=16,
                                precision="fp32", batch_size=4,
                                report=lines.append) == "torch"
    assert "openvino failed: RuntimeError: an operation" in lines[0]
    assert not choices.exists()  # not remembered: next time openvino may work
    with pytest.raises(RuntimeError, match="cannot run"):  # none works: the error
        choice.choose_engine(("openvino", "torch"), lambda name: Broken(), backbone="b",
                             image_size=32, precision="fp32", batch_size=4)


def test_the_empty_variable_remembers_nothing_on_disk(tmp_path, monkeypatch):
    monkeypatch.setenv("SKVIDEO_IMB_ENGINE_CHOICES", "")
    monkeypatch.setattr(choice, "BUDGET_S", 0.05)
    monkeypatch.chdir(tmp_path)
    choice.forget_choices()
    assert choice.choices_path() is None
    assert _choose({"openvino": 0.02, "torch": 0.001}) == "torch"
    assert os.listdir(tmp_path) == []
    choice.forget_choices()


def test_the_default_file_is_in_the_user_cache(monkeypatch, tmp_path):
    monkeypatch.delenv("SKVIDEO_IMB_ENGINE_CHOICES")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert choice.choices_path() == str(tmp_path / "skvideo_imb" / "engine_choices.json")


def test_an_unwritable_file_costs_only_a_measurement(choices, tmp_path, monkeypatch):
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("SKVIDEO_IMB_ENGINE_CHOICES", str(blocker / "sub" / "choices.json"))
    assert _choose({"openvino": 0.02, "torch": 0.001}) == "torch"


def _hold_lock(path, release, ready):
    import fcntl
    fd = os.open(path, os.O_RDWR | os.O_CREAT)
    fcntl.flock(fd, fcntl.LOCK_EX)
    ready.set()
    release.wait(10)
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def test_a_measurement_in_progress_elsewhere_is_waited_for_and_read(choices):
    assert _choose({"openvino": 0.02, "torch": 0.001}) == "torch"
    decided = choices.read_text()
    choices.unlink()
    choice.forget_choices()
    release, ready = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(f"{choices}.lock", release, ready))
    holder.start()
    assert ready.wait(5)
    # the other "process" writes its decision, then lets go of the lock
    threading.Timer(0.3, lambda: (choices.write_text(decided), release.set())).start()
    start = time.monotonic()
    assert choice.choose_engine(("openvino", "torch"), _never, backbone="b", image_size=16,
                                precision="fp32", batch_size=32) == "torch"
    assert time.monotonic() - start >= 0.25
    holder.join()


def test_a_lock_held_too_long_is_not_waited_for(choices, monkeypatch):
    monkeypatch.setattr(choice, "LOCK_WAIT_S", 0.2)
    release, ready = threading.Event(), threading.Event()
    holder = threading.Thread(target=_hold_lock, args=(f"{choices}.lock", release, ready))
    holder.start()
    assert ready.wait(5)
    try:
        start = time.monotonic()
        assert _choose({"openvino": 0.02, "torch": 0.001}) == "torch"
        assert time.monotonic() - start < 5
    finally:
        release.set()
        holder.join()


@pytest.mark.skipif(not HAS_OPENVINO, reason="needs the openvino package")
def test_fit_takes_the_measured_engine(choices, videos, monkeypatch, tmp_path):
    measured = []

    def fake(engines, frames):
        measured.append(sorted(engines))
        return speeds
    monkeypatch.setattr(choice, "measure", fake)
    speeds = {"openvino": 10.0, "torch": 20.0}
    featurizer = InceptionFeaturizer(n_frames=2, weights=None, image_size=75,
                                     random_state=0).fit(videos)
    assert featurizer.engine_ == "torch" and measured == [["openvino", "torch"]]
    # another machine (a file of its own, nothing remembered): the other engine wins
    monkeypatch.setenv("SKVIDEO_IMB_ENGINE_CHOICES", str(tmp_path / "elsewhere.json"))
    choice.forget_choices()
    speeds = {"openvino": 20.0, "torch": 10.0}
    assert featurizer.fit(videos).engine_ == "openvino" and len(measured) == 2


@pytest.mark.skipif(not HAS_OPENVINO, reason="needs the openvino package")
def test_fit_measures_the_real_engines_and_says_so(choices, videos, capsys):
    featurizer = InceptionFeaturizer(n_frames=2, weights=None, image_size=75, verbose=1,
                                     random_state=0).fit(videos)
    record, = json.loads(choices.read_text())["choices"].values()
    assert featurizer.engine_ == record["engine"]
    assert set(record["frames_per_s"]) == {"openvino", "torch"}
    assert record["setting"]["backbone"] == "inception_v3"
    assert f"engine='auto': {featurizer.engine_}" in capsys.readouterr().err
    out = featurizer.transform(videos[:1])
    assert np.isfinite(out).all()
