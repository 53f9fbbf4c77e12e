"""How the classifier builds skorch's components, data and loss: skorch's public hooks.

skorch documents ``initialize_module``, ``initialize_criterion``,
``get_params_for_optimizer``, ``get_dataset``, ``get_split_datasets``, ``get_iterator``
and ``get_loss`` as the methods a subclass overrides; the classifier's overrides live
here.  Components are built on the resolved ``device_`` (skorch's own placement on
``device`` is then a no-op, see :mod:`skvideo_imb.models._net_state`).
"""

import copy
from collections.abc import Mapping

import numpy as np
import torch
from skorch.dataset import ValidSplit
from skorch.utils import is_dataset, to_device, to_numpy, to_tensor

from ._inputs import validate_sequences
from ._losses import LDAM_SCALE, LDAMLoss, build_loss, built_loss, drw_active

__all__ = ["SkorchHooks", "class_balanced_sampler", "weighted_loss"]


def _targets(dataset):
    """The encoded targets of a skorch dataset or of a subset of one (a split)."""
    if isinstance(dataset, torch.utils.data.Subset):
        return np.asarray(_targets(dataset.dataset))[np.asarray(dataset.indices)]
    y = getattr(dataset, "y", None)
    if y is None:
        raise ValueError("sampler='class_balanced' needs the training targets: pass y to "
                         f"fit (got a {type(dataset).__name__} without them).")
    return to_numpy(y) if isinstance(y, torch.Tensor) else np.asarray(y)


def class_balanced_sampler(dataset):
    """A sampler drawing ``len(dataset)`` samples with replacement, each with probability
    proportional to ``1 / n_c`` of its class ``c``: every class equally often on average.

    Parameters
    ----------
    dataset : skorch.dataset.Dataset or torch.utils.data.Subset of one
        Training data with encoded targets.

    Returns
    -------
    sampler : torch.utils.data.WeightedRandomSampler
        Draws from torch's default generator (which ``fit`` seeds from
        ``random_state``).

    Examples
    --------
    >>> import numpy as np
    >>> from skorch.dataset import Dataset
    >>> from skvideo_imb.models._skorch_hooks import class_balanced_sampler
    >>> sampler = class_balanced_sampler(Dataset(np.zeros((4, 1)), np.array([0, 0, 0, 1])))
    >>> sampler.weights.tolist()
    [0.3333333333333333, 0.3333333333333333, 0.3333333333333333, 1.0]
    """
    y = _targets(dataset).astype(np.int64)
    counts = np.bincount(y)
    return torch.utils.data.WeightedRandomSampler(
        torch.as_tensor(1.0 / counts[y], dtype=torch.float64), num_samples=len(y),
        replacement=True)


def weighted_loss(criterion, y_pred, y_true, weights):
    """``sum(w_i c_i l_i) / sum(w_i c_i)``: the per-sample losses ``l`` of ``criterion``
    weighted by ``weights`` and by the criterion's class weights ``c`` (if any).

    ``criterion`` itself is left as it is (its per-sample losses come from a shallow
    copy with ``reduction="none"``), so concurrent calls never see a changed criterion.

    Parameters
    ----------
    criterion : torch.nn.Module
        A loss with a ``reduction`` attribute and an optional class ``weight``.
    y_pred : torch.Tensor of shape (batch_size, n_classes)
    y_true : torch.Tensor of shape (batch_size,)
    weights : torch.Tensor of shape (batch_size,)

    Returns
    -------
    loss : torch.Tensor
        Scalar loss.

    Examples
    --------
    >>> import torch
    >>> from skvideo_imb.models._skorch_hooks import weighted_loss
    >>> criterion = torch.nn.CrossEntropyLoss()
    >>> logits, y = torch.zeros(2, 3), torch.tensor([0, 1])
    >>> weighted_loss(criterion, logits, y, torch.tensor([1.0, 3.0]))
    tensor(1.0986)
    >>> criterion.reduction
    'mean'
    """
    per_sample = copy.copy(criterion)
    per_sample.reduction = "none"
    losses = per_sample(y_pred, y_true)
    class_weight = getattr(criterion, "weight", None)
    norm = weights if class_weight is None else weights * class_weight[y_true]
    return (weights * losses).sum() / norm.sum().clamp_min(torch.finfo(norm.dtype).eps)


class SkorchHooks:
    """The classifier's overrides of skorch's documented hooks (a mixin)."""

    def initialize_module(self):
        """Build the module from the architecture parameters and the fitted data shape.

        Returns
        -------
        self : ResBiLSTMClassifier
        """
        kwargs = self._module_kwargs()
        missing = [name for name in ("input_size", "n_classes") if kwargs[name] is None]
        if missing:
            raise ValueError(
                f"{type(self).__name__} infers the module's {' and '.join(missing)} from "
                "the data in fit; to initialise without fitting, pass "
                + " and ".join(f"module__{name}" for name in missing) + ".")
        module = self.initialized_instance(self.module, kwargs)
        self.module_ = to_device(module, getattr(self, "device_", None))
        return self

    def _module_kwargs(self):
        kwargs = {
            "input_size": getattr(self, "n_frame_features_", None),
            "n_classes": len(self.classes_) if hasattr(self, "classes_") else None,
            "hidden_size": self.hidden_size,
            "num_layers": self.num_layers,
            "bidirectional": self.bidirectional,
            "residual": self.residual,
            "fc_size": self.fc_size,
            "dropout": self.dropout,
            "lstm_dropout": self.lstm_dropout,
            "readout": self.readout,
            "cosine_scale": LDAM_SCALE if built_loss(self) == "ldam" else None,
        }
        kwargs.update(self.get_params_for("module"))
        return kwargs

    def initialize_criterion(self):
        """Build the loss of ``loss`` (``criterion`` for cross-entropy) with ``class_weight_``.

        Returns
        -------
        self : ResBiLSTMClassifier
        """
        criterion = build_loss(self, getattr(self, "class_counts_", None))
        if criterion is None:  # cross-entropy: the criterion parameter, class-weighted
            kwargs = self.get_params_for("criterion")
            if getattr(self, "class_weight_", None) is not None and "weight" not in kwargs:
                kwargs["weight"] = torch.as_tensor(self.class_weight_, dtype=torch.float32)
            criterion = self.initialized_instance(self.criterion, kwargs)
        if isinstance(criterion, LDAMLoss) and getattr(self, "history_", None):
            # rebuilt after fitting (a loaded model): DRW as the epochs trained left it
            criterion.reweight(drw_active(self, len(self.history_)))
        self.criterion_ = to_device(criterion, getattr(self, "device_", None))
        return self

    def on_epoch_begin(self, net, dataset_train=None, dataset_valid=None, **kwargs):
        """skorch's epoch start (a new history row); switches LDAM's DRW weights on.

        Parameters
        ----------
        net : ResBiLSTMClassifier
            Itself (skorch's notification).
        dataset_train, dataset_valid : torch Dataset or None
        **kwargs : dict
        """
        super().on_epoch_begin(net, dataset_train, dataset_valid, **kwargs)
        if isinstance(self.criterion_, LDAMLoss):
            self.criterion_.reweight(drw_active(self, len(self.history)))

    def get_params_for_optimizer(self, prefix, named_parameters):
        """skorch's optimiser arguments plus ``weight_decay`` unless set explicitly.

        Parameters
        ----------
        prefix : str
            Optimiser name, ``"optimizer"``.
        named_parameters : iterable of (str, torch.nn.Parameter)
            The parameters to optimise.

        Returns
        -------
        args : tuple
            Positional arguments of the optimiser.
        kwargs : dict
            Keyword arguments of the optimiser.
        """
        args, kwargs = super().get_params_for_optimizer(prefix, named_parameters)
        if prefix == "optimizer" and self.weight_decay is not None:
            kwargs.setdefault("weight_decay", self.weight_decay)
        return args, kwargs

    def get_dataset(self, X, y=None):
        """Validate and fold raw input before wrapping it in skorch's dataset.

        Parameters
        ----------
        X : array-like, dict or torch Dataset
            Raw input (validated), or data already prepared by ``fit`` (passed through).
        y : array-like or None
            Encoded targets.

        Returns
        -------
        dataset : torch.utils.data.Dataset
        """
        if not is_dataset(X) and not isinstance(X, Mapping):
            X = {"X": validate_sequences(self, X, reset=False)}
        return super().get_dataset(X, y)

    def get_split_datasets(self, X, y=None, **fit_params):
        """skorch's split, or a stratified hold-out for ``early_stopping``.

        Parameters
        ----------
        X : dict
            Prepared training data.
        y : ndarray
            Encoded targets.
        **fit_params : dict
            Passed to the split.

        Returns
        -------
        dataset_train, dataset_valid : torch Dataset, torch Dataset or None
        """
        if self.train_split is None and self.early_stopping:
            split = ValidSplit(self.validation_fraction, stratified=True,
                               random_state=self.seed_)
            return split(self.get_dataset(X, y), y, **fit_params)
        return super().get_split_datasets(X, y, **fit_params)

    def get_iterator(self, dataset, training=False):
        """skorch's data loader, shuffling training batches unless told otherwise.

        Parameters
        ----------
        dataset : torch Dataset
        training : bool, default=False

        Returns
        -------
        iterator : torch.utils.data.DataLoader
        """
        prefix = "iterator_train" if training else "iterator_valid"
        kwargs = self.get_params_for(prefix)
        if training and self.sampler == "class_balanced":
            if kwargs.get("shuffle") or "sampler" in kwargs:
                raise ValueError(
                    f"{type(self).__name__}(sampler='class_balanced') draws the training "
                    "batches itself; drop iterator_train__shuffle / iterator_train__sampler.")
            kwargs["sampler"] = class_balanced_sampler(dataset)
        elif training:
            kwargs.setdefault("shuffle", True)
        kwargs.setdefault("batch_size", self.batch_size)
        if kwargs["batch_size"] == -1:
            kwargs["batch_size"] = len(dataset)
        return getattr(self, prefix)(dataset, **kwargs)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The loss of ``criterion_``, weighted by class and, when given, by sample.

        For validation (``training=False``) LDAM's loss leaves out the DRW weights, so
        that the validation loss means the same before and after the switch.

        Parameters
        ----------
        y_pred : torch.Tensor of shape (batch_size, n_classes)
            Logits.
        y_true : torch.Tensor of shape (batch_size,)
            Encoded targets.
        X : dict or None
            The batch; its ``"sample_weight"`` entry, if any, weights the samples
            (:func:`weighted_loss`).
        training : bool, default=False

        Returns
        -------
        loss : torch.Tensor
            Scalar loss.
        """
        weights = X.get("sample_weight") if isinstance(X, Mapping) else None
        y_true = to_tensor(y_true, device=self.device_)
        criterion = self.criterion_
        if not training and getattr(criterion, "drw", False):
            # the validation loss keeps one definition over all epochs (early stopping
            # compares it across the DRW switch): the margins, not the DRW weights
            criterion = copy.copy(criterion)
            criterion.drw = False
        if isinstance(criterion, torch.nn.NLLLoss):  # as skorch's classifier does
            y_pred = torch.log(y_pred + torch.finfo(y_pred.dtype).eps)
        if weights is None:
            return criterion(y_pred, y_true)
        weights = to_tensor(weights, device=self.device_).to(y_pred.dtype)
        return weighted_loss(criterion, y_pred, y_true, weights)
