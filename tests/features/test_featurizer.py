"""InceptionFeaturizer: shapes, determinism, clips, pickling, weights, parallel use.

Everything runs InceptionV3 at ``image_size=75`` with random weights (BatchNorm
recalibrated) on a handful of small videos; nothing is downloaded.
"""

import pickle
import urllib.error
import warnings

import numpy as np
import pytest
import torch
import torchvision
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

import _children
from _videos import write_video
from skvideo_imb import Clip
from skvideo_imb.features import InceptionFeaturizer
from skvideo_imb.features import _backbones, _loading
from skvideo_imb.io import evenly_spaced_indices
from skvideo_imb.sampling import Augmentation

N_FRAMES = 3


@pytest.fixture(scope="module")
def videos(make_videos):
    return make_videos()


@pytest.fixture(scope="module")
def features(fitted, videos):
    return fitted.transform(videos)


def test_shapes_dtype_and_names(fitted, videos, features, twin):
    assert fitted.n_frame_features_ == 2048
    assert features.shape == (4, N_FRAMES * 2048)
    assert features.dtype == np.float32
    assert np.isfinite(features).all()
    names = fitted.get_feature_names_out()
    assert names.shape == (N_FRAMES * 2048,)
    assert names[0] == "frame0_feature0" and names[2048] == "frame1_feature0"
    three_d = twin(fitted, flatten=False).transform(videos)
    assert three_d.shape == (4, N_FRAMES, 2048)
    np.testing.assert_array_equal(three_d.reshape(4, -1), features)  # frame-major


def test_recalibrated_random_features_have_imagenet_like_scale(features):
    # Raw random init gives std ~1e-8 (PyTorch init) or ~6e6 (torchvision init).
    assert 0.05 < features.mean() < 2.0
    assert 0.1 < features.std() < 3.0
    per_frame = features.reshape(-1, 2048)
    assert per_frame.std(axis=0).mean() > 0.05  # frames differ from one another


def test_recalibration_replaced_running_statistics(fitted):
    layers = _backbones.batchnorm_layers(fitted._get_model())
    assert layers and all(not m.training and m.momentum == 0.1 for m in layers)
    assert not torch.allclose(layers[0].running_var, torch.ones_like(layers[0].running_var))


def test_deterministic_for_a_seed(fitted, videos, features):
    again = clone(fitted).fit(videos)
    assert again.model_digest_ == fitted.model_digest_
    np.testing.assert_array_equal(again.transform(videos), features)
    np.testing.assert_array_equal(fitted.transform(videos), features)


def test_not_fitted_and_sklearn_params(make_videos):
    featurizer = InceptionFeaturizer(n_frames=5, weights=None)
    assert clone(featurizer).get_params()["n_frames"] == 5
    with pytest.raises(NotFittedError):
        featurizer.transform(make_videos(1))


def test_raw_videos_and_equivalent_clips_agree(fitted, videos, features):
    clips = [Clip(v, evenly_spaced_indices(len(v), N_FRAMES)) for v in videos]
    np.testing.assert_array_equal(fitted.transform(clips), features)
    identity = [Clip(v, evenly_spaced_indices(len(v), N_FRAMES), Augmentation())
                for v in videos]
    np.testing.assert_array_equal(fitted.transform(identity), features)


def test_augmented_clip_features_are_those_of_its_pixels(fitted, videos):
    clip = Clip(videos[0], (6, 0, 3), Augmentation(rotation=10, brightness=1.3))
    pixels = clip.to_frames()                        # augmented at the source resolution
    expected = fitted.transform([pixels])            # 3 frames -> evenly spaced = all
    np.testing.assert_array_equal(fitted.transform([clip]), expected)
    plain = fitted.transform([Clip(videos[0], (6, 0, 3))])
    assert not np.allclose(plain, expected)


def test_lazy_clip_is_resolved(fitted, videos, features):
    lazy = Clip(videos[1], n_frames=N_FRAMES)              # evenly spaced, chosen on read
    np.testing.assert_array_equal(fitted.transform([lazy]), features[1:2])


def test_clip_of_wrong_length_is_rejected(fitted, videos):
    with pytest.raises(ValueError, match="n_frames=3"):
        fitted.transform([Clip(videos[0], (0, 1))])


def test_video_files_folders_and_arrays_agree(fitted, tmp_path, make_videos):
    import cv2
    frames = make_videos(1, t=9, size=48, seed=3)[0]
    avi = write_video(tmp_path / "v.avi", frames, "MJPG")
    decoded = _loading.read_frames(avi)
    folder = tmp_path / "frames"
    folder.mkdir()
    for k, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"f{k}.png"), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    from_file, from_folder, from_arrays = (
        fitted.transform([avi]), fitted.transform([str(folder)]),
        fitted.transform([decoded, frames]))
    np.testing.assert_array_equal(from_file, from_arrays[:1])
    np.testing.assert_array_equal(from_folder, from_arrays[1:])


def test_bad_input_names_the_video(fitted, videos):
    with pytest.raises(ValueError, match=r"X\[1\]"):
        fitted.transform([videos[0], videos[0].astype(np.float32)])
    with pytest.raises(FileNotFoundError, match="nope.avi"):
        fitted.transform(["nope.avi"])
    with pytest.raises(TypeError, match="wrap"):
        fitted.transform("one.avi")


def test_parameter_validation(videos):
    with pytest.raises(ValueError, match="at least 75"):
        InceptionFeaturizer(weights=None, image_size=64).fit(videos)
    with pytest.raises(ValueError, match="not a torchvision classification model"):
        InceptionFeaturizer(weights=None, backbone="inception_v9").fit(videos)
    with pytest.raises(ValueError, match="precision"):
        InceptionFeaturizer(weights=None, precision="int8").fit(videos)


def test_other_backbone_gives_its_penultimate_width(videos):
    featurizer = InceptionFeaturizer(n_frames=2, backbone="resnet18", weights=None,
                                     image_size=64, random_state=0).fit(videos)
    assert featurizer.n_frame_features_ == 512
    assert featurizer.transform(videos).shape == (4, 2 * 512)


def test_pickle_without_model_rebuilds_identical_features(fitted, videos, features):
    blob = pickle.dumps(fitted)
    assert len(blob) < 2_000_000  # BatchNorm statistics only, not 90 MB of weights
    restored = pickle.loads(blob)
    assert restored._in_process.model is None  # rebuilt at the first transform
    np.testing.assert_array_equal(restored.transform(videos), features)


def test_tampered_rebuild_is_detected(fitted, videos):
    restored = pickle.loads(pickle.dumps(fitted))
    restored._seed += 1
    with pytest.raises(RuntimeError, match="differs from the fitted one"):
        restored.transform(videos)


def test_offline_default_weights_error_says_what_to_do(monkeypatch, tmp_path, videos):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(RuntimeError) as info:
        InceptionFeaturizer(weights="DEFAULT").fit(videos)
    message = str(info.value)
    assert "weights=<path to a local state-dict file>" in message
    assert "weights=None" in message and "URLError" in message


@pytest.fixture(scope="module")
def weights_file(tmp_path_factory):
    """A state dict shaped like torchvision's pretrained InceptionV3 (aux head included)."""
    torch.manual_seed(0)
    model = torchvision.models.inception_v3(weights=None, aux_logits=True,
                                            transform_input=True, init_weights=False)
    with torch.no_grad():  # ImageNet-like running statistics, not the init's (0, 1)
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_var.fill_(4.0)
    path = tmp_path_factory.mktemp("weights") / "inception.pth"
    torch.save(model.state_dict(), path)
    return path, model.state_dict()


def test_local_weights_file_round_trip(weights_file, videos):
    path, state = weights_file
    featurizer = InceptionFeaturizer(n_frames=2, weights=str(path), image_size=75,
                                     batch_size=8, device="cpu").fit(videos[:2])
    assert featurizer.weights_source_ == "file:inception.pth"
    loaded = featurizer._get_model().state_dict()
    for name, tensor in loaded.items():
        torch.testing.assert_close(tensor, state[name], rtol=0, atol=0)
    assert featurizer._get_model().transform_input  # pretrained weights expect this
    features = featurizer.transform(videos[:2])
    assert features.shape == (2, 2 * 2048) and np.isfinite(features).all()
    # pickled with the weights, the featurizer survives the file's removal
    blob = pickle.dumps(featurizer.set_params(pickle_model=True))
    assert len(blob) > 50_000_000
    restored = pickle.loads(blob)
    np.testing.assert_array_equal(restored.transform(videos[:2]), features)


def test_bad_weights_file(tmp_path, videos):
    torch.save({"conv.weight": torch.zeros(2)}, tmp_path / "other.pth")
    with pytest.raises(ValueError, match="missing keys"):
        InceptionFeaturizer(weights=str(tmp_path / "other.pth")).fit(videos)
    with pytest.raises(FileNotFoundError, match="neither an existing"):
        InceptionFeaturizer(weights=str(tmp_path / "absent.pth")).fit(videos)


def test_frames_stream_through_the_network_in_batches(fitted, make_videos, monkeypatch, twin):
    """Loading and inference interleave: not all videos are decoded before the CNN.

    A background thread loads at most two samples ahead, so with eight samples the
    first forward pass must come before the last load.
    """
    videos = make_videos(n=8, seed=7)
    events = []
    original = _loading.SampleFrames.__getitem__

    def loading(self, i):
        events.append("load")
        return original(self, i)
    monkeypatch.setattr(_loading.SampleFrames, "__getitem__", loading)
    forward = InceptionFeaturizer._forward
    monkeypatch.setattr(InceptionFeaturizer, "_forward", lambda self, frames: events.append(
        ("forward", frames.shape[0])) or forward(self, frames))
    twin(fitted, batch_size=3).transform(videos)
    forwards = [k for k, e in enumerate(events) if e != "load"]
    loads = [k for k, e in enumerate(events) if e == "load"]
    assert [events[k][1] for k in forwards] == [3] * 8
    assert len(loads) == 8 and forwards[0] < loads[-1]  # the CNN ran before all loads


def test_daemonic_process_falls_back_to_in_process_loading(fitted, videos, features,
                                                           monkeypatch, twin):
    monkeypatch.setattr(_loading, "_in_daemon", lambda: True)
    with pytest.warns(RuntimeWarning, match="num_workers=0"):
        out = twin(fitted, num_workers=2).transform(videos)
    np.testing.assert_array_equal(out, features)


@pytest.mark.slow
def test_worker_processes_give_the_same_features(fitted, videos, features, twin):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        out = twin(fitted, num_workers=1).transform(videos)
    np.testing.assert_array_equal(out, features)


def test_decode_workers_do_not_inherit_the_locks_of_this_process_threads():
    """A worker forked from a process whose other thread holds a lock (OpenCV's thread
    pool, OpenVINO's, a user's) inherits it held, and hangs on it for ever."""
    import os
    import threading

    from _workers import HELD, LockProbe

    release, held = threading.Event(), threading.Event()

    def hold():
        with HELD:
            held.set()
            release.wait(30)
    holder = threading.Thread(target=hold)
    holder.start()
    assert held.wait(5)
    try:
        items = list(_loading.iterate(LockProbe(), num_workers=1))
    finally:
        release.set()
        holder.join()
    assert [free for _, free in items] == [True, True]
    assert all(pid != os.getpid() for pid, _ in items)  # loaded in a worker process


@pytest.mark.slow
def test_a_script_without_the_main_guard_falls_back_with_the_reason(tmp_path, avi_path):
    """Workers import the caller's script (fork server, as spawn): one that starts
    workers at import makes them fail; the worker says why, the script goes on loading
    in-process, with a warning, instead of waiting on dead workers."""
    import subprocess
    import sys

    script = tmp_path / "unguarded.py"
    script.write_text(
        "import warnings\n"
        "from skvideo_imb import InceptionFeaturizer\n"
        f"f = InceptionFeaturizer(n_frames=2, backbone='resnet18', weights=None,\n"
        f"                        image_size=32, engine='torch', random_state=0)\n"
        f"f.fit([{str(avi_path)!r}])\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        f"    out = f.set_params(num_workers=1).transform([{str(avi_path)!r}])\n"
        "print('SHAPE', out.shape, [str(w.message)[:40] for w in caught])\n")
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "SHAPE (1, 1024) ['could not start 1 DataLoader worker" in done.stdout
    assert 'guard the script\'s code with `if __name__ == "__main__":`' in done.stderr


@pytest.mark.slow
def test_inside_grid_search_with_two_jobs(videos, tmp_path):
    """In joblib's worker processes the featurizer starts its own DataLoader worker."""
    import os

    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GridSearchCV
    from sklearn.pipeline import make_pipeline

    from _workers import PidRecorder

    X = np.concatenate([videos, videos[:, ::-1]])
    y = np.array([0] * 4 + [1] * 4)
    pipe = make_pipeline(
        InceptionFeaturizer(n_frames=2, weights=None, image_size=75, num_workers=1,
                            n_calibration_frames=16, engine="torch", random_state=0),
        LogisticRegression(max_iter=200))
    where = PidRecorder(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no fallback to in-process loading
        search = GridSearchCV(pipe, {"logisticregression__C": [1.0, 2.0]}, cv=2, n_jobs=2,
                              scoring={"accuracy": "accuracy", "where": where},
                              refit="accuracy", error_score="raise").fit(X, y)
    assert where.pids() and os.getpid() not in where.pids()   # the fits ran in workers
    assert search.best_estimator_[-1].n_features_in_ == 2 * 2048
    assert np.isfinite(search.cv_results_["mean_test_accuracy"]).all()


def test_verbose_shows_progress_over_frames(fitted, videos, capsys, twin):
    twin(fitted, verbose=1).transform(videos)
    err = capsys.readouterr().err
    assert "frame" in err and "12 frames computed" in err


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_features_match_cpu(videos):
    params = dict(n_frames=N_FRAMES, weights=None, image_size=75, batch_size=4,
                  random_state=0)
    cpu = InceptionFeaturizer(device="cpu", precision="fp32", **params).fit(videos)
    gpu = InceptionFeaturizer(device="cuda", **params).fit(videos)
    assert cpu.device_ == "cpu" and gpu.device_.startswith("cuda")
    out, expected = gpu.transform(videos), cpu.transform(videos)
    assert np.corrcoef(out.ravel(), expected.ravel())[0, 1] > 0.99


def test_loading_in_the_background_keeps_order_and_raises_in_place():
    class Items:
        def __len__(self):
            return 6

        def __getitem__(self, i):
            if i == 4:
                raise ValueError(f"sample {i}: broken")
            return i
    seen = []
    with pytest.raises(ValueError, match="sample 4: broken"):
        for item in _loading.iterate(Items()):
            seen.append(item)
    assert seen == [0, 1, 2, 3]


def test_stopping_early_stops_the_loader_thread():
    import threading
    loaded = []

    class Items:
        def __len__(self):
            return 100

        def __getitem__(self, i):
            loaded.append(i)
            return i
    for item in _loading.iterate(Items()):
        if item == 2:
            break
    assert not any(t.name == "skvideo_imb-loader" for t in threading.enumerate())
    assert len(loaded) <= 6           # it never ran far ahead of the consumer


THREADS_CHILD = """
import sys
import numpy as np
import torch
torch.set_num_threads(int(sys.argv[1]))
from skvideo_imb import InceptionFeaturizer
X = np.random.RandomState(0).randint(0, 256, (4, 6, 80, 80, 3), dtype=np.uint8)
featurizer = InceptionFeaturizer(n_frames=3, weights=None, image_size=75, engine="torch",
                                 precision=sys.argv[2], random_state=0).fit(X)
np.save(sys.argv[3], featurizer.transform(X))
print(featurizer.model_digest_)
"""


@pytest.mark.slow
def test_fit_does_not_depend_on_the_number_of_threads(tmp_path, precision="auto"):
    """GridSearchCV(n_jobs), Dask workers and laptops fit the same network."""
    digests, features = [], []
    for threads in (1, 2):
        out = tmp_path / f"features{threads}.npy"
        child = _children.start(THREADS_CHILD, [threads, precision, out])
        stdout, stderr = child.communicate(timeout=300)
        assert child.returncode == 0, stderr
        digests.append(stdout.strip())
        features.append(np.load(out))
    assert digests[0] == digests[1]          # the same network, bit for bit
    np.testing.assert_array_equal(features[0], features[1])
