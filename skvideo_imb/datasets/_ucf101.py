"""Loading UCF101 from its own folder layout and split files."""

import os

import numpy as np
from sklearn.utils import Bunch

from ._imbalance import make_imbalanced_subset

__all__ = ["load_ucf101"]

_VIDEO_DIR = "UCF-101"
_SPLIT_DIR = "ucfTrainTestlist"
_SPLITS = (1, 2, 3)


def _lines(path):
    """Non-empty, stripped lines of a split file (the real files use CRLF endings)."""
    if not os.path.isfile(path):
        raise FileNotFoundError(f"UCF101 split file {path!r} does not exist.")
    with open(path, encoding="utf-8") as f:
        return [(number, line.strip()) for number, line in enumerate(f, start=1)
                if line.strip()]


def _read_class_index(path):
    """``classInd.txt``: lines ``"1 ApplyEyeMakeup"`` -> {1: "ApplyEyeMakeup", ...}."""
    classes = {}
    for number, line in _lines(path):
        parts = line.split()
        if len(parts) != 2 or not parts[0].isdigit():
            raise ValueError(f"{path!r} line {number}: expected '<index> <ClassName>', "
                             f"got {line!r}.")
        index, name = int(parts[0]), parts[1]
        if index in classes or name in classes.values():
            raise ValueError(f"{path!r} line {number}: class {index} {name!r} is listed "
                             "twice.")
        classes[index] = name
    if not classes:
        raise ValueError(f"{path!r} lists no classes.")
    return classes


def _read_split_list(path, classes, with_labels):
    """A train/test list -> (relative paths, class names), checked against classInd."""
    names = set(classes.values())
    videos, target = [], []
    for number, line in _lines(path):
        parts = line.split()
        if len(parts) != (2 if with_labels else 1):
            expected = "'<Class>/<video>.avi <index>'" if with_labels else \
                "'<Class>/<video>.avi'"
            raise ValueError(f"{path!r} line {number}: expected {expected}, got {line!r}.")
        relative = parts[0]
        folder = relative.replace("\\", "/").split("/")[0]
        if folder not in names:
            raise ValueError(f"{path!r} line {number}: {relative!r} is in folder "
                             f"{folder!r}, which is not a class of classInd.txt.")
        if with_labels:
            index = int(parts[1]) if parts[1].isdigit() else None
            if classes.get(index) != folder:
                raise ValueError(f"{path!r} line {number}: label {parts[1]!r} does not "
                                 f"match the class folder {folder!r} of {relative!r}.")
        videos.append(relative)
        target.append(folder)
    if not videos:
        raise ValueError(f"{path!r} lists no videos.")
    return videos, np.asarray(target, dtype=str)


def _absolute(video_dir, relative, check_files):
    paths = [os.path.join(video_dir, *r.replace("\\", "/").split("/")) for r in relative]
    if check_files:
        missing = [p for p in paths if not os.path.isfile(p)]
        if missing:
            raise FileNotFoundError(
                f"{len(missing)} video(s) listed in the UCF101 split files are missing "
                f"under {video_dir!r}, e.g. {missing[0]!r}.")
    return paths


def load_ucf101(root, split=1, *, imbalanced=False, min_per_class=10, random_state=None,
                check_files=True, return_X_y=False):
    """Load the train and test sets of one of UCF101's three official splits.

    ``root`` must hold UCF101 as distributed: the videos in
    ``root/UCF-101/<Class>/v_<Class>_gXX_cYY.avi`` and the split files in
    ``root/ucfTrainTestlist/``: ``classInd.txt`` (lines ``"1 ApplyEyeMakeup"``),
    ``trainlist0N.txt`` (lines ``"ApplyEyeMakeup/v_ApplyEyeMakeup_g08_c01.avi 1"``) and
    ``testlist0N.txt`` (lines ``"ApplyEyeMakeup/v_ApplyEyeMakeup_g01_c01.avi"``).  The
    class of a test video is its folder; in the training list the folder and the
    numeric label must agree.  Nothing is downloaded and no video is decoded.

    With ``imbalanced=True`` the training set is shrunk with
    :func:`make_imbalanced_subset` (each class keeps a random number of its videos
    between ``min_per_class`` and its size), the protocol of Pouyanfar et al. (2018),
    who used split 1.  The test set is never changed.

    Parameters
    ----------
    root : str or path-like
        Folder that contains ``UCF-101/`` and ``ucfTrainTestlist/``.
    split : {1, 2, 3}, default=1
        Which official train/test split to load.
    imbalanced : bool, default=False
        Apply the imbalance protocol to the training set.
    min_per_class : int, default=10
        Smallest class size of the imbalanced training set.
    random_state : int, RandomState instance or None, default=None
        Seed of the imbalance protocol; unused when ``imbalanced=False``.
    check_files : bool, default=True
        Check that every listed video exists.
    return_X_y : bool, default=False
        If True, return ``(X_train, X_test, y_train, y_test)``, in the order of
        :func:`sklearn.model_selection.train_test_split`.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With attributes

        train, test : Bunch
            Each with ``videos`` (list of str, absolute paths under ``UCF-101/`` in the
            order of the split file) and ``target`` (ndarray of str, class names).
        target_names : ndarray of shape (101,), dtype str
            Class names in the order of ``classInd.txt`` (index ``i`` is label
            ``i + 1`` there).
        split : int
            The split loaded.
    (X_train, X_test, y_train, y_test) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    ValueError
        If ``split`` is not 1, 2 or 3, or a split file is malformed or names a class
        that ``classInd.txt`` lacks.
    FileNotFoundError
        If ``root``, ``UCF-101/``, a split file, or (with ``check_files``) a listed
        video is missing.

    Examples
    --------
    A two-class stand-in for the real data set, with empty files as videos:

    >>> import os, tempfile
    >>> from skvideo_imb.datasets import load_ucf101
    >>> tmp = tempfile.TemporaryDirectory()
    >>> root = tmp.name
    >>> lists = os.path.join(root, "ucfTrainTestlist")
    >>> os.makedirs(lists)
    >>> for c in ("Biking", "Drumming"):
    ...     os.makedirs(os.path.join(root, "UCF-101", c))
    ...     for g in (1, 8):
    ...         name = f"v_{c}_g{g:02d}_c01.avi"
    ...         open(os.path.join(root, "UCF-101", c, name), "w").close()
    >>> with open(os.path.join(lists, "classInd.txt"), "w") as f:
    ...     _ = f.write("1 Biking\\n2 Drumming\\n")
    >>> with open(os.path.join(lists, "trainlist01.txt"), "w") as f:
    ...     _ = f.write("Biking/v_Biking_g08_c01.avi 1\\n"
    ...                 "Drumming/v_Drumming_g08_c01.avi 2\\n")
    >>> with open(os.path.join(lists, "testlist01.txt"), "w") as f:
    ...     _ = f.write("Biking/v_Biking_g01_c01.avi\\nDrumming/v_Drumming_g01_c01.avi\\n")
    >>> data = load_ucf101(root, split=1)
    >>> data.target_names.tolist(), data.train.target.tolist()
    (['Biking', 'Drumming'], ['Biking', 'Drumming'])
    >>> os.path.relpath(data.test.videos[1], root)
    'UCF-101/Drumming/v_Drumming_g01_c01.avi'
    >>> import shutil; shutil.rmtree(root)
    >>> tmp.cleanup()
    """
    if isinstance(split, bool) or split not in _SPLITS:
        raise ValueError(f"split must be 1, 2 or 3 (UCF101's official splits), "
                         f"got {split!r}.")
    split = int(split)
    root = os.fspath(root)
    if not os.path.isdir(root):
        raise FileNotFoundError(f"UCF101 root {root!r} does not exist or is not a folder.")
    video_dir = os.path.join(root, _VIDEO_DIR)
    split_dir = os.path.join(root, _SPLIT_DIR)
    for folder in (video_dir, split_dir):
        if not os.path.isdir(folder):
            raise FileNotFoundError(
                f"UCF101 folder {folder!r} does not exist; {root!r} must contain "
                f"{_VIDEO_DIR}/ (the videos) and {_SPLIT_DIR}/ (the split files).")

    classes = _read_class_index(os.path.join(split_dir, "classInd.txt"))
    train_rel, y_train = _read_split_list(
        os.path.join(split_dir, f"trainlist0{split}.txt"), classes, with_labels=True)
    test_rel, y_test = _read_split_list(
        os.path.join(split_dir, f"testlist0{split}.txt"), classes, with_labels=False)
    X_train = _absolute(os.path.abspath(video_dir), train_rel, check_files)
    X_test = _absolute(os.path.abspath(video_dir), test_rel, check_files)

    if imbalanced:
        X_train, y_train = make_imbalanced_subset(
            X_train, y_train, min_per_class=min_per_class, random_state=random_state)
    if return_X_y:
        return X_train, X_test, y_train, y_test
    target_names = np.asarray([classes[i] for i in sorted(classes)], dtype=str)
    return Bunch(train=Bunch(videos=X_train, target=y_train),
                 test=Bunch(videos=X_test, target=y_test),
                 target_names=target_names, split=split)
