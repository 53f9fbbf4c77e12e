"""scikit-learn's own estimator checks on a small ResBiLSTMClassifier, and on each
long-tail option (loss, post-hoc adjustment, class-balanced batches)."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from skvideo_imb.models import LOSSES, ResBiLSTMClassifier

#: Checks that cannot pass for a mini-batch neural net, with the reason.
EXPECTED_FAILED_CHECKS = {
    "check_no_attributes_set_in_init": (
        "skorch's NeuralNet constructor sets history_, initialized_ and virtual_params_."),
    "check_sample_weight_equivalence_on_dense_data": (
        "mini-batch SGD: repeating a sample changes the batches and the number of steps, "
        "so it is not equivalent to an integer weight."),
}

#: Every option of issue 22 that changes training or prediction: each must pass what
#: the default classifier passes.
OPTIONS = [{"loss": loss} for loss in LOSSES if loss != "cross_entropy"] + [
    {"posthoc_tau": 1.0}, {"sampler": "class_balanced"}]


def _small_classifier(**options):
    # 5 epochs of 64-sample batches at a higher rate learn the checks' blobs as well as
    # 20 epochs of 32 at 1e-2 did (training accuracy 0.92-0.97 for every option, where the
    # checks ask for 0.83; every check passes with seeds 0, 1 and 2), in a fifth of the
    # time: this module was an eighth of the suite's CPU time
    return ResBiLSTMClassifier(n_frames=1, hidden_size=8, fc_size=8, max_epochs=5,
                               batch_size=64, lr=3e-2, random_state=0, **options)


def _is_memmap_variant(check):
    return getattr(check, "keywords", {}).get("readonly_memmap", False)


def _checks():
    """Every check for the default classifier; for each option the same checks less the
    read-only-memmap repeats of a check (input handling, the same code for every option,
    and a fifth of the time)."""
    mark = parametrize_with_checks(
        [_small_classifier()] + [_small_classifier(**options) for options in OPTIONS],
        expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS)
    names, params = mark.args
    kept = []
    for param in params:  # (estimator, check), or a pytest.param of it (an xfail)
        estimator, check = getattr(param, "values", param)
        if not (_is_memmap_variant(check) and _is_option(estimator)):
            kept.append(param)
    return pytest.mark.parametrize(names, kept, **mark.kwargs)


def _is_option(estimator):
    defaults = _small_classifier().get_params()
    return any(estimator.get_params()[key] != defaults[key] for key in
               ("loss", "posthoc_tau", "sampler"))


@_checks()
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
