"""Saving a fitted pipeline as one file, with a JSON card beside it, and loading it back.

The file is in `skops <https://skops.readthedocs.io>`_' format, scikit-learn's secure
persistence: a zip of JSON and numpy arrays that is loaded without running pickle.
Every class the file names must be on an allow-list (:data:`TRUSTED_PREFIXES`); a file
naming anything else is refused.  The toolkit's torch estimators store their networks
as state dicts of numpy arrays (never as pickled torch objects), so a saved pipeline
holds nothing that runs on loading.

The card (``<file>.json``) says what the model is: its classes and their training
counts, its settings, the package versions it was saved with, its validation scores
and how long it trained.  Loading compares the versions with the installed ones and
warns, naming each difference.
"""

import json
import os
import time
import warnings
import zipfile

from ._versions import PACKAGES, package_versions

__all__ = ["TRUSTED_PREFIXES", "card_path", "load_model", "save_model"]

TRUSTED_PREFIXES = (
    "skvideo_imb.", "sklearn.", "imblearn.", "skorch.", "numpy.", "builtins.",
    "functools.partial", "collections.", "torch.optim.", "torch.nn.modules.",
    "torch.amp.grad_scaler.GradScaler", "torch.device", "torch.utils.data.dataloader",
    "torch.float", "torch.bfloat16", "torch.dtype",
)
"""Module prefixes of the types :func:`load_model` accepts in a model file."""

def card_path(path):
    """The card of a model file: ``model.skops`` → ``model.skops.json``."""
    return os.fspath(path) + ".json"


def save_model(model, path, *, card=None):
    """Save a fitted pipeline (or any estimator) and its card.

    Parameters
    ----------
    model : estimator
        Fitted.  Its featurizer is saved with its network's weights
        (``pickle_model=True``), so the file is complete without internet access.
    path : str or path-like
        The model file (``.skops`` by convention); the card is ``path + ".json"``.
    card : dict or None, default=None
        What to say about the model (classes, counts, settings, scores ...); the
        package versions and the time of saving are added.

    Returns
    -------
    card : dict
        The card as written.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skvideo_imb import load_model, save_model
    >>> model = LogisticRegression().fit(np.array([[0.0], [1.0]]), [0, 1])
    >>> path = os.path.join(tempfile.mkdtemp(), "model.skops")
    >>> card = save_model(model, path, card={"classes": [0, 1]})
    >>> load_model(path).predict([[0.9]]).tolist(), card["classes"], "versions" in card
    ([1], [0, 1], True)
    """
    import skops.io as sio

    featurizers = [step for step in _steps(model)
                   if "pickle_model" in step.get_params(deep=False)]
    before = [step.pickle_model for step in featurizers]
    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    try:  # the file holds the networks; the caller's estimators are left as they were
        for step in featurizers:
            step.set_params(pickle_model=True)
        sio.dump(model, path)
    finally:
        for step, value in zip(featurizers, before):
            step.set_params(pickle_model=value)
    card = {**(card or {}), "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "versions": package_versions(), "file": os.path.basename(path),
            "file_bytes": os.path.getsize(path)}
    with open(card_path(path), "w") as f:
        json.dump(card, f, indent=2, default=str)
    return card


def _steps(model):
    steps = [model]
    for _, step in getattr(model, "steps", []):
        steps.append(step)
        if hasattr(step, "estimator"):  # FrozenEstimator and other wrappers
            steps.append(step.estimator)
    return steps


def load_model(path, *, trusted=None):
    """Load a model saved by :func:`save_model`, checking its types and versions.

    Parameters
    ----------
    path : str or path-like
        The model file.
    trusted : sequence of str or None, default=None
        Further type names to accept, beyond :data:`TRUSTED_PREFIXES`.

    Returns
    -------
    model : estimator

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file is not a model file (damaged, truncated, another format), or names
        a type that is not trusted (the message lists them).

    Warns
    -----
    UserWarning
        When the card's package versions differ from the installed ones.

    Examples
    --------
    See :func:`save_model`.
    """
    import skops.io as sio

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"model file {path!r} does not exist.")
    try:
        untrusted = sio.get_untrusted_types(file=path)
    except (zipfile.BadZipFile, KeyError, ValueError, json.JSONDecodeError, OSError) as exc:
        raise ValueError(f"{path!r} is not a readable skvideo-imb model file (a skops "
                         f"file): {type(exc).__name__}: {exc}") from exc
    allowed = set(trusted or ())
    refused = [t for t in untrusted if t not in allowed and not t.startswith(TRUSTED_PREFIXES)]
    if refused:
        raise ValueError(f"{path!r} names types this loader does not trust: "
                         f"{', '.join(refused)}; pass trusted=[...] only if you trust "
                         "the file's source.")
    _check_versions(path)
    try:
        return sio.load(path, trusted=list(untrusted))
    except Exception as exc:  # a damaged member, an incompatible state ...
        raise ValueError(f"{path!r} could not be loaded as a model: "
                         f"{type(exc).__name__}: {exc}") from exc


def _check_versions(path):
    try:
        with open(card_path(path)) as f:
            saved = json.load(f).get("versions", {})
    except (OSError, ValueError):
        warnings.warn(f"{path!r} has no readable card ({card_path(path)!r}): its package "
                      "versions cannot be checked.", UserWarning, stacklevel=3)
        return
    installed = package_versions()
    differ = [f"{name} {saved[name]} (installed: {installed.get(name)})"
              for name in PACKAGES if name in saved and saved[name] != installed.get(name)]
    if differ:
        warnings.warn(f"{path!r} was saved with other package versions: "
                      f"{'; '.join(differ)}. It may load and predict differently.",
                      UserWarning, stacklevel=3)
