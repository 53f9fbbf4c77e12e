"""The long-tail options of ResBiLSTMClassifier: losses against their formulas, LDAM's
margins and DRW switch, post-hoc logit adjustment, class-balanced batches."""

import copy

import numpy as np
import pytest
import torch
from skorch.callbacks import Callback
from sklearn.base import clone

from skvideo_imb.models import LOSSES, ResBiLSTMClassifier
from skvideo_imb.models._losses import (BalancedSoftmaxLoss, FocalLoss, LDAMLoss,
                                        LogitAdjustedLoss, class_balanced_weights,
                                        default_drw_epoch, ldam_margins)
from skvideo_imb.models._skorch_hooks import weighted_loss

from .conftest import blobs

# a hand-sized case: 2 samples, 3 classes
LOGITS = np.array([[2.0, 0.0, -1.0], [0.5, 1.0, 0.0]])
TARGET = np.array([0, 2])
COUNTS = np.array([16, 4, 1])


def _log_softmax(z):
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def _ce(z, y, weight=None):
    """Per-sample cross-entropy and PyTorch's weighted mean."""
    losses = -_log_softmax(z)[np.arange(len(y)), y]
    w = np.ones(z.shape[1]) if weight is None else np.asarray(weight)
    return w[y] * losses, (w[y] * losses).sum() / w[y].sum()


def _torch(loss):
    return float(loss(torch.tensor(LOGITS, dtype=torch.float32), torch.tensor(TARGET)))


def tiny(**params):
    defaults = dict(hidden_size=8, fc_size=8, max_epochs=5, random_state=0)
    return ResBiLSTMClassifier(**{**defaults, **params})


def skewed(n_per_class=(40, 12, 4), seed=0, spread=1.0):
    """Overlapping classes of very different sizes (the rare class is hard)."""
    rng = np.random.RandomState(seed)
    y = np.concatenate([np.full(n, c) for c, n in enumerate(n_per_class)])
    centres = spread * rng.normal(size=(len(n_per_class), 1, 3))
    return centres[y] + rng.normal(size=(len(y), 4, 3)), y


# ---------------------------------------------------------------- the formulas
def test_focal_is_cao_et_al_s_formula():
    weight = np.array([1.0, 2.0, 3.0])
    ce, _ = _ce(LOGITS, TARGET, weight)
    expected = np.mean((1 - np.exp(-ce)) ** 2.0 * ce)
    assert _torch(FocalLoss(gamma=2.0, class_weight=weight)) == pytest.approx(expected, 1e-6)
    # gamma=0 is the weighted cross-entropy summed over the batch divided by its size
    assert _torch(FocalLoss(gamma=0.0)) == pytest.approx(_ce(LOGITS, TARGET)[1], 1e-6)


def test_class_balanced_weights_are_cui_et_al_s():
    beta = 0.9
    raw = (1 - beta) / (1 - beta ** COUNTS)
    np.testing.assert_allclose(class_balanced_weights(COUNTS, beta), raw / raw.sum() * 3)
    # the classifier's class_balanced loss is this weighted cross-entropy
    X, y = skewed()
    clf = tiny(loss="class_balanced", cb_beta=beta, max_epochs=1).fit(X, y)
    expected = class_balanced_weights(np.bincount(y), beta)
    np.testing.assert_allclose(clf.class_weight_, expected)
    np.testing.assert_allclose(clf.criterion_.weight.numpy(), expected, rtol=1e-6)


def test_ldam_margins_and_loss():
    margins = ldam_margins(COUNTS, 0.5)
    np.testing.assert_allclose(margins, 0.5 * np.array([16, 4, 1]) ** -0.25)
    assert margins.max() == pytest.approx(0.5)
    shifted = LOGITS.copy()
    shifted[np.arange(2), TARGET] -= 30 * margins[TARGET]
    assert _torch(LDAMLoss(COUNTS, 0.5)) == pytest.approx(_ce(shifted, TARGET)[1], 1e-5)


@pytest.mark.parametrize("loss, shift", [
    (BalancedSoftmaxLoss(COUNTS), np.log(COUNTS)),
    (LogitAdjustedLoss(COUNTS, tau=0.7), 0.7 * np.log(COUNTS / COUNTS.sum())),
])
def test_shifted_logit_losses(loss, shift):
    assert _torch(loss) == pytest.approx(_ce(LOGITS + shift, TARGET)[1], 1e-6)


def test_sample_weights_combine_with_each_loss():
    """sum(w_i l_i) / sum(w_i c_i): c = the class weights a loss divides by (focal: none)."""
    logits, target = torch.tensor(LOGITS, dtype=torch.float32), torch.tensor(TARGET)
    weights = np.array([1.0, 3.0])
    class_weight = np.array([1.0, 2.0, 3.0])
    for loss, norm in [(FocalLoss(1.0, class_weight=class_weight), np.ones(2)),
                       (BalancedSoftmaxLoss(COUNTS, weight=class_weight),
                        class_weight[TARGET])]:
        per_sample = copy.copy(loss)
        per_sample.reduction = "none"
        losses = per_sample(logits, target).numpy()
        expected = (weights * losses).sum() / (weights * norm).sum()
        got = weighted_loss(loss, logits, target, torch.tensor(weights, dtype=torch.float32))
        assert float(got) == pytest.approx(expected, 1e-6)
        assert loss.reduction == "mean"


# ---------------------------------------------------------------- in the classifier
@pytest.mark.parametrize("loss", LOSSES)
def test_every_loss_trains_and_predicts_probabilities(loss):
    X, y = blobs(60)
    clf = tiny(loss=loss, lr=1e-2, max_epochs=15).fit(X, y)
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-5)
    assert (proba >= 0).all()
    assert (clf.predict(X) == y).mean() > 0.8
    np.testing.assert_array_equal(clf.class_counts_, np.bincount(y))


def test_the_loss_sees_the_class_counts_of_fit():
    X, y = skewed()
    clf = tiny(loss="balanced_softmax", max_epochs=1).fit(X, y)
    np.testing.assert_allclose(clf.criterion_.shift.numpy(), np.log(np.bincount(y)),
                               rtol=1e-6)
    clf2 = tiny(loss="logit_adjusted", logit_tau=2.0, max_epochs=1).fit(X, y)
    prior = np.bincount(y) / len(y)
    np.testing.assert_allclose(clf2.criterion_.shift.numpy(), 2 * np.log(prior), rtol=1e-5)


def test_ldam_uses_cosine_logits_scaled_by_30():
    X, y = skewed()
    clf = tiny(loss="ldam", max_epochs=2).fit(X, y)
    assert clf.module_.cosine_scale == 30 and clf.module_.out.bias is None
    logits = clf.forward(X)
    assert float(logits.abs().max()) <= 30 + 1e-4
    np.testing.assert_allclose(clf.criterion_.margins.numpy(),
                               ldam_margins(np.bincount(y), 0.5), rtol=1e-6)
    assert tiny().fit(X, y).module_.cosine_scale is None  # other losses: a plain layer


class _WeightsSeen(Callback):
    def initialize(self):
        self.seen = []
        return self

    def on_epoch_end(self, net, **kwargs):
        self.seen.append(None if net.criterion_.weight is None
                         else net.criterion_.weight.numpy().copy())


@pytest.mark.parametrize("drw_epoch, max_epochs, switch", [(2, 5, 2), (None, 10, 8)])
def test_drw_switches_to_class_balanced_weights_after_drw_epoch(drw_epoch, max_epochs,
                                                                  switch):
    X, y = skewed()
    record = _WeightsSeen()
    clf = tiny(loss="ldam", drw_epoch=drw_epoch, max_epochs=max_epochs,
               callbacks=[("weights", record)]).fit(X, y)
    assert default_drw_epoch(10) == 8
    drw = class_balanced_weights(np.bincount(y), 0.9999)
    for epoch, weight in enumerate(dict(clf.callbacks_)["weights"].seen, start=1):
        expected = drw if epoch > switch else np.ones(3)
        np.testing.assert_allclose(weight, expected, rtol=1e-5, err_msg=f"epoch {epoch}")
    # the switch changed training: without DRW the last epochs' losses differ
    no_drw = tiny(loss="ldam", drw_epoch=max_epochs, max_epochs=max_epochs).fit(X, y)
    assert clf.history[-1, "train_loss"] != no_drw.history[-1, "train_loss"]


def test_posthoc_adjustment_is_the_formula_and_favours_rare_classes():
    X, y = skewed(spread=0.6)
    plain = tiny(max_epochs=20, lr=1e-2).fit(X, y)
    adjusted = clone(plain).set_params(posthoc_tau=1.0).fit(X, y)
    prior = np.bincount(y) / len(y)
    # the same training (posthoc_tau is used at prediction only) ...
    torch.testing.assert_close(plain.forward(X), adjusted.forward(X))
    # ... and the softmax of z - log(prior)
    logits = plain.forward(X).numpy().astype(np.float64)
    expected = np.exp(_log_softmax(logits - np.log(prior)))
    np.testing.assert_allclose(adjusted.predict_proba(X), expected, atol=1e-5)
    np.testing.assert_array_equal(adjusted.predict(X),
                                  adjusted.classes_[expected.argmax(axis=1)])
    rare = y.max()
    assert (adjusted.predict(X) == rare).sum() > (plain.predict(X) == rare).sum()
    assert (adjusted.predict(X)[y == rare] == rare).mean() \
        >= (plain.predict(X)[y == rare] == rare).mean()


class _BatchLabels(Callback):
    def initialize(self):
        self.labels = []
        return self

    def on_batch_begin(self, net, batch=None, training=False, **kwargs):
        if training:
            self.labels.extend(np.asarray(batch[1]).tolist())


def test_class_balanced_sampler_draws_classes_equally_often():
    X, y = skewed(n_per_class=(60, 15, 5))
    record = _BatchLabels()
    clf = tiny(sampler="class_balanced", max_epochs=20, callbacks=[("labels", record)])
    clf.fit(X, y)
    seen = np.bincount(dict(clf.callbacks_)["labels"].labels, minlength=3)
    assert seen.sum() == 20 * len(y)                      # an epoch is still len(X)
    np.testing.assert_allclose(seen / seen.sum(), [1 / 3] * 3, atol=0.04)
    plain = _BatchLabels()
    tiny(max_epochs=2, callbacks=[("labels", plain)]).fit(X, y)
    np.testing.assert_array_equal(np.bincount(plain.labels), 2 * np.bincount(y))
    # reproducible with random_state
    again = _BatchLabels()
    tiny(sampler="class_balanced", max_epochs=20, callbacks=[("labels", again)]).fit(X, y)
    assert again.labels == record.labels


def test_class_balanced_sampler_with_early_stopping_split():
    X, y = skewed()
    clf = tiny(sampler="class_balanced", early_stopping=True, validation_fraction=0.25,
               max_epochs=3).fit(X, y)
    assert "valid_loss" in clf.history[-1]


# ---------------------------------------------------------------- bad settings
def test_loss_with_a_custom_criterion_is_a_clear_error():
    X, y = skewed()
    with pytest.raises(ValueError, match="builds its own criterion"):
        tiny(loss="focal", criterion=torch.nn.NLLLoss).fit(X, y)
    with pytest.raises(ValueError, match="criterion__label_smoothing"):
        tiny(loss="ldam", criterion__label_smoothing=0.1).fit(X, y)


def test_unknown_loss_and_bad_values_are_clear_errors():
    X, y = skewed()
    for params in [{"loss": "hinge"}, {"cb_beta": 1.0}, {"posthoc_tau": -1.0},
                   {"sampler": "balanced"}, {"ldam_max_margin": 0.0}]:
        with pytest.raises(ValueError, match=next(iter(params))):
            tiny(**params).fit(X, y)


@pytest.mark.parametrize("params", [{"loss": "ldam"}, {"loss": "balanced_softmax"},
                                    {"posthoc_tau": 1.0}])
def test_a_class_without_samples_is_a_clear_error(params):
    X, y = skewed()
    labels = np.array(["a", "b", "c"])[y]
    with pytest.raises(ValueError, match="class 'z' has no sample"):
        tiny(classes=["a", "b", "c", "z"], **params).fit(X, labels)
    tiny(classes=["a", "b", "c", "z"], max_epochs=1).fit(X, labels)  # fine without counts


def test_sampler_with_shuffle_is_a_clear_error():
    X, y = skewed()
    with pytest.raises(ValueError, match="draws the training batches itself"):
        tiny(sampler="class_balanced", iterator_train__shuffle=True).fit(X, y)


def test_class_weight_multiplies_the_class_balanced_weights():
    X, y = skewed()
    clf = tiny(loss="class_balanced", class_weight={0: 2.0, 1: 1.0, 2: 1.0},
               max_epochs=1).fit(X, y)
    expected = class_balanced_weights(np.bincount(y), 0.9999) * [2.0, 1.0, 1.0]
    np.testing.assert_allclose(clf.class_weight_, expected)


# ---------------------------------------------------------------- edge cases
def test_focal_gradient_is_finite_for_gamma_below_one_on_confident_samples():
    logits = torch.tensor([[40.0, 0.0, 0.0], [0.5, 1.0, 0.0]], requires_grad=True)
    loss = FocalLoss(gamma=0.5)(logits, torch.tensor([0, 2]))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(logits.grad).all()


def test_the_loss_parameters_reach_the_criterion():
    X, y = skewed()
    assert tiny(loss="focal", focal_gamma=2.5, max_epochs=1).fit(X, y).criterion_.gamma \
        == 2.5
    ldam = tiny(loss="ldam", ldam_max_margin=0.3, max_epochs=1).fit(X, y).criterion_
    assert float(ldam.margins.max()) == pytest.approx(0.3)
    adjusted = tiny(loss="logit_adjusted", logit_tau=0.5, max_epochs=1).fit(X, y)
    np.testing.assert_allclose(adjusted.criterion_.shift.numpy(),
                               0.5 * np.log(np.bincount(y) / len(y)), rtol=1e-5)


def test_ldam_validation_loss_leaves_out_the_drw_weights():
    """Early stopping compares validation losses across the DRW switch: the switch
    alone must not change them (the training loss it does change)."""
    X, y = skewed()
    clf = tiny(loss="ldam", drw_epoch=1, max_epochs=2).fit(X, y)
    assert clf.criterion_.drw
    logits, target = clf.forward(X), torch.as_tensor(y)
    valid_on = clf.get_loss(logits, target, training=False)
    train_on = clf.get_loss(logits, target, training=True)
    assert clf.criterion_.drw            # the validation loss left the criterion alone
    clf.criterion_.reweight(False)
    valid_off = clf.get_loss(logits, target, training=False)
    train_off = clf.get_loss(logits, target, training=True)
    assert float(valid_on) == pytest.approx(float(valid_off))
    assert float(train_on) != pytest.approx(float(train_off))
    # and early stopping with LDAM-DRW runs through the switch
    stopped = tiny(loss="ldam", drw_epoch=2, max_epochs=4, early_stopping=True,
                   validation_fraction=0.25).fit(X, y)
    assert len(stopped.history) == 4


def test_ldam_drw_state_survives_pickling():
    import pickle
    X, y = skewed()
    clf = tiny(loss="ldam", drw_epoch=1, max_epochs=2).fit(X, y)
    assert clf.criterion_.drw
    loaded = pickle.loads(pickle.dumps(clf))
    assert loaded.criterion_.drw
    np.testing.assert_allclose(loaded.criterion_.weight.numpy(),
                               clf.criterion_.weight.numpy())


def test_posthoc_after_fit_without_a_class_is_a_clear_error():
    X, y = skewed()
    clf = tiny(max_epochs=1).partial_fit(X[y < 2], y[y < 2], classes=[0, 1, 2])
    clf.predict_proba(X)  # fine without adjustment
    clf.set_params(posthoc_tau=1.0)
    with pytest.raises(ValueError, match="class 2 had no sample"):
        clf.predict_proba(X)


def test_the_cosine_head_is_float32_under_bf16_autocast():
    X, y = skewed()
    clf = tiny(loss="ldam", precision="bf16", max_epochs=1).fit(X, y)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        logits = clf.module_(torch.as_tensor(X[:4], dtype=torch.float32))
    assert logits.dtype == torch.float32


def test_a_loss_set_after_fit_changes_nothing_until_the_next_fit():
    import pickle
    X, y = skewed()
    clf = tiny(loss="ldam", max_epochs=2).fit(X, y)
    proba = clf.predict_proba(X)
    clf.set_params(loss="cross_entropy")
    loaded = pickle.loads(pickle.dumps(clf))  # rebuilt as fitted: the cosine head
    assert loaded.loss_ == "ldam" and isinstance(loaded.criterion_, LDAMLoss)
    np.testing.assert_allclose(loaded.predict_proba(X), proba, atol=1e-6)
    refit = loaded.fit(X, y)
    assert refit.loss_ == "cross_entropy" and refit.module_.cosine_scale is None
