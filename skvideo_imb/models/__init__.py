"""Temporal models: the residual bidirectional LSTM and its scikit-learn classifier."""

from ._callbacks import EpochProgress
from ._classifier import PAPER_PARAMS, ResBiLSTMClassifier
from ._losses import LOSSES
from ._module import ResBiLSTM

__all__ = ["LOSSES", "PAPER_PARAMS", "EpochProgress", "ResBiLSTM", "ResBiLSTMClassifier"]
