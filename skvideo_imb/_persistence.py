"""Saving a fitted pipeline as one file, with a JSON card beside it, and loading it back.

The file is in `skops <https://skops.readthedocs.io>`_' format: a zip of a JSON tree
and numpy arrays.  skops builds objects from the names the tree holds, so a model file
from someone else is treated as hostile until checked.  :func:`load_model` reads the
file once, audits it without building anything (:mod:`skvideo_imb._model_audit`:
an exact allow-list of (loader, name) pairs, no pickled state, no foreign callables,
resource limits, no unexpected zip members), and only then lets skops build it from
the same bytes.  A loaded model writes to no path named by the file: its feature cache
and pipeline memory are reset to none.

What it does not promise: a file that passes the audit is a valid *toolkit* model, not
a *good* one (its weights may be anything, and its predictions with them); a pickle or
joblib file is code and is never read here.

The card (``<file>.json``) says what the model is: its classes and their training
counts, its settings, the package versions it was saved with, its validation scores
and how long it trained.  Loading compares the versions with the installed ones and
warns, naming each difference; a card that is present but damaged is an error.
"""

import json
import os
import time
import uuid
import warnings

from ._model_audit import LIMITS, TRUSTED_NODES, TRUSTED_TYPES, audit_model_file, json_depth
from ._steps import featurizers, walk_steps
from ._versions import PACKAGES, package_versions

__all__ = ["LIMITS", "TRUSTED_NODES", "TRUSTED_TYPES", "card_path", "inspect_model",
           "load_model", "save_model"]

_MAX_CARD_BYTES = 16 * 2 ** 20


def card_path(path):
    """The card of a model file: ``model.skops`` → ``model.skops.json``."""
    return os.fspath(path) + ".json"


def save_model(model, path, *, card=None):
    """Save a fitted pipeline (or one of the toolkit's estimators) and its card.

    Both files are written to temporary files beside their targets and renamed into
    place, so an interrupted save leaves the previous model and card as they were.

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
    >>> from skvideo_imb import ResBiLSTMClassifier, load_model, save_model
    >>> X = np.random.RandomState(0).normal(size=(8, 3, 4)).astype(np.float32)
    >>> clf = ResBiLSTMClassifier(hidden_size=4, fc_size=4, max_epochs=1,
    ...                           random_state=0).fit(X, [0, 1] * 4)
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "model.skops")
    >>> card = save_model(clf, path, card={"note": "a test"})
    >>> bool((load_model(path).predict_proba(X) == clf.predict_proba(X)).all())
    True
    >>> card["note"], "versions" in card
    ('a test', True)
    >>> tmp.cleanup()
    """
    import skops.io as sio

    steps = featurizers(model)
    before = [step.pickle_model for step in steps]
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    temporary = []
    try:
        model_tmp = _temporary(folder, path, temporary)
        try:  # the file holds the networks; the caller's estimators are left as they were
            for step in steps:
                step.set_params(pickle_model=True)
            sio.dump(model, model_tmp)
        finally:
            for step, value in zip(steps, before):
                step.set_params(pickle_model=value)
        _fsync(model_tmp)
        card = {**(card or {}), "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
                "versions": package_versions(), "file": os.path.basename(path),
                "file_bytes": os.path.getsize(model_tmp)}
        card_tmp = _temporary(folder, card_path(path), temporary)
        with open(card_tmp, "w") as f:
            json.dump(card, f, indent=2, default=str)
        _fsync(card_tmp)
        os.replace(model_tmp, path)
        os.replace(card_tmp, card_path(path))
        temporary.clear()
    finally:
        for leftover in temporary:
            try:
                os.unlink(leftover)
            except OSError:
                pass
    return card


def _temporary(folder, target, registry):
    """A new, empty file beside ``target`` with the permissions the umask gives."""
    while True:
        name = os.path.join(folder, f".{os.path.basename(target)}.{uuid.uuid4().hex[:12]}.tmp")
        try:
            os.close(os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
        except FileExistsError:
            continue
        registry.append(name)
        return name


def _fsync(name):
    with open(name, "rb") as f:
        os.fsync(f.fileno())


def _read_model_bytes(path):
    path = os.fspath(path)
    if os.path.isdir(path):
        raise ValueError(f"{path!r} is a directory, not a model file.")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"model file {path!r} does not exist.")
    size = os.path.getsize(path)
    if size > LIMITS["max_total_bytes"]:
        raise ValueError(f"{path!r} holds {size} bytes, over the limit of "
                         f"{LIMITS['max_total_bytes']} for a model file.")
    with open(path, "rb") as f:
        return f.read()


def _read_card(path):
    """The card beside ``path`` as a dict, None when there is none; ValueError if damaged."""
    name = card_path(path)
    if not os.path.exists(name):
        return None
    try:
        if not os.path.isfile(name):
            raise ValueError("not a file")
        if os.path.getsize(name) > _MAX_CARD_BYTES:
            raise ValueError(f"over {_MAX_CARD_BYTES} bytes")
        with open(name, "rb") as f:
            text = f.read()
        if json_depth(text) > LIMITS["max_json_depth"]:
            raise ValueError(f"nests deeper than {LIMITS['max_json_depth']} levels")
        card = json.loads(text)
    except (OSError, ValueError) as exc:
        raise ValueError(f"the card {name!r} is damaged: {exc}") from None
    if not isinstance(card, dict):
        raise ValueError(f"the card {name!r} is not a JSON object "
                         f"(it holds a {type(card).__name__}).")
    versions = card.get("versions", {})
    if not isinstance(versions, dict) or not all(
            isinstance(v, (str, type(None))) for v in versions.values()):
        raise ValueError(f"the card {name!r} is damaged: 'versions' is not an object of "
                         "version strings.")
    return card


def inspect_model(path, *, trusted=None):
    """What a model file names and whether :func:`load_model` would load it; builds nothing.

    Parameters
    ----------
    path : str or path-like
        The model file.
    trusted : sequence of str or None, default=None
        Further full names to accept, as for :func:`load_model`.

    Returns
    -------
    report : dict
        ``"card"`` (the card, or None), ``"card_problem"`` (why the card cannot be read,
        or None), ``"names"`` (a list of ``{"name", "loader", "count", "trusted"}``),
        ``"accepted"`` (bool) and ``"problems"`` (every reason to refuse the file).

    Raises
    ------
    FileNotFoundError
        If the file does not exist.

    Examples
    --------
    >>> import os, tempfile
    >>> from skvideo_imb import inspect_model
    >>> tmp = tempfile.TemporaryDirectory()
    >>> path = os.path.join(tmp.name, "model.skops")
    >>> with open(path, "wb") as f:
    ...     _ = f.write(b"PK junk")
    >>> report = inspect_model(path)
    >>> report["accepted"], report["problems"]
    (False, ['not a skops model file (not a zip archive)'])
    >>> tmp.cleanup()
    """
    data = _read_model_bytes(path)
    audit = audit_model_file(data, trusted=trusted or ())
    extra = set(trusted or ())
    try:
        card, card_problem = _read_card(path), None
    except ValueError as exc:
        card, card_problem = None, str(exc)
    names = [{"name": name, "loader": loader, "count": count,
              "trusted": (loader, name) in TRUSTED_NODES or name in extra}
             for (loader, name), count in sorted(audit.nodes.items(),
                                                 key=lambda kv: (kv[0][1], kv[0][0]))]
    problems = list(audit.problems) + ([card_problem] if card_problem else [])
    return {"path": os.fspath(path), "card": card, "card_problem": card_problem,
            "protocol": audit.protocol, "names": names, "accepted": not problems,
            "problems": problems}


def load_model(path, *, trusted=None):
    """Load a model saved by :func:`save_model`, checking it before anything is built.

    The file is read once.  Its tree is audited without importing or calling anything
    it names: every (loader, name) pair must be on :data:`TRUSTED_NODES` (or in
    ``trusted``), dict keys are ``str`` or ``int``, the classifier carries its networks
    as arrays (never skorch's pickled state), the featurizer carries its network, the
    zip holds only the tree and the arrays it refers to, and everything stays within
    :data:`LIMITS`.  Only then does skops build the model, from the same bytes.  The
    loaded model writes nowhere the file says: every featurizer's ``cache`` and every
    pipeline's ``memory`` is set to None (set a cache again with ``set_params``).

    Parameters
    ----------
    path : str or path-like
        The model file.
    trusted : sequence of str or None, default=None
        Further full names (``"module.Class"``) to accept.  Pass only names you know,
        for a file whose source you trust: skops imports and may call each of them.

    Returns
    -------
    model : estimator

    Raises
    ------
    FileNotFoundError
        If the file does not exist.
    ValueError
        If the file is refused (the message names every reason: untrusted names,
        pickled state, limits, unexpected members, a damaged zip), if its card is
        damaged, or if skops cannot build it.

    Warns
    -----
    UserWarning
        When there is no card, or its package versions differ from the installed ones.

    Examples
    --------
    See :func:`save_model`.
    """
    import skops.io as sio

    path = os.fspath(path)
    data = _read_model_bytes(path)
    audit = audit_model_file(data, trusted=trusted or ())
    if audit.problems:
        hint = ("; pass trusted=[...] only for names you know, from a source you trust"
                if audit.untrusted else "")
        raise ValueError(f"{path!r} is refused: {'; '.join(audit.problems)}{hint}.")
    card = _read_card(path)
    _check_versions(path, card)
    try:
        model = sio.loads(data, trusted=audit.names)
    except Exception as exc:  # a damaged member, an inconsistent state ...
        raise ValueError(f"{path!r} could not be loaded as a model: "
                         f"{type(exc).__name__}: {exc}") from exc
    for step in walk_steps(model):  # the file never decides where this process writes
        params = step.get_params(deep=False)
        if "pickle_model" in params and params.get("cache") is not None:
            step.set_params(cache=None)  # a featurizer's feature cache
        if params.get("memory") is not None:
            step.set_params(memory=None)  # a pipeline's
    return model


def _check_versions(path, card):
    if card is None:
        warnings.warn(f"{path!r} has no card ({card_path(path)!r}): its package "
                      "versions cannot be checked.", UserWarning, stacklevel=3)
        return
    saved = card.get("versions", {})
    installed = package_versions()
    differ = [f"{name} {saved[name]} (installed: {installed.get(name)})"
              for name in PACKAGES if name in saved and saved[name] != installed.get(name)]
    if differ:
        warnings.warn(f"{path!r} was saved with other package versions: "
                      f"{'; '.join(differ)}. It may load and predict differently.",
                      UserWarning, stacklevel=3)
