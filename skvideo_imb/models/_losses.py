"""Long-tail losses on logits: the classifier's ``loss`` parameter.

Each loss is a :class:`torch.nn.CrossEntropyLoss` whose logits (or margins, or
per-sample factors) are changed as its paper states; being a cross-entropy, skorch's
``predict_nonlinearity="auto"`` turns the module's logits into probabilities with a
softmax for every one of them.  ``reduction="none"`` returns per-sample losses with the
class weights applied, which :func:`~skvideo_imb.models._skorch_hooks.weighted_loss`
combines with sample weights.

The class counts ``n_c`` are those the classifier saw at ``fit`` (after any resampling
earlier in the pipeline); they are buffers, so a saved classifier keeps them.  References:
Lin et al. 2017 (focal), Cui et al. 2019 (class-balanced), Cao et al. 2019 (LDAM, DRW),
Ren et al. 2020 (balanced softmax), Menon et al. 2021 (logit adjustment).
"""

import numpy as np
import torch
from torch.nn import functional as F

__all__ = ["LOSSES", "LDAM_SCALE", "build_loss", "built_loss", "check_loss_params",
           "class_balanced_weights", "default_drw_epoch", "drw_active", "fit_class_counts",
           "ldam_margins", "posthoc_shift"]

#: The values of ``ResBiLSTMClassifier(loss=...)``: the paper's cross-entropy and five
#: long-tail losses (see :ref:`long-tail`).
LOSSES = ("cross_entropy", "focal", "class_balanced", "ldam", "balanced_softmax",
          "logit_adjusted")

#: The scale ``s`` of LDAM's cosine logits (Cao et al.'s code: ``s=30``).
LDAM_SCALE = 30.0

# the class-balanced weights of DRW (Cao et al.'s code fixes beta at 0.9999)
_DRW_BETA = 0.9999
# the losses built from the class counts, and those that also need them at fit (the
# class-balanced loss is a cross-entropy whose class_weight_ fit derives from them)
_BUILT_FROM_COUNTS = ("ldam", "balanced_softmax", "logit_adjusted")
_FITTED_FROM_COUNTS = _BUILT_FROM_COUNTS + ("class_balanced",)


def class_balanced_weights(class_counts, beta):
    """Cui et al.'s weights ``(1 - beta) / (1 - beta ** n_c)``, rescaled to sum to C.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Training samples per class, each at least 1.
    beta : float
        In [0, 1): 0 gives equal weights, values near 1 approach inverse frequency.

    Returns
    -------
    weights : ndarray of shape (n_classes,), dtype float64

    Examples
    --------
    >>> from skvideo_imb.models._losses import class_balanced_weights
    >>> class_balanced_weights([10, 90], beta=0.0).tolist()
    [1.0, 1.0]
    >>> w = class_balanced_weights([10, 90], beta=0.9999)
    >>> bool(w[0] > w[1]), round(float(w.sum()), 6)
    (True, 2.0)
    """
    counts = np.asarray(class_counts, dtype=np.float64)
    weights = (1.0 - beta) / (1.0 - np.power(beta, counts))
    return weights / weights.sum() * len(counts)


def ldam_margins(class_counts, max_margin):
    """LDAM's margins ``m_c ∝ n_c ** (-1/4)``, scaled so that the largest is ``max_margin``.

    Parameters
    ----------
    class_counts : array-like of shape (n_classes,)
        Training samples per class, each at least 1.
    max_margin : float
        The margin of the smallest class.

    Returns
    -------
    margins : ndarray of shape (n_classes,), dtype float64

    Examples
    --------
    >>> from skvideo_imb.models._losses import ldam_margins
    >>> ldam_margins([16, 1], max_margin=0.5).tolist()
    [0.25, 0.5]
    """
    margins = np.power(np.asarray(class_counts, dtype=np.float64), -0.25)
    return margins * (max_margin / margins.max())


def default_drw_epoch(max_epochs):
    """The epoch after which DRW re-weights when ``drw_epoch=None``: 80% of ``max_epochs``.

    Cao et al.'s code trains 200 epochs and re-weights from the 161st on.

    Parameters
    ----------
    max_epochs : int

    Returns
    -------
    drw_epoch : int

    Examples
    --------
    >>> from skvideo_imb.models._losses import default_drw_epoch
    >>> default_drw_epoch(200), default_drw_epoch(30)
    (160, 24)
    """
    return (4 * int(max_epochs)) // 5


def _as_buffer(values):
    return torch.as_tensor(np.asarray(values, dtype=np.float32))


class FocalLoss(torch.nn.CrossEntropyLoss):
    """``(1 - p) ** gamma * CE_w`` with ``p = exp(-CE_w)``, averaged over the batch.

    As in Cao et al.'s code (``focal_loss``): ``p`` is computed from the *weighted*
    cross-entropy, so with class weights ``p`` is not the softmax probability ``p_t``
    (without weights it is), and the mean is a plain one (not divided by the weights).
    """

    def __init__(self, gamma=1.0, class_weight=None, reduction="mean"):
        super().__init__(reduction=reduction)
        self.gamma = float(gamma)
        # not `weight`: weighted_loss would then divide by the weights, which this
        # loss's mean does not
        self.register_buffer(
            "class_weight", None if class_weight is None else _as_buffer(class_weight))

    def forward(self, logits, target):
        ce = F.cross_entropy(logits, target, weight=self.class_weight, reduction="none")
        # 1 - exp(-ce), accurately for small ce; kept above 0 so that for gamma < 1 the
        # gradient of a sample with ce == 0 (a confident right answer) is 0, not NaN
        one_minus_p = (-torch.expm1(-ce)).clamp_min(torch.finfo(ce.dtype).tiny)
        losses = one_minus_p ** self.gamma * ce
        return losses if self.reduction == "none" else (
            losses.sum() if self.reduction == "sum" else losses.mean())


class _ShiftedLogits(torch.nn.CrossEntropyLoss):
    """Cross-entropy of ``logits + shift`` for a per-class ``shift`` (a buffer)."""

    def __init__(self, shift, weight=None, reduction="mean"):
        super().__init__(weight=None if weight is None else _as_buffer(weight),
                         reduction=reduction)
        self.register_buffer("shift", _as_buffer(shift))

    def forward(self, logits, target):
        return super().forward(logits + self.shift.to(logits.dtype), target)


class BalancedSoftmaxLoss(_ShiftedLogits):
    """Ren et al.'s balanced softmax: ``CE(z + log n_c)``."""

    def __init__(self, class_counts, weight=None, reduction="mean"):
        super().__init__(np.log(np.asarray(class_counts, dtype=np.float64)), weight,
                         reduction)


class LogitAdjustedLoss(_ShiftedLogits):
    """Menon et al.'s logit-adjusted loss: ``CE(z + tau * log pi_c)``, ``pi_c = n_c / N``."""

    def __init__(self, class_counts, tau=1.0, weight=None, reduction="mean"):
        counts = np.asarray(class_counts, dtype=np.float64)
        super().__init__(float(tau) * np.log(counts / counts.sum()), weight, reduction)


class LDAMLoss(torch.nn.CrossEntropyLoss):
    """Cao et al.'s LDAM: ``CE(z - s * m_y * onehot(y))`` on logits ``z = s * cos``.

    The module's output layer is normalised (cosine logits scaled by ``s``), so the
    margin ``m_y`` is subtracted in cosine units, as in ``CE(s * (cos - m_y onehot))``.
    The class weights in use, ``weight``, are ``base_weight`` (``class_weight``, or
    ones) until deferred re-weighting (DRW) is switched on (:meth:`reweight`, by the
    classifier once it has trained ``drw_epoch`` epochs), then ``drw_weight``, the
    same times Cui et al.'s class-balanced weights with ``beta=0.9999``.
    """

    def __init__(self, class_counts, max_margin=0.5, scale=LDAM_SCALE, class_weight=None,
                 reduction="mean"):
        super().__init__(reduction=reduction)
        del self._buffers["weight"]  # a property below: which weights depends on `drw`
        self.scale = float(scale)
        self.drw = False
        self.register_buffer("margins", _as_buffer(ldam_margins(class_counts, max_margin)))
        drw = class_balanced_weights(class_counts, _DRW_BETA)
        base = np.ones_like(drw) if class_weight is None else np.asarray(class_weight)
        self.register_buffer("base_weight", _as_buffer(base))
        self.register_buffer("drw_weight", _as_buffer(base * drw))

    @property
    def weight(self):
        """The class weights in use: ``drw_weight`` once DRW is on, else ``base_weight``."""
        return self.drw_weight if self.drw else self.base_weight

    def reweight(self, on):
        """Switch the class-balanced weights of DRW on or off.

        Parameters
        ----------
        on : bool
        """
        self.drw = bool(on)

    def forward(self, logits, target):
        margin = (self.scale * self.margins.to(logits.dtype))[target]
        adjusted = logits - F.one_hot(target, logits.shape[1]).to(logits.dtype) * margin[:, None]
        return super().forward(adjusted, target)


def build_loss(net, class_counts):
    """The criterion of ``net.loss`` for these class counts (``net``'s class weights in).

    Parameters
    ----------
    net : ResBiLSTMClassifier
        Its ``loss``, ``focal_gamma``, ``cb_beta``, ``ldam_max_margin``, ``logit_tau``
        and fitted ``class_weight_``.
    class_counts : ndarray of shape (n_classes,)

    Returns
    -------
    criterion : torch.nn.CrossEntropyLoss
        None for ``loss="cross_entropy"`` (the ``criterion`` parameter is used).
    """
    weight = getattr(net, "class_weight_", None)
    loss = built_loss(net)
    if loss in _BUILT_FROM_COUNTS and class_counts is None:
        raise ValueError(f"{type(net).__name__}(loss={loss!r}) builds its loss from "
                         "the class counts of fit; fit it first.")
    if loss == "focal":
        return FocalLoss(net.focal_gamma, class_weight=weight)
    if loss == "ldam":
        return LDAMLoss(class_counts, net.ldam_max_margin, class_weight=weight)
    if loss == "balanced_softmax":
        return BalancedSoftmaxLoss(class_counts, weight=weight)
    if loss == "logit_adjusted":
        return LogitAdjustedLoss(class_counts, net.logit_tau, weight=weight)
    return None  # cross_entropy and class_balanced: a cross-entropy with class_weight_


def built_loss(net):
    """The ``loss`` the net's module and criterion are built for: the parameter's value
    at ``initialize`` (for a loaded model, at ``fit``), else the parameter.

    Parameters
    ----------
    net : ResBiLSTMClassifier

    Returns
    -------
    loss : str
    """
    return getattr(net, "loss_", net.loss)


# the settings that need the class counts (a class without samples has no log n_c)
def _uses_counts(net):
    return net.loss in _FITTED_FROM_COUNTS or bool(net.posthoc_tau)


def check_loss_params(net):
    """Refuse settings that contradict ``net.loss`` (before any data is seen).

    Parameters
    ----------
    net : ResBiLSTMClassifier
    """
    name = type(net).__name__
    if net.loss == "cross_entropy":
        return
    if net.criterion is not torch.nn.CrossEntropyLoss:
        raise ValueError(
            f"{name}(loss={net.loss!r}) builds its own criterion; it cannot be combined "
            f"with criterion={getattr(net.criterion, '__name__', net.criterion)!r}.  Use "
            "loss='cross_entropy' with a custom criterion.")
    routed = sorted(k for k in net.get_params_for("criterion"))
    if routed:
        raise ValueError(
            f"{name}(loss={net.loss!r}) takes its settings from its own parameters, "
            f"not from criterion__{routed[0]}.")


def fit_class_counts(net, codes):
    """Set ``net.class_counts_`` (and the class-balanced ``class_weight_``) from ``codes``.

    Parameters
    ----------
    net : ResBiLSTMClassifier
        With ``classes_`` fitted.
    codes : ndarray of int
        The encoded training labels of the ``fit`` that initialises the net.
    """
    counts = np.bincount(codes, minlength=len(net.classes_))
    net.class_counts_ = counts
    if _uses_counts(net) and not counts.all():
        missing = net.classes_[counts == 0]
        setting = (f"loss={net.loss!r}" if net.loss != "cross_entropy"
                   else f"posthoc_tau={net.posthoc_tau!r}")
        raise ValueError(
            f"{type(net).__name__}({setting}) uses the training count of every class, "
            f"but class {missing[0].item()!r} has no sample in y "
            f"({len(missing)} class(es) without samples).")
    if net.loss == "class_balanced":  # times the user's class weights, if any
        weights = class_balanced_weights(counts, net.cb_beta)
        net.class_weight_ = weights if net.class_weight_ is None \
            else weights * net.class_weight_


def posthoc_shift(net):
    """``-posthoc_tau * log(pi_c)`` as a float32 tensor, or None without adjustment.

    Parameters
    ----------
    net : ResBiLSTMClassifier
        Fitted.

    Returns
    -------
    shift : torch.Tensor of shape (n_classes,) or None
    """
    if not net.posthoc_tau:
        return None
    counts = getattr(net, "class_counts_", None)
    if counts is None or not np.all(np.asarray(counts) > 0):
        raise ValueError(
            f"{type(net).__name__}(posthoc_tau={net.posthoc_tau!r}) needs the training "
            "count of every class, but "
            + ("this net was not fitted (initialize() keeps no counts)" if counts is None
               else f"class {net.classes_[np.asarray(counts) == 0][0].item()!r} had no "
               "sample in the fit that initialised it")
            + "; refit, or set posthoc_tau=None.")
    counts = np.asarray(counts, dtype=np.float64)
    return _as_buffer(-float(net.posthoc_tau) * np.log(counts / counts.sum()))


def drw_active(net, epoch):
    """Whether LDAM's deferred re-weighting applies in ``epoch`` (1-based).

    Parameters
    ----------
    net : ResBiLSTMClassifier
    epoch : int

    Returns
    -------
    active : bool
    """
    start = default_drw_epoch(net.max_epochs) if net.drw_epoch is None else net.drw_epoch
    return epoch > start
