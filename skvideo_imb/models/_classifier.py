"""ResBiLSTMClassifier: the paper's temporal model as a skorch / scikit-learn classifier."""

import numpy as np
import torch
from skorch import NeuralNetClassifier
from skorch.utils import to_numpy
from sklearn.metrics import accuracy_score
from sklearn.utils.validation import _check_sample_weight

from .. import _runtime
from .._seeds import draw_seed
from ._callbacks import default_callbacks
from ._inputs import encode_labels, validate_sequences
from ._losses import fit_class_counts, posthoc_shift
from ._module import ResBiLSTM
from ._net_state import NetState
from ._params import PARAMETER_CONSTRAINTS, validate_params
from ._precision import MixedPrecision
from ._skorch_hooks import SkorchHooks

__all__ = ["ResBiLSTMClassifier"]


def _valid_accuracy(net, X, y):
    """Accuracy on skorch's internal validation set, whose targets are encoded labels."""
    return accuracy_score(y, net.predict_proba(X).argmax(axis=1))


class ResBiLSTMClassifier(NetState, MixedPrecision, SkorchHooks, NeuralNetClassifier):
    """Residual bidirectional LSTM classifier of frame-feature sequences (skorch net).

    The temporal model of Pouyanfar, Chen and Shyu (2018) (see
    :class:`~skvideo_imb.models.ResBiLSTM`) wrapped as a
    :class:`skorch.NeuralNetClassifier`: scikit-learn sees a classifier with
    ``fit``/``predict``/``predict_proba``/``score`` and ``classes_``, and every skorch
    parameter (``optimizer__*``, ``callbacks``, ``train_split``, ``iterator_train__*``,
    ``warm_start``, ``module__*``) keeps its meaning.  The module's input width and
    number of classes are taken from the data at ``fit``.

    X is either 3-D, ``(n_samples, n_frames, n_frame_features)``, or 2-D and frame-major,
    ``(n_samples, n_frames * n_frame_features)`` — what a featurizer, a scaler or SMOTE
    emits — and is then folded with ``n_frames``.  Any float or integer dtype is accepted
    and cast to float32.  Labels may be of any type that :class:`~sklearn.preprocessing.
    LabelEncoder` handles; the net is trained on their codes ``0 .. n_classes - 1``.

    Parameters
    ----------
    n_frames : int or None, default=None
        Number of time steps of each sample, used to fold 2-D input.  ``None`` accepts 3-D
        input only at ``fit`` (at prediction, 2-D input is then folded with the number of
        frames seen at ``fit``).  A 2-D width not divisible by ``n_frames`` is an error.
    hidden_size : int, default=1024
        LSTM units per direction.
    num_layers : int, default=2
        Number of stacked LSTM layers.
    bidirectional : bool, default=True
        Bidirectional LSTM layers.
    residual : bool, default=True
        Shortcut connections around every LSTM layer.  ``num_layers=1,
        bidirectional=False, residual=False`` is the paper's CNN-LSTM baseline.
    fc_size : int, default=1024
        Width of the hidden dense layer.
    dropout : float, default=0.5
        Dropout rate before the output layer.
    lstm_dropout : float, default=0.2
        Dropout rate on every LSTM layer's output (rate not stated in the paper).
    readout : {"ends", "last", "mean"}, default="ends"
        Which summary of the top layer's sequence the dense layers see (see
        :class:`~skvideo_imb.models.ResBiLSTM`): each direction's final state (the
        paper's Keras readout, the default), the last time step, or the mean over time.
    class_weight : dict, "balanced" or None, default=None
        Weights of the classes in the loss, with scikit-learn's meaning
        (:func:`sklearn.utils.class_weight.compute_class_weight`); dict keys are the
        original labels.  A ``criterion__weight`` parameter takes precedence.  With
        ``loss="class_balanced"``, and with LDAM's deferred re-weighting, these
        weights multiply the loss's own.
    loss : {"cross_entropy", "focal", "class_balanced", "ldam", "balanced_softmax", \
            "logit_adjusted"}, default="cross_entropy"
        The training loss on the logits ``z``, with ``n_c`` the number of training
        samples of class ``c`` and ``pi_c = n_c / N`` (see :ref:`long-tail`):

        - ``"cross_entropy"``: the paper's loss, weighted by ``class_weight``;
        - ``"focal"``: ``(1 - p) ** focal_gamma * CE_w`` averaged over the batch, with
          ``CE_w`` the cross-entropy weighted by ``class_weight`` and ``p = exp(-CE_w)``
          (Lin et al. 2017, in the softmax form of Cao et al.'s code);
        - ``"class_balanced"``: cross-entropy weighted by ``(1 - cb_beta) / (1 -
          cb_beta ** n_c)``, rescaled to sum to the number of classes (Cui et al. 2019);
        - ``"ldam"``: label-distribution-aware margins ``m_c ∝ n_c ** (-1/4)``, the
          largest ``ldam_max_margin``, subtracted from the true class's cosine logit
          before scaling by 30, on a normalised output layer; after ``drw_epoch``
          epochs, deferred re-weighting by class-balanced weights with beta 0.9999
          (LDAM-DRW, Cao et al. 2019);
        - ``"balanced_softmax"``: ``CE(z + log n_c)`` (Ren et al. 2020);
        - ``"logit_adjusted"``: ``CE(z + logit_tau * log pi_c)`` (Menon et al. 2021).

        The counts are those of ``y`` at the ``fit`` that initialises the net: behind
        an oversampler in a pipeline, the counts *after* resampling (balanced counts
        make ``class_balanced``, ``balanced_softmax``, ``logit_adjusted`` and
        ``posthoc_tau`` plain cross-entropy, and LDAM an equal-margin cosine loss).
        Sample weights do not change the counts.  A net made by :meth:`initialize`
        alone has no counts, so the count-based losses and ``posthoc_tau`` need a
        ``fit``.
    focal_gamma : float, default=1.0
        Focusing exponent of ``loss="focal"`` (1.0 as in Cao et al.'s experiments).
    cb_beta : float, default=0.9999
        ``beta`` of ``loss="class_balanced"``, in [0, 1).
    ldam_max_margin : float, default=0.5
        Margin of the smallest class for ``loss="ldam"``.
    drw_epoch : int or None, default=None
        With ``loss="ldam"``: the class-balanced weights apply from epoch
        ``drw_epoch + 1`` on (epochs counted over the net's history, so across
        ``partial_fit`` calls: set it explicitly there, as the default is computed
        from one call's ``max_epochs``).  ``None``: 80% of ``max_epochs``, as in Cao
        et al.'s code (160 of 200 epochs).  The validation loss (early stopping's)
        leaves the DRW weights out, so that it compares across the switch; early
        stopping may still end training before it.  Ignored by the other losses.
    logit_tau : float, default=1.0
        ``tau`` of ``loss="logit_adjusted"``.
    posthoc_tau : float or None, default=None
        Post-hoc logit adjustment (Menon et al. 2021) at prediction, for any loss:
        ``predict`` is the argmax of ``z - posthoc_tau * log pi_c`` and
        ``predict_proba`` the softmax of the same adjusted logits, which moves
        decisions towards rare classes.  ``None`` (or 0): no adjustment.  It may be
        set after ``fit`` (it changes no training), if every class had samples.
    sampler : {"class_balanced"} or None, default=None
        ``"class_balanced"``: training batches are drawn with replacement, each sample
        with probability proportional to ``1 / n_c`` of its class (PyTorch's
        :class:`~torch.utils.data.WeightedRandomSampler`), so that every class is
        equally frequent in expectation; an epoch is still ``len(X)`` samples.
        ``None``: every sample once per epoch, shuffled.
    weight_decay : float or None, default=3e-4
        L2 penalty passed to the optimiser (the paper's λ); ``optimizer__weight_decay``
        takes precedence and ``None`` passes nothing.
    precision : {"auto", "fp32", "bf16", "fp16"}, default="auto"
        Mixed-precision autocast of the forward pass (the loss is always computed in
        float32).  ``"auto"`` is bf16 on GPUs of compute capability 8.0 or more (fp16
        with gradient scaling on older ones) and fp32 on every CPU: PyTorch's CPU LSTM
        trains slower in bf16 even with native bf16 (``benchmarks/train_speed.py``; the
        table in :ref:`gpu`).  ``"bf16"`` also works on CPU; ``"fp16"`` needs CUDA.
    early_stopping : bool, default=False
        Stop when the validation loss has not improved for ``patience`` epochs and
        restore the best weights (skorch's :class:`~skorch.callbacks.EarlyStopping`).
        When ``train_split`` is None, a stratified ``validation_fraction`` of the
        training data is held out for it.  Behind
        :class:`~skvideo_imb.SpatioTemporalOverSampler` that data is the oversampled
        clips, so copies of one video can fall on both sides of the split and the
        validation loss is optimistic; hold out videos before the pipeline when the
        stopping point matters.
    validation_fraction : float, default=0.1
        Share of the training data held out when ``early_stopping`` and no
        ``train_split`` are given.
    patience : int, default=10
        Epochs without improvement of the validation loss before stopping.
    random_state : int, RandomState instance or None, default=None
        Seeds weight initialisation, dropout, shuffling and the early-stopping split, so
        that fits on CPU are reproducible; the global torch random state is left as it
        was.  CUDA kernels may still be non-deterministic.
    module : type, default=ResBiLSTM
        The torch module class; it receives ``input_size``, ``n_classes`` and the
        architecture parameters above, overridden by any ``module__*`` parameter.
    criterion : type, default=torch.nn.CrossEntropyLoss
        Loss on the module's logits.
    optimizer : type, default=torch.optim.Adam
        The paper's optimiser.
    lr : float, default=1e-3
        Learning rate.  Not the paper's 1e-6 (see ``PAPER_PARAMS``): at that rate a model
        needs hundreds of epochs on tens of thousands of sequences, and a user fitting
        a few hundred sequences would see no learning within ``max_epochs``.
    max_epochs : int, default=30
        Number of passes over the training data.
    batch_size : int, default=32
        Mini-batch size (the paper does not state one); small enough that a data set of
        a few hundred sequences gives enough optimiser steps in ``max_epochs``.
    train_split : callable or None, default=None
        skorch's internal validation split; ``None`` trains on all the data, as a
        scikit-learn user expects (cross-validate outside).
    device : str or torch.device, default="auto"
        ``"auto"`` is the current CUDA device when CUDA is available, else the CPU; the
        parameter keeps its value and the device used is ``device_``.  A CUDA device
        without CUDA is an error at ``fit``; a classifier fitted on a GPU and loaded on
        a machine without one runs on the CPU, with a warning.
    verbose : int, default=0
        ``1``: skorch's per-epoch table (one line per epoch, on standard output) is the
        progress of training; ``0``: silent (:ref:`progress`).  For one line every few
        epochs instead, keep ``0`` and pass ``callbacks=[EpochProgress()]``.
    classes : array-like or None, default=None
        All labels, when ``y`` at ``fit`` may not show all of them.
    **kwargs
        Any other :class:`skorch.NeuralNet` parameter, e.g. ``callbacks``,
        ``warm_start``, ``iterator_train__num_workers`` or ``optimizer__betas``.
        Training batches are shuffled unless ``iterator_train__shuffle=False``.

    Attributes
    ----------
    module_ : ResBiLSTM
        The fitted torch module.
    classes_ : ndarray of shape (n_classes,)
        The original labels, sorted; ``predict`` returns them.
    label_encoder_ : sklearn.preprocessing.LabelEncoder
        Maps labels to the codes the net is trained on.
    class_weight_ : ndarray of shape (n_classes,) or None
        Loss weight of each class of ``classes_`` (the class-balanced weights for
        ``loss="class_balanced"``).
    loss_ : str
        The ``loss`` the module and criterion were built for (a ``loss`` set after
        ``fit`` takes effect at the next ``fit``).
    class_counts_ : ndarray of shape (n_classes,)
        Training samples of each class of ``classes_`` at the ``fit`` that initialised
        the net: the ``n_c`` of the count-based losses and of ``posthoc_tau``.
    n_features_in_ : int
        Width of the flattened input, ``n_frames_ * n_frame_features_``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, only when X at ``fit`` was a 2-D frame with string column names.
    n_frames_ : int
        Time steps per sample seen at ``fit``.
    n_frame_features_ : int
        Features per time step (the module's ``input_size``).
    history_ : skorch.history.History
        Per-epoch record of losses and scores.
    device_ : torch.device
        The device the module runs on.
    precision_ : str
        The resolved precision (``"fp32"``, ``"bf16"`` or ``"fp16"``).
    grad_scaler_ : torch.amp.GradScaler
        Loss scaling of fp16 training (disabled for other precisions); kept across
        ``partial_fit`` calls.
    seed_ : int or None
        The seed drawn from ``random_state`` for the last ``fit``; it seeds the
        initialisation, dropout, shuffling and the early-stopping split.

    See Also
    --------
    skvideo_imb.models.ResBiLSTM : The torch module.
    skorch.NeuralNetClassifier : The parent class and its parameters.

    Notes
    -----
    Sample weights multiply the per-sample losses; a mini-batch loss is
    ``sum(w_i c_i l_i) / sum(w_i c_i)`` for sample weights ``w``, class weights ``c``
    and per-sample losses ``l``, which reduces to PyTorch's weighted mean without
    sample weights.  Adam's ``weight_decay`` adds ``weight_decay * w`` to each gradient.

    Callbacks score skorch's internal validation set with targets encoded as
    ``0 .. n_classes - 1``: a custom :class:`~skorch.callbacks.EpochScoring` should score
    ``net.predict_proba(X).argmax(1)``, as the default ``valid_acc`` does.

    **Threads.**  As in scikit-learn, ``fit`` and ``partial_fit`` mutate the estimator;
    a fitted classifier's ``predict`` and ``predict_proba`` may be called from several
    threads at once (PyTorch's inference on a module in eval mode reads its weights
    only).

    References
    ----------
    .. [1] S. Pouyanfar, S.-C. Chen and M.-L. Shyu, "Deep Spatio-Temporal Representation
       Learning for Multi-Class Imbalanced Data Classification", IEEE IRI 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb.models import ResBiLSTMClassifier
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(20, 5 * 3))          # 20 sequences, 5 frames x 3 features
    >>> y = np.array(["walk", "run"] * 10)
    >>> clf = ResBiLSTMClassifier(n_frames=5, hidden_size=4, fc_size=4, max_epochs=2,
    ...                           random_state=0).fit(X, y)
    >>> clf.classes_
    array(['run', 'walk'], dtype='<U4')
    >>> clf.predict_proba(X[:2]).shape
    (2, 2)
    >>> clf.predict(X.reshape(20, 5, 3)[:2]).shape  # 3-D input works too
    (2,)
    """

    _parameter_constraints = PARAMETER_CONSTRAINTS

    def __init__(
        self,
        n_frames=None,
        *,
        hidden_size=1024,
        num_layers=2,
        bidirectional=True,
        residual=True,
        fc_size=1024,
        dropout=0.5,
        lstm_dropout=0.2,
        readout="ends",
        class_weight=None,
        loss="cross_entropy",
        focal_gamma=1.0,
        cb_beta=0.9999,
        ldam_max_margin=0.5,
        drw_epoch=None,
        logit_tau=1.0,
        posthoc_tau=None,
        sampler=None,
        weight_decay=3e-4,
        precision="auto",
        early_stopping=False,
        validation_fraction=0.1,
        patience=10,
        random_state=None,
        module=ResBiLSTM,
        criterion=torch.nn.CrossEntropyLoss,
        optimizer=torch.optim.Adam,
        lr=1e-3,
        max_epochs=30,
        batch_size=32,
        train_split=None,
        device="auto",
        verbose=0,
        classes=None,
        **kwargs,
    ):
        super().__init__(
            module, criterion=criterion, optimizer=optimizer, lr=lr,
            max_epochs=max_epochs, batch_size=batch_size, train_split=train_split,
            device=device, verbose=verbose, classes=classes, **kwargs,
        )
        self.n_frames = n_frames
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.bidirectional = bidirectional
        self.residual = residual
        self.fc_size = fc_size
        self.dropout = dropout
        self.lstm_dropout = lstm_dropout
        self.readout = readout
        self.class_weight = class_weight
        self.loss = loss
        self.focal_gamma = focal_gamma
        self.cb_beta = cb_beta
        self.ldam_max_margin = ldam_max_margin
        self.drw_epoch = drw_epoch
        self.logit_tau = logit_tau
        self.posthoc_tau = posthoc_tau
        self.sampler = sampler
        self.weight_decay = weight_decay
        self.precision = precision
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.patience = patience
        self.random_state = random_state

    # ------------------------------------------------------------------ sklearn API
    def _get_param_names(self):
        # skorch lists every attribute without a trailing underscore, its own
        # bookkeeping set of prefixed arguments included; that set is no parameter
        return [k for k in super()._get_param_names() if k != "_params_to_validate"]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        tags.non_deterministic = self.random_state is None
        return tags

    @property
    def classes_(self):
        if hasattr(self, "label_encoder_"):
            return self.label_encoder_.classes_
        if self.classes is not None and len(self.classes):
            return np.unique(self.classes)
        raise AttributeError(f"{type(self).__name__} has no attribute 'classes_' before fit.")

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Initialise the module from the data (unless ``warm_start``) and train it.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_frames, n_frame_features) or \
                (n_samples, n_frames * n_frame_features)
            Feature sequences; 2-D input is folded with ``n_frames``.
        y : array-like of shape (n_samples,)
            Labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample loss weights, combined with ``class_weight``.
        **fit_params : dict
            Passed on to skorch (module forward and ``train_split``).

        Returns
        -------
        self : ResBiLSTMClassifier
        """
        reset = not (self.warm_start and self.initialized_)
        return self._fit(X, y, sample_weight, reset, "fit", fit_params)

    def partial_fit(self, X, y, classes=None, sample_weight=None, **fit_params):
        """Train for ``max_epochs`` more epochs, initialising the module on the first call.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_frames, n_frame_features) or \
                (n_samples, n_frames * n_frame_features)
            Feature sequences.
        y : array-like of shape (n_samples,)
            Labels.
        classes : array-like of shape (n_classes,), default=None
            All labels, needed on the first call when ``y`` does not show all of them.
        sample_weight : array-like of shape (n_samples,), default=None
            Per-sample loss weights.
        **fit_params : dict
            Passed on to skorch.

        Returns
        -------
        self : ResBiLSTMClassifier
        """
        reset = not self.initialized_
        return self._fit(X, y, sample_weight, reset, "partial_fit", fit_params, classes)

    def predict_proba(self, X):
        """Class probabilities (softmax of the logits), columns ordered as ``classes_``.

        With ``posthoc_tau``, the softmax of the adjusted logits ``z - posthoc_tau *
        log pi_c``, so that ``predict`` is their argmax.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_frames, n_frame_features) or \
                (n_samples, n_frames * n_frame_features)

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes), dtype float32
        """
        self.check_is_fitted()
        nonlinearity = self._get_predict_nonlinearity()
        shift = posthoc_shift(self)  # None, or -posthoc_tau * log(pi) per class
        # outputs are gathered on the CPU; skorch's scoring callbacks replace
        # forward_iter by a cached one whose default device would be the parameter
        batches = self.forward_iter(X, training=False, device="cpu")
        return np.concatenate([
            to_numpy(nonlinearity(logits if shift is None else logits + shift))
            for logits in batches])

    def predict(self, X):
        """Most probable label of each sample.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_frames, n_frame_features) or \
                (n_samples, n_frames * n_frame_features)

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.
        """
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    # ------------------------------------------------------------------ fitting
    def _fit(self, X, y, sample_weight, reset, method, fit_params, classes=None):
        if reset:
            validate_params(self)
        X = validate_sequences(self, X, reset=reset)
        y = encode_labels(self, X, y, reset=reset, classes=classes)
        if reset:
            fit_class_counts(self, y)
        data = {"X": X}
        if sample_weight is not None:
            data["sample_weight"] = _check_sample_weight(
                sample_weight, X, dtype=np.float32, ensure_non_negative=True)
        self.seed_ = None if self.random_state is None else draw_seed(self.random_state)
        # initialisation, dropout and shuffling draw from the CPU generator and the
        # fit's GPU only; both are seeded here and restored afterwards
        device = _runtime.resolve_device(self.device) if reset else self.device_
        with _runtime.seeded(self.seed_, device):
            if reset:
                self.initialize()
            super().partial_fit(data, y, _routing_method=method, **fit_params)
        # fitted in evaluation mode, the mode predict uses: predict then changes nothing
        self._set_training(False)
        return self

    # ------------------------------------------------------------------ skorch hooks
    def initialize(self):
        """Initialise callbacks, module, criterion and optimiser; returns self.

        Outside ``fit`` the module needs ``module__input_size`` and ``module__n_classes``
        (or ``classes``), e.g. before :meth:`load_params`.

        Returns
        -------
        self : ResBiLSTMClassifier
        """
        validate_params(self)
        self.device_ = _runtime.resolve_device(self.device)
        self.loss_ = self.loss  # what the components are built for, whatever is set later
        self._initialize_precision()
        with self._resolved_device():  # skorch places the components on `device`
            return super().initialize()

    @property
    def _default_callbacks(self):
        return default_callbacks(super()._default_callbacks, _valid_accuracy,
                                 self.early_stopping, self.patience)
