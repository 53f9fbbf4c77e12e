"""save_model / load_model: skops files, an allow-list of types, versions on the card."""

import fractions
import json
import pickle
import warnings
import zipfile

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

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


def test_a_file_naming_an_untrusted_type_is_refused(tmp_path):
    import skops.io as sio

    path = tmp_path / "evil.skops"
    sio.dump({"model": LogisticRegression(), "payload": fractions.Fraction(1, 3)}, path)
    with pytest.raises(ValueError, match="names types this loader does not trust: "
                                         "fractions.Fraction"):
        load_model(path)
    assert load_model(path, trusted=["fractions.Fraction"])["payload"] == fractions.Fraction(
        1, 3)


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
    with pytest.raises(ValueError, match="is not a readable skvideo-imb model file"):
        load_model(path)
    pickled = tmp_path / "pickled.skops"
    pickled.write_bytes(pickle.dumps(clf))
    with pytest.raises(ValueError, match="is not a readable skvideo-imb model file"):
        load_model(pickled)
    with pytest.raises(FileNotFoundError, match="nowhere.skops"):
        load_model(tmp_path / "nowhere.skops")


def test_a_model_without_a_card_loads_with_a_warning(classifier, tmp_path):
    clf, X = classifier
    path = tmp_path / "clf.skops"
    save_model(clf, path)
    (tmp_path / "clf.skops.json").unlink()
    with pytest.warns(UserWarning, match="has no readable card"):
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
