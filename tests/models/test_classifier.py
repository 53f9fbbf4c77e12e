"""Behaviour of ResBiLSTMClassifier as a scikit-learn classifier and a skorch net."""

import copy
import functools
import pickle
from collections import Counter

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback, EarlyStopping, EpochScoring
from skorch.dataset import ValidSplit
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import recall_score
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.utils.class_weight import compute_class_weight

from skvideo_imb.models import PAPER_PARAMS, ResBiLSTM, ResBiLSTMClassifier
from skvideo_imb.models import _precision
from skvideo_imb.models._inputs import validate_sequences

from .conftest import blobs, order_toy

OWN_PARAMS = {
    "n_frames": None, "hidden_size": 1024, "num_layers": 2, "bidirectional": True,
    "residual": True, "fc_size": 1024, "dropout": 0.5, "lstm_dropout": 0.2, "readout": "ends",
    "class_weight": None, "loss": "cross_entropy", "focal_gamma": 1.0, "cb_beta": 0.9999,
    "ldam_max_margin": 0.5, "drw_epoch": None, "logit_tau": 1.0, "posthoc_tau": None,
    "sampler": None, "weight_decay": 3e-4, "precision": "auto",
    "early_stopping": False, "validation_fraction": 0.1, "patience": 10,
    "random_state": None, "device": "auto", "lr": 1e-3, "max_epochs": 30,
    "batch_size": 32, "train_split": None, "module": ResBiLSTM,
    "optimizer": torch.optim.Adam, "criterion": torch.nn.CrossEntropyLoss,
}


def tiny(**params):
    defaults = dict(hidden_size=8, fc_size=8, max_epochs=5, random_state=0)
    return ResBiLSTMClassifier(**{**defaults, **params})


@pytest.fixture(scope="module")
def blob_data():
    return blobs(60)


@pytest.fixture(scope="module")
def fitted(blob_data):
    X, y = blob_data
    return tiny(max_epochs=15, lr=1e-2).fit(X, y)


# ---------------------------------------------------------------- parameters
def test_defaults_and_get_params():
    params = ResBiLSTMClassifier().get_params()
    for name, value in OWN_PARAMS.items():
        assert params[name] == value, name
    assert "_params_to_validate" not in params


def test_set_params_clone_and_skorch_params():
    clf = ResBiLSTMClassifier(hidden_size=16, optimizer__betas=(0.8, 0.9),
                              iterator_train__drop_last=False)
    clf.set_params(num_layers=1, residual=False, lr=0.5)
    twin = clone(clf)
    assert twin.get_params()["num_layers"] == 1
    assert twin.get_params()["optimizer__betas"] == (0.8, 0.9)
    assert twin.hidden_size == 16 and twin.lr == 0.5 and not twin.residual


def test_unknown_skorch_argument_is_an_error():
    X, y = blobs(12)
    with pytest.raises(ValueError, match="optimizer__betas"):
        tiny(optimizer_betas=(0.9, 0.99)).fit(X, y)


def test_invalid_own_parameter_is_an_error():
    X, y = blobs(12)
    with pytest.raises(ValueError, match="precision"):
        tiny(precision="fp8").fit(X, y)


@pytest.mark.parametrize("param, value", [
    ("max_epochs", 0), ("max_epochs", -3), ("lr", -1e-3), ("lr", float("nan")),
    ("batch_size", 0), ("batch_size", -2)])
def test_training_settings_that_cannot_train_are_an_error(param, value):
    """No epoch, no step or no batch: refused at fit, not a random network fitted."""
    X, y = blobs(12)
    with pytest.raises(ValueError, match=f"'{param}' parameter"):
        tiny(**{param: value}).fit(X, y)


def test_a_batch_of_everything_is_allowed():
    X, y = blobs(12)
    assert tiny(batch_size=-1, max_epochs=1).fit(X, y).predict(X).shape == (len(y),)


def test_module_built_from_own_params_and_data(blob_data):
    X, y = blob_data
    clf = tiny(hidden_size=6, num_layers=3, bidirectional=False, fc_size=7,
               max_epochs=1).fit(X, y)
    module = clf.module_
    assert (module.input_size, module.n_classes) == (2, 3)
    assert (module.hidden_size, module.num_layers, module.bidirectional) == (6, 3, False)
    assert module.fc.out_features == 7
    # module__ parameters override
    clf.set_params(module__fc_size=3).fit(X, y)
    assert clf.module_.fc.out_features == 3
    # rebuilding a fitted module keeps the device parameter as the user gave it
    assert clf.set_params(module__fc_size=4).device == "auto"
    assert clf.set_params(device="cpu", module__fc_size=5).device == "cpu"


def test_weight_decay_and_optimizer_override(blob_data):
    X, y = blob_data
    clf = tiny(max_epochs=1).fit(X, y)
    assert isinstance(clf.optimizer_, torch.optim.Adam)
    assert clf.optimizer_.param_groups[0]["weight_decay"] == 3e-4
    clf = tiny(max_epochs=1, optimizer__weight_decay=0.0).fit(X, y)
    assert clf.optimizer_.param_groups[0]["weight_decay"] == 0.0
    clf = tiny(max_epochs=1, weight_decay=None, optimizer=torch.optim.SGD).fit(X, y)
    assert clf.optimizer_.param_groups[0]["weight_decay"] == 0.0  # SGD's own default


def test_paper_params():
    clf = ResBiLSTMClassifier(**PAPER_PARAMS)
    assert (clf.lr, clf.weight_decay, clf.n_frames) == (1e-6, 3e-4, 40)
    assert (clf.hidden_size, clf.fc_size, clf.dropout) == (1024, 1024, 0.5)


def test_grid_search(blob_data):
    X, y = blob_data
    # a candidate that cannot learn (lr=0) against one that does: the search must set
    # each candidate's parameters on its clone, and refit the winner with them
    grid = [{"hidden_size": [4], "lr": [0.0]}, {"hidden_size": [6], "lr": [0.05]}]
    search = GridSearchCV(tiny(max_epochs=10), grid, cv=2).fit(X, y)
    assert search.best_params_ == {"hidden_size": 6, "lr": 0.05}
    assert search.best_estimator_.module_.hidden_size == 6
    assert search.best_estimator_.optimizer_.param_groups[0]["lr"] == 0.05


# ---------------------------------------------------------------- input handling
def test_2d_and_3d_input_agree(blob_data):
    X, y = blob_data
    flat = X.reshape(len(X), -1)
    clf_2d = tiny(n_frames=3).fit(flat, y)
    clf_3d = tiny().fit(X, y)
    np.testing.assert_allclose(clf_2d.predict_proba(flat), clf_3d.predict_proba(X),
                               rtol=1e-5, atol=1e-6)
    assert (clf_2d.n_frames_, clf_2d.n_frame_features_, clf_2d.n_features_in_) == (3, 2, 6)
    # predicting on the other layout works too
    np.testing.assert_allclose(clf_2d.predict_proba(X), clf_2d.predict_proba(flat))
    np.testing.assert_allclose(clf_3d.predict_proba(flat), clf_3d.predict_proba(X))


def test_frame_major_folding():
    X = np.arange(2 * 3 * 2, dtype=np.float64).reshape(2, 6)
    folded = validate_sequences(tiny(n_frames=3), X, reset=True)
    assert folded.dtype == np.float32
    np.testing.assert_array_equal(folded[0], [[0, 1], [2, 3], [4, 5]])


def test_width_not_divisible_is_a_clear_error():
    X, y = blobs(12)
    with pytest.raises(ValueError, match="not a multiple of n_frames=4"):
        tiny(n_frames=4).fit(X.reshape(12, 6), y)


def test_2d_input_without_n_frames_is_a_clear_error():
    X, y = blobs(12)
    with pytest.raises(ValueError, match="set n_frames"):
        tiny().fit(X.reshape(12, 6), y)


def test_frame_width_mismatch_at_predict(fitted):
    with pytest.raises(ValueError, match="features"):
        fitted.predict(np.zeros((2, 2, 3)))


def test_float64_is_cast(fitted, blob_data):
    X, _ = blob_data
    assert X.dtype == np.float64
    proba = fitted.predict_proba(X)
    assert proba.dtype == np.float32


# ---------------------------------------------------------------- labels and output
def test_predict_proba_is_the_softmax_of_the_module_output(fitted, blob_data):
    X = blob_data[0]
    proba = fitted.predict_proba(X)
    assert proba.shape == (60, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    with torch.no_grad():
        logits = fitted.module_.eval()(torch.as_tensor(X, dtype=torch.float32))
    np.testing.assert_allclose(proba, torch.softmax(logits, dim=1).numpy(), rtol=1e-5,
                               atol=1e-7)


@pytest.mark.parametrize("labels", [
    np.array([0, 1, 2]),
    np.array(["cat", "dog", "eel"]),
    np.array([3, 10, 42]),
    np.array([-1.0, 2.0, 7.0]),
])
def test_labels_round_trip(labels, blob_data):
    X, y = blob_data
    clf = tiny(max_epochs=15, lr=1e-2).fit(X, labels[y])
    np.testing.assert_array_equal(clf.classes_, np.sort(labels))
    assert clf.predict(X).dtype == labels.dtype
    assert np.mean(clf.predict(X) == labels[y]) > 0.9


def test_classes_parameter_allows_unseen_labels(blob_data):
    X, y = blob_data
    clf = tiny(max_epochs=1, classes=[0, 1, 2, 3]).fit(X, y)
    assert clf.predict_proba(X).shape == (60, 4)


def test_unseen_label_in_warm_start_is_an_error(blob_data):
    X, y = blob_data
    clf = tiny(max_epochs=1, warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match="unseen labels"):
        clf.fit(X, y + 5)


# ---------------------------------------------------------------- learning
def test_learns_temporal_order_where_frame_average_is_at_chance():
    X, y = order_toy(160, seed=0)
    X_test, y_test = order_toy(200, seed=1)
    averaged = LogisticRegression().fit(X.mean(axis=1), y)
    assert abs(averaged.score(X_test.mean(axis=1), y_test) - 0.5) < 0.1
    clf = tiny(max_epochs=10).fit(X, y)
    assert clf.score(X_test, y_test) > 0.9


@pytest.mark.parametrize("ablation", [
    dict(bidirectional=False, residual=False, num_layers=1),   # CNN-LSTM baseline
    dict(bidirectional=False),                                 # ResLSTM
    dict(residual=False),                                      # BiLSTM
])
def test_ablations_learn_temporal_order(ablation):
    X, y = order_toy(160, seed=0)
    X_test, y_test = order_toy(100, seed=1)
    clf = tiny(max_epochs=10, lr=1e-2, **ablation).fit(X, y)
    assert clf.score(X_test, y_test) > 0.8


def _skewed(seed):
    # 90 vs 10 samples, overlapping classes: an unweighted loss favours the majority
    rng = np.random.RandomState(seed)
    y = np.r_[np.zeros(90, int), np.ones(10, int)]
    X = rng.normal(size=(100, 2, 2)) + 0.8 * y[:, None, None]
    return X, y


def test_balanced_class_weight_raises_minority_recall():
    X, y = _skewed(0)
    X_test, y_test = _skewed(1)
    recalls = {}
    for class_weight in (None, "balanced"):
        clf = tiny(class_weight=class_weight, max_epochs=20, lr=1e-2).fit(X, y)
        recalls[class_weight] = recall_score(y_test, clf.predict(X_test), pos_label=1)
    assert recalls["balanced"] > recalls[None] + 0.2


def test_class_weight_reaches_the_loss():
    X, y = _skewed(0)
    labels = np.array(["big", "small"])[y]
    clf = tiny(class_weight="balanced", max_epochs=1, device="cpu").fit(X, labels)
    expected = compute_class_weight("balanced", classes=np.array(["big", "small"]), y=labels)
    np.testing.assert_allclose(clf.class_weight_, expected)
    np.testing.assert_allclose(clf.criterion_.weight.numpy(), expected, rtol=1e-6)
    clf = tiny(class_weight={"big": 1.0, "small": 4.0}, max_epochs=1, device="cpu").fit(
        X, labels)
    np.testing.assert_allclose(clf.criterion_.weight.numpy(), [1.0, 4.0])


def test_sample_weight_loss_is_weighted_mean():
    clf = tiny(class_weight={0: 1.0, 1: 3.0}, max_epochs=1, device="cpu").fit(*_skewed(0))
    logits = torch.randn(4, 2)
    y = torch.tensor([0, 1, 1, 0])
    w = torch.tensor([1.0, 2.0, 0.0, 0.5])
    per_sample = torch.nn.functional.cross_entropy(logits, y, reduction="none")
    c = torch.tensor([1.0, 3.0])[y]
    expected = (w * c * per_sample).sum() / (w * c).sum()
    loss = clf.get_loss(logits, y, X={"X": None, "sample_weight": w})
    torch.testing.assert_close(loss, expected)
    # unit weights give the unweighted loss
    unit = clf.get_loss(logits, y, X={"X": None, "sample_weight": torch.ones(4)})
    torch.testing.assert_close(unit, clf.get_loss(logits, y))
    # the shared criterion is never switched to reduction="none", not even during the
    # call (a concurrent caller would get per-sample losses)
    seen = []
    clf.criterion_.register_forward_hook(
        lambda module, inputs, output: seen.append(clf.criterion_.reduction))
    clf.get_loss(logits, y, X={"X": None, "sample_weight": w})
    assert seen == ["mean"] and clf.criterion_.reduction == "mean"


def test_sample_weight_in_fit(blob_data):
    X, y = blob_data
    # weighting out two classes leaves a model that predicts the third
    weight = (y == 2).astype(float)
    clf = tiny(max_epochs=10, lr=1e-2).fit(X, y, sample_weight=weight)
    assert np.all(clf.predict(X) == 2)


# ---------------------------------------------------------------- skorch integration
def test_random_state_reproducible_and_global_rng_untouched(blob_data):
    X, y = blob_data
    torch.manual_seed(123)
    expected_next = torch.rand(1)
    torch.manual_seed(123)
    first = tiny(early_stopping=True).fit(X, y)
    assert torch.rand(1) == expected_next    # fit forks the global torch RNG
    a = first.predict_proba(X)
    b = tiny(early_stopping=True).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    c = tiny(random_state=1).fit(X, y).predict_proba(X)
    assert not np.allclose(a, c)


def test_device_auto_resolves_but_stays_a_parameter(fitted):
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    assert fitted.device == "auto"
    assert next(fitted.module_.parameters()).device.type == expected


class _Snapshots(Callback):
    """The module's weights after every epoch."""

    def initialize(self):
        self.states = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.states.append(copy.deepcopy(net.module_.state_dict()))


def test_early_stopping_monitors_valid_loss(blob_data):
    X, y = blob_data
    clf = tiny(early_stopping=True, patience=2, lr=0.0, max_epochs=30).fit(X, y)
    callbacks = dict(clf.callbacks_)
    assert isinstance(callbacks["early_stopping"], EarlyStopping)
    assert callbacks["early_stopping"].monitor == "valid_loss"
    assert len(clf.history) == 3      # lr=0: epoch 1 is the best, then 2 epochs of patience
    assert "valid_loss" in clf.history[-1] and "valid_acc" in clf.history[-1]


def test_early_stopping_restores_the_best_weights():
    # noisy labels and a large learning rate: the validation loss rises after a while
    X, y = _skewed(0)
    snapshots = _Snapshots()
    clf = tiny(early_stopping=True, patience=3, lr=0.05, max_epochs=60, hidden_size=16,
               fc_size=16, dropout=0.0, lstm_dropout=0.0, validation_fraction=0.3,
               callbacks=[("snapshots", snapshots)]).fit(X, y)
    losses = clf.history[:, "valid_loss"]
    assert len(losses) < 60                              # it stopped early
    best, best_loss = 0, losses[0]
    for epoch, loss in enumerate(losses):                # EarlyStopping's rule
        if loss < best_loss * (1 - 1e-4):
            best, best_loss = epoch, loss
    assert best < len(losses) - 1
    final = clf.module_.state_dict()
    for name, tensor in snapshots.states[best].items():
        torch.testing.assert_close(final[name], tensor, rtol=0, atol=0)
    assert not all(torch.equal(final[n], t) for n, t in snapshots.states[-1].items())


def test_train_split_and_callbacks_keep_working(blob_data):
    X, y = blob_data
    scoring = EpochScoring(lambda net, X, y: 0.5, name="half", on_train=True)
    clf = tiny(train_split=ValidSplit(4, stratified=True), callbacks=[scoring]).fit(X, y)
    last = clf.history[-1]
    assert {"train_loss", "valid_loss", "valid_acc", "half"} <= set(last)
    assert clf.history[:, "half"] == [0.5] * 5
    # ValidSplit(4, stratified) holds out the first fold of StratifiedKFold(4)
    train, valid = next(StratifiedKFold(4).split(X, y))
    assert sum(b.get("train_batch_size", 0) for b in last["batches"]) == len(train)
    assert last["valid_acc"] == pytest.approx(clf.score(X[valid], y[valid]))


def test_warm_start_continues_training(blob_data):
    X, y = blob_data
    clf = tiny(max_epochs=2, warm_start=True).fit(X, y)
    module = clf.module_
    clf.fit(X, y)
    assert clf.module_ is module and len(clf.history) == 4
    clf.partial_fit(X, y)
    assert len(clf.history) == 6


def test_partial_fit_with_classes(blob_data):
    X, y = blob_data
    clf = tiny(max_epochs=1).partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    assert clf.predict_proba(X).shape == (60, 3)


def test_save_and_load_params(fitted, blob_data, tmp_path):
    X, _ = blob_data
    fitted.save_params(f_params=tmp_path / "params.pt")
    fresh = tiny(module__input_size=2, classes=[0, 1, 2]).initialize()
    fresh.load_params(f_params=tmp_path / "params.pt")
    assert fresh.device == "auto"       # skorch saw the resolved device only meanwhile
    np.testing.assert_allclose(fresh.predict_proba(X), fitted.predict_proba(X))


def test_initialize_without_data_is_a_clear_error():
    with pytest.raises(ValueError, match="module__input_size and module__n_classes"):
        tiny().initialize()


def _frozen(value):
    """A copy of a fitted attribute that later changes to the original cannot reach."""
    if isinstance(value, (torch.nn.Module, torch.optim.Optimizer, torch.amp.GradScaler)):
        return (type(value), copy.deepcopy(value.state_dict()))
    return copy.deepcopy(value)


def _assert_same(a, b, path):
    """Equal values: arrays and tensors by content, objects by type and attributes."""
    assert type(a) is type(b), path
    if isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and np.array_equal(a, b), path
    elif isinstance(a, torch.Tensor):
        assert torch.equal(a.cpu(), b.cpu()), path
    elif isinstance(a, dict):
        assert set(a) == set(b), path
        for key in a:
            _assert_same(a[key], b[key], f"{path}[{key!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, z) in enumerate(zip(a, b)):
            _assert_same(x, z, f"{path}[{i}]")
    elif isinstance(a, functools.partial):
        assert a.func is b.func and a.args == b.args and a.keywords == b.keywords, path
    elif hasattr(a, "__dict__") and type(a).__eq__ is object.__eq__ and not callable(a):
        _assert_same(vars(a), vars(b), path)
    else:
        assert a == b, path


def _assert_fitted_state_unchanged(before, clf):
    after = {name: _frozen(value) for name, value in vars(clf).items()}
    _assert_same(before, after, "clf")


def test_predict_and_loading_leave_the_fitted_state_as_fit_left_it(blob_data):
    X, y = blob_data
    clf = tiny(max_epochs=3, early_stopping=True, class_weight="balanced").fit(X, y)
    before = {name: _frozen(value) for name, value in vars(clf).items()}
    assert {"module_", "optimizer_", "history_", "label_encoder_", "device_",
            "precision_", "grad_scaler_", "class_weight_", "seed_"} <= set(before)
    clf.predict(X)
    clf.predict_proba(X[:7])
    clf.score(X, y)
    _assert_fitted_state_unchanged(before, clf)
    restored = pickle.loads(pickle.dumps(clf))
    restored.predict(X)
    _assert_fitted_state_unchanged(before, restored)


def test_pickle_round_trip(fitted, blob_data):
    X, _ = blob_data
    restored = pickle.loads(pickle.dumps(fitted))
    assert restored.device == "auto"
    np.testing.assert_array_equal(restored.predict(X), fitted.predict(X))


# ---------------------------------------------------------------- precision
class _DenseDtypes(Callback):
    """The dtype of the module's dense layer output in every training forward pass."""

    def initialize(self):
        self.dtypes = set()
        return self

    def on_train_begin(self, net, **kwargs):
        net.module_.fc.register_forward_hook(
            lambda module, inputs, output: self.dtypes.add(output.dtype))


def test_bf16_on_cpu_trains_and_predicts_under_autocast(blob_data):
    X, y = blob_data
    dtypes = _DenseDtypes()
    clf = tiny(precision="bf16", device="cpu", max_epochs=15, lr=1e-2,
               callbacks=[("dtypes", dtypes)]).fit(X, y)
    assert dtypes.dtypes == {torch.bfloat16}      # autocast ran in training
    dtypes.dtypes.clear()
    proba = clf.predict_proba(X)
    assert dtypes.dtypes == {torch.bfloat16}      # and at prediction
    assert proba.dtype == np.float32
    assert clf.score(X, y) > 0.9


def test_fp16_on_cpu_is_a_clear_error(blob_data):
    with pytest.raises(ValueError, match="fp16.*CUDA"):
        tiny(precision="fp16", device="cpu").fit(*blob_data)


class _CountingScaler(torch.amp.GradScaler):
    """An enabled GradScaler that counts its calls."""

    def __init__(self, device):
        super().__init__(device, enabled=True)
        self.calls = Counter()

    def scale(self, outputs):
        self.calls["scale"] += 1
        return super().scale(outputs)

    def unscale_(self, optimizer):
        self.calls["unscale_"] += 1
        return super().unscale_(optimizer)

    def step(self, optimizer, *args, **kwargs):
        self.calls["step"] += 1
        return super().step(optimizer, *args, **kwargs)

    def update(self, new_scale=None):
        self.calls["update"] += 1
        return super().update(new_scale)


def test_gradient_scaler_scales_the_backward_pass_and_steps(blob_data, monkeypatch):
    # the fp16 training step exercised on CPU with an enabled scaler: the backward pass
    # of the loss scaled by 2**16, then unscaled gradients step the optimiser, so the
    # training equals unscaled fp32 training (powers of two scale exactly)
    X, y = blob_data
    reference = tiny(device="cpu", max_epochs=3, lr=1e-2).fit(X, y)
    monkeypatch.setattr(_precision, "grad_scaler",
                        lambda device, precision: _CountingScaler(device.type))
    clf = tiny(device="cpu", max_epochs=3, lr=1e-2).fit(X, y)
    n_steps = 3 * 2                                  # 60 samples in batches of 32
    assert clf.grad_scaler_.calls == {"scale": n_steps, "unscale_": n_steps,
                                      "step": n_steps, "update": n_steps}
    assert clf.grad_scaler_.get_scale() == 2.0 ** 16  # no overflow: the scale stays
    np.testing.assert_allclose(clf.history[:, "train_loss"],
                               reference.history[:, "train_loss"], rtol=1e-5)
    for name, tensor in reference.module_.state_dict().items():
        torch.testing.assert_close(clf.module_.state_dict()[name], tensor)


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("precision", ["auto", "bf16", "fp16", "fp32"])
def test_cuda_mixed_precision(precision, blob_data):
    X, y = blob_data
    clf = tiny(precision=precision, device="auto", max_epochs=15, lr=1e-2).fit(X, y)
    assert next(clf.module_.parameters()).is_cuda
    assert clf.predict_proba(X).dtype == np.float32
    assert clf.score(X, y) > 0.9


def test_warm_start_after_initialize_and_load(fitted, blob_data, tmp_path):
    X, y = blob_data
    fitted.save_params(f_params=tmp_path / "params.pt")
    resumed = tiny(module__input_size=2, classes=[0, 1, 2], warm_start=True,
                   max_epochs=1).initialize()
    resumed.load_params(f_params=tmp_path / "params.pt")
    resumed.fit(X, y)
    assert len(resumed.history) == 1
    np.testing.assert_array_equal(resumed.classes_, [0, 1, 2])


@pytest.mark.parametrize("readout", ["ends", "last", "mean"])
def test_readouts_reach_the_module_and_learn_temporal_order(readout):
    X, y = order_toy(160, seed=0)
    X_test, y_test = order_toy(100, seed=1)
    clf = tiny(max_epochs=10, lr=1e-2, readout=readout).fit(X, y)
    assert clf.module_.readout == readout
    assert clf.score(X_test, y_test) > 0.8


def test_ends_readout_sees_the_first_frame_in_a_one_layer_bilstm():
    """The classifier's output depends on frame 0 through the backward final state."""
    X, y = order_toy(40, seed=0)
    probe = X[:4].copy()
    moved = probe.copy()
    moved[:, 0] += 3.0
    shapes = {}
    for readout in ("ends", "last"):
        clf = tiny(max_epochs=1, readout=readout, num_layers=1, residual=False,
                   device="cpu").fit(X, y)
        module = clf.module_.eval()
        with torch.no_grad():
            H = module.encode(torch.as_tensor(probe, dtype=torch.float32))
            H_moved = module.encode(torch.as_tensor(moved, dtype=torch.float32))
            backward = module.read(H)[:, 8:], module.read(H_moved)[:, 8:]
        shapes[readout] = module.read(H).shape
        changed = not torch.allclose(*backward)
        assert changed == (readout == "ends"), readout
    assert shapes == {"ends": (4, 16), "last": (4, 16)}


def test_unknown_readout_is_rejected_at_fit():
    with pytest.raises(ValueError, match="readout"):
        tiny(readout="first").fit(*blobs(12))


def test_one_class_is_an_error_as_in_scikit_learn():
    X, _ = blobs(12)
    with pytest.raises(ValueError, match="at least 2 classes.*only one class: 'a'"):
        tiny().fit(X, ["a"] * 12)
    # declared classes make a one-class batch legitimate (partial_fit)
    clf = tiny(max_epochs=1).partial_fit(X, ["a"] * 12, classes=["a", "b"])
    assert clf.predict_proba(X).shape == (12, 2)


def test_pickle_holds_state_dicts_not_a_nested_pickle(fitted, blob_data):
    X, y = blob_data
    state = fitted.__getstate__()
    assert "__cuda_dependent_attributes__" not in state
    assert not any(isinstance(v, bytes) for v in state.values())
    assert set(state["_component_states"]) == {"module_", "criterion_", "optimizer_"}
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))
    # the optimiser's moments survive: warm-started training continues identically
    a = pickle.loads(pickle.dumps(fitted)).set_params(warm_start=True, max_epochs=2)
    b = pickle.loads(pickle.dumps(fitted)).set_params(warm_start=True, max_epochs=2)
    for name, tensor in a.optimizer_.state_dict()["state"][0].items():
        torch.testing.assert_close(tensor, fitted.optimizer_.state_dict()["state"][0][name])
    np.testing.assert_array_equal(a.fit(X, y).predict_proba(X), b.fit(X, y).predict_proba(X))


def test_a_state_in_skorchs_pickle_format_is_refused(fitted):
    """skorch's format pickles the modules inside the state: unpickling it runs code."""
    from skvideo_imb.models._net_state import NetState
    state = super(NetState, fitted).__getstate__()  # skorch's own, next in the MRO
    assert isinstance(state["__cuda_dependent_attributes__"], bytes)
    restored = ResBiLSTMClassifier.__new__(ResBiLSTMClassifier)
    with pytest.raises(ValueError, match="holds pickled torch components"):
        restored.__setstate__(state)
    ours = fitted.__getstate__()  # our own state with the pickled bytes slipped in
    ours["__cuda_dependent_attributes__"] = state["__cuda_dependent_attributes__"]
    with pytest.raises(ValueError, match="holds pickled torch components"):
        ResBiLSTMClassifier.__new__(ResBiLSTMClassifier).__setstate__(ours)


def test_a_state_asking_for_a_huge_module_is_refused_before_allocating(fitted):
    state = fitted.__getstate__()
    state["hidden_size"] = 10 ** 7  # a 4e14-parameter LSTM, were it built for real
    with pytest.raises(ValueError, match="do not match its architecture"):
        ResBiLSTMClassifier.__new__(ResBiLSTMClassifier).__setstate__(state)
