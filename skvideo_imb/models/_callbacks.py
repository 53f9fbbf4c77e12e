"""skorch callbacks of the toolkit."""

import numpy as np
from skorch.callbacks import Callback, EarlyStopping, EpochScoring

from .._progress import write_line

__all__ = ["EpochProgress", "default_callbacks"]


class EpochProgress(Callback):
    """One short progress line every ``every`` epochs (skorch's own table is long).

    Part of the package's progress policy (:ref:`progress`): use it with ``verbose=0``
    (no skorch table) for a line every few epochs instead of one per epoch.

    Parameters
    ----------
    log : callable or None, default=None
        Receives each line; ``None`` writes it to standard error, silenced under the
        commands' ``--quiet``.
    every : int, default=10
        Epochs between two lines; the last epoch always gets one.

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb.models import EpochProgress, ResBiLSTMClassifier
    >>> lines = []
    >>> X, y = np.random.RandomState(0).normal(size=(8, 3, 2)), [0, 1] * 4
    >>> _ = ResBiLSTMClassifier(hidden_size=2, fc_size=2, max_epochs=3, random_state=0,
    ...                         callbacks=[EpochProgress(lines.append, every=2)]).fit(X, y)
    >>> [line.split()[1] for line in lines]
    ['2/3', '3/3']
    """

    def __init__(self, log=None, every=10):
        self.log = log
        self.every = every

    def on_epoch_end(self, net, **kwargs):
        epoch = net.history[-1]
        if epoch["epoch"] % self.every == 0 or epoch["epoch"] == net.max_epochs:
            extra = "".join(f" {k}={epoch[k]:.3f}" for k in ("valid_loss", "valid_acc")
                            if k in epoch)
            line = (f"    epoch {epoch['epoch']}/{net.max_epochs} "
                    f"train_loss={epoch['train_loss']:.3f}{extra} ({epoch['dur']:.2f}s)")
            (self.log or write_line)(line)


def default_callbacks(callbacks, valid_accuracy, early_stopping, patience):
    """The classifier's default callbacks: skorch's ``callbacks`` with its validation
    accuracy computed by ``valid_accuracy`` (skorch's own would compare encoded targets
    with labels), plus, when ``early_stopping`` is a real True (``set_params`` may set
    anything before it is validated), early stopping on the validation loss that keeps
    the best epoch's weights."""
    callbacks = [
        (name, EpochScoring(valid_accuracy, name="valid_acc", lower_is_better=False)
         if name == "valid_acc" else callback)
        for name, callback in callbacks
    ]
    if isinstance(early_stopping, (bool, np.bool_)) and early_stopping:
        callbacks.append(("early_stopping", EarlyStopping(
            monitor="valid_loss", patience=patience, load_best=True)))
    return callbacks
