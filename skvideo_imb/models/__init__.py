"""Temporal models: the residual bidirectional LSTM and its scikit-learn classifier."""

from ._callbacks import EpochProgress
from ._classifier import ResBiLSTMClassifier
from ._losses import LOSSES
from ._module import ResBiLSTM
from ._params import PAPER_PARAMS

__all__ = ["LOSSES", "PAPER_PARAMS", "EpochProgress", "ResBiLSTM", "ResBiLSTMClassifier"]
