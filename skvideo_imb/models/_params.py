"""The classifier's parameters: the paper's settings and the constraint on each."""

from numbers import Integral, Real

import torch
from sklearn.utils._param_validation import (
    Interval,
    Options,
    StrOptions,
    validate_parameter_constraints,
)

from .. import _runtime
from ._losses import LOSSES, check_loss_params
from ._module import ResBiLSTM

__all__ = ["PAPER_PARAMS", "PARAMETER_CONSTRAINTS", "validate_params"]

#: The settings stated in Pouyanfar et al. (2018): two residual bidirectional LSTM
#: layers of 1024 units, a dense layer of 1024, 50% dropout, Adam with learning rate
#: 1e-6 and L2 3e-4, on 40-frame sequences.  Use as
#: ``ResBiLSTMClassifier(**PAPER_PARAMS)``; with a learning rate this small the model
#: needs hundreds of epochs on a large data set, so also raise ``max_epochs``.
PAPER_PARAMS = {
    "n_frames": 40,
    "hidden_size": 1024,
    "num_layers": 2,
    "bidirectional": True,
    "residual": True,
    "fc_size": 1024,
    "dropout": 0.5,
    "optimizer": torch.optim.Adam,
    "lr": 1e-6,
    "weight_decay": 3e-4,
}

#: scikit-learn's constraint on each parameter of :class:`ResBiLSTMClassifier` (skorch's
#: own ones are skorch's to check).
PARAMETER_CONSTRAINTS = {
    "n_frames": [Interval(Integral, 1, None, closed="left"), None],
    "hidden_size": [Interval(Integral, 1, None, closed="left")],
    "num_layers": [Interval(Integral, 1, None, closed="left")],
    "bidirectional": ["boolean"],
    "residual": ["boolean"],
    "fc_size": [Interval(Integral, 1, None, closed="left")],
    "dropout": [Interval(Real, 0, 1, closed="both")],
    "lstm_dropout": [Interval(Real, 0, 1, closed="both")],
    "readout": [StrOptions(set(ResBiLSTM.READOUTS))],
    "class_weight": [StrOptions({"balanced"}), dict, None],
    "loss": [StrOptions(set(LOSSES))],
    "focal_gamma": [Interval(Real, 0, None, closed="left")],
    "cb_beta": [Interval(Real, 0, 1, closed="left")],
    "ldam_max_margin": [Interval(Real, 0, None, closed="neither")],
    "drw_epoch": [Interval(Integral, 0, None, closed="left"), None],
    "logit_tau": [Interval(Real, None, None, closed="neither")],
    "posthoc_tau": [Interval(Real, 0, None, closed="left"), None],
    "sampler": [StrOptions({"class_balanced"}), None],
    "weight_decay": [Interval(Real, 0, None, closed="left"), None],
    "precision": [StrOptions(set(_runtime.PRECISIONS))],
    "early_stopping": ["boolean"],
    "validation_fraction": [Interval(Real, 0, 1, closed="neither")],
    "patience": [Interval(Integral, 1, None, closed="left")],
    "random_state": ["random_state"],
    "lr": [Interval(Real, 0, None, closed="left")],  # (0: a frozen network, on purpose)
    "max_epochs": [Interval(Integral, 1, None, closed="left")],
    "batch_size": [Interval(Integral, 1, None, closed="left"), Options(Integral, {-1})],
}


def validate_params(classifier):
    """Check every parameter of ``classifier`` against its constraint, then the loss's
    own settings (raises ``ValueError`` or ``TypeError`` naming the parameter)."""
    params = {name: getattr(classifier, name) for name in PARAMETER_CONSTRAINTS}
    validate_parameter_constraints(PARAMETER_CONSTRAINTS, params,
                                   caller_name=type(classifier).__name__)
    check_loss_params(classifier)
