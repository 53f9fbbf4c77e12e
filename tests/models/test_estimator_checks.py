"""scikit-learn's own estimator checks on a small ResBiLSTMClassifier."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from skvideo_imb.models import ResBiLSTMClassifier

#: Checks that cannot pass for a mini-batch neural net, with the reason.
EXPECTED_FAILED_CHECKS = {
    "check_no_attributes_set_in_init": (
        "skorch's NeuralNet constructor sets history_, initialized_ and virtual_params_."),
    "check_sample_weight_equivalence_on_dense_data": (
        "mini-batch SGD: repeating a sample changes the batches and the number of steps, "
        "so it is not equivalent to an integer weight."),
}


def _small_classifier():
    return ResBiLSTMClassifier(n_frames=1, hidden_size=8, fc_size=8, max_epochs=20,
                               lr=1e-2, random_state=0)


@parametrize_with_checks(
    [_small_classifier()],
    expected_failed_checks=lambda estimator: EXPECTED_FAILED_CHECKS,
)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)
