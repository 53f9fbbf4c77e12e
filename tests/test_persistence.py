"""save_model / load_model: skops files, an allow-list of types, versions on the card."""

import json
import os
import signal
import subprocess
import sys
import textwrap
import pickle
import warnings
import zipfile

import numpy as np
import pytest

import _children
from skvideo_imb import ResBiLSTMClassifier, load_model, save_model
from skvideo_imb._persistence import card_path


@pytest.fixture
def classifier():
    X, y = np.random.RandomState(0).normal(size=(12, 3, 2)), [0, 1, 2] * 4
    return ResBiLSTMClassifier(hidden_size=4, fc_size=4, max_epochs=2,
                               random_state=0).fit(X, y), X


def test_the_toolkit_classifier_round_trips_through_skops(classifier, tmp_path):
    clf, X = classifier
    path = tmp_path / "clf.skops"
    save_model(clf, path, card={"note": "test"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")           # versions match: no warning
        restored = load_model(path)
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    with zipfile.ZipFile(path) as archive:       # no pickle inside: JSON and .npy only
        assert not [n for n in archive.namelist() if not n.endswith((".json", ".npy"))]


def test_other_package_versions_are_named_when_loading(classifier, tmp_path):
    clf, _ = classifier
    path = tmp_path / "clf.skops"
    save_model(clf, path)
    card = json.loads(open(card_path(path)).read())
    card["versions"]["torch"] = "1.0.0"
    open(card_path(path), "w").write(json.dumps(card))
    with pytest.warns(UserWarning, match=r"saved with other package versions: torch 1.0.0 "
                                         r"\(installed: "):
        load_model(path)


def test_damaged_and_missing_files_are_clear_errors(classifier, tmp_path):
    clf, _ = classifier
    path = tmp_path / "clf.skops"
    save_model(clf, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(ValueError, match="is refused: .*(damaged|not a skops model file)"):
        load_model(path)
    pickled = tmp_path / "pickled.skops"
    pickled.write_bytes(pickle.dumps(clf))
    with pytest.raises(ValueError, match=r"not a skops model file \(not a zip archive\)"):
        load_model(pickled)
    with pytest.raises(FileNotFoundError, match="nowhere.skops"):
        load_model(tmp_path / "nowhere.skops")
    with pytest.raises(ValueError, match="is a directory, not a model file"):
        load_model(tmp_path)


def test_a_model_without_a_card_loads_with_a_warning(classifier, tmp_path):
    clf, X = classifier
    path = tmp_path / "clf.skops"
    save_model(clf, path)
    (tmp_path / "clf.skops.json").unlink()
    with pytest.warns(UserWarning, match="has no card"):
        restored = load_model(path)
    np.testing.assert_array_equal(restored.predict(X), clf.predict(X))


def test_a_featurizer_is_saved_with_its_network_and_left_as_it_was(tmp_path):
    from sklearn.frozen import FrozenEstimator
    from sklearn.pipeline import make_pipeline

    from skvideo_imb import InceptionFeaturizer
    X = np.random.RandomState(0).randint(0, 256, (4, 4, 32, 32, 3), dtype=np.uint8)
    featurizer = InceptionFeaturizer(n_frames=2, weights=None, image_size=75,
                                     engine="torch", random_state=0).fit(X)
    pipe = make_pipeline(FrozenEstimator(featurizer))
    save_model(pipe, tmp_path / "f.skops")
    assert featurizer.pickle_model is False            # the caller's estimator untouched
    restored = load_model(tmp_path / "f.skops")
    assert restored[0].estimator.pickle_model is True  # the file holds the network
    np.testing.assert_allclose(restored.transform(X), pipe.transform(X), rtol=0, atol=0)


@pytest.mark.parametrize("card", ["[1, 2]", '{"versions": null}', '{"versions": {"torch": 2}}',
                                  "{not json", '"a string"'])
def test_a_damaged_card_is_a_clear_error(classifier, tmp_path, card):
    clf, _ = classifier
    path = tmp_path / "clf.skops"
    save_model(clf, path)
    open(card_path(path), "w").write(card)
    with pytest.raises(ValueError, match="the card .* is (damaged|not a JSON object)"):
        load_model(path)


@pytest.mark.slow
def test_every_configuration_loads_in_a_fresh_process_with_the_same_probabilities(
        saved_models, tmp_path):
    """Each supported configuration: saved here, loaded and predicted by another Python."""
    np.savez(tmp_path / "inputs.npz", **{f"x{k}": np.asarray(x) for k, (_, x, _)
                                         in enumerate(saved_models.values())})
    paths = [str(path) for path, _, _ in saved_models.values()]
    script = textwrap.dedent(f"""
        import warnings
        import numpy as np
        from skvideo_imb import load_model
        inputs = np.load({str(tmp_path / "inputs.npz")!r})
        out = {{}}
        for k, path in enumerate({paths!r}):
            with warnings.catch_warnings():
                warnings.simplefilter("error")  # same versions: no warning
                model = load_model(path)
            out[f"p{{k}}"] = model.predict_proba(inputs[f"x{{k}}"])
        np.savez({str(tmp_path / "out.npz")!r}, **out)
    """)
    subprocess.run([sys.executable, "-c", script], check=True, timeout=600)
    out = np.load(tmp_path / "out.npz")
    for k, (name, (_, _, probabilities)) in enumerate(saved_models.items()):
        np.testing.assert_array_equal(out[f"p{k}"], probabilities, err_msg=name)


def test_a_loaded_model_writes_to_no_path_the_file_names(saved_models, tmp_path):
    path, X, _ = saved_models["cache on"]
    planted = str(tmp_path / "chosen_by_the_file")
    assert load_model(path).named_steps["inceptionfeaturizer"].cache is None
    # the file named a cache folder: the model predicts without creating it
    import skops.io as sio
    raw = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    assert raw.named_steps["inceptionfeaturizer"].cache is not None   # it really was saved
    raw.named_steps["inceptionfeaturizer"].set_params(cache=planted)
    raw.set_params(memory=planted + "_memory")
    evil = tmp_path / "chosen.skops"
    save_model(raw, evil)
    loaded = load_model(evil)
    assert loaded.named_steps["inceptionfeaturizer"].cache is None and loaded.memory is None
    loaded.predict_proba(X)
    assert not os.path.exists(planted) and not os.path.exists(planted + "_memory")


@pytest.mark.slow
def test_an_interrupted_save_keeps_the_previous_model(classifier, tmp_path):
    """kill -9 in the middle of writing: the old model and card are still whole."""
    clf, X = classifier
    path = tmp_path / "clf.skops"
    save_model(clf, path, card={"generation": 1})
    before = path.read_bytes()
    script = textwrap.dedent(f"""
        import os, signal, pickle, skops.io as sio
        from skvideo_imb import save_model
        clf = pickle.loads({pickle.dumps(clf)!r})
        dump = sio.dump
        def dying(model, file):
            dump(model, file)
            with open(file, "r+b") as f:  # half written when the process dies
                f.truncate(100)
            os.kill(os.getpid(), signal.SIGKILL)
        sio.dump = dying
        save_model(clf, {str(path)!r}, card={{"generation": 2}})
    """)
    child = _children.start(script, [])           # another process; fresh imports
    _, stderr = child.communicate(timeout=300)    # are not the point here
    assert child.returncode == -signal.SIGKILL, stderr
    assert path.read_bytes() == before
    assert json.loads(open(card_path(path)).read())["generation"] == 1
    restored = load_model(path)
    np.testing.assert_array_equal(restored.predict_proba(X), clf.predict_proba(X))
    save_model(clf, path, card={"generation": 3})  # the next save replaces both
    assert json.loads(open(card_path(path)).read())["generation"] == 3
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.startswith(".")) == [
        "clf.skops", "clf.skops.json"]


def test_saved_files_follow_the_umask(classifier, tmp_path):
    clf, _ = classifier
    old = os.umask(0o002)
    try:
        save_model(clf, tmp_path / "clf.skops")
    finally:
        os.umask(old)
    assert (tmp_path / "clf.skops").stat().st_mode & 0o777 == 0o664
    assert (tmp_path / "clf.skops.json").stat().st_mode & 0o777 == 0o664
