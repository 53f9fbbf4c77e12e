"""What a ``DATA`` argument names: the built-in synthetic set, UCF101, or a folder."""

from typing import NamedTuple

import numpy as np

__all__ = ["DataSpec", "class_counts", "parse_data_spec"]


class DataSpec(NamedTuple):
    """A parsed ``DATA`` argument: ``kind`` and ``location`` (a path, or a skew's name)."""

    kind: str
    location: str = None


def parse_data_spec(spec, *, synthetic=True):
    """Read ``"synthetic"``, ``"synthetic:SKEW"``, ``"ucf101:ROOT"`` or a folder path.

    Parameters
    ----------
    spec : str
    synthetic : bool, default=True
        Whether ``"synthetic"`` names the built-in data set (otherwise it is a path).

    Returns
    -------
    spec : DataSpec
        ``kind`` is ``"synthetic"`` (``location``: the skew's name, or None for the
        built-in sizes), ``"ucf101"`` (``location``: the root) or ``"folder"``
        (``location``: the path).

    Examples
    --------
    >>> from skvideo_imb._recipes import parse_data_spec
    >>> parse_data_spec("ucf101:/data/UCF101")
    DataSpec(kind='ucf101', location='/data/UCF101')
    >>> parse_data_spec("videos").kind, parse_data_spec("synthetic").kind
    ('folder', 'synthetic')
    >>> parse_data_spec("synthetic:severe")
    DataSpec(kind='synthetic', location='severe')
    """
    if synthetic and (spec == "synthetic" or str(spec).startswith("synthetic:")):
        return DataSpec("synthetic", str(spec).partition(":")[2] or None)
    kind, sep, root = str(spec).partition(":")
    if sep and kind == "ucf101":
        if not root:
            raise ValueError(f"{spec!r} names no folder: write ucf101:ROOT, ROOT the "
                             "folder that holds UCF-101/ and ucfTrainTestlist/.")
        return DataSpec("ucf101", root)
    return DataSpec("folder", str(spec))


def class_counts(y):
    """``{class: number of videos}`` with the classes as strings, for logs and cards.

    Examples
    --------
    >>> from skvideo_imb._recipes import class_counts
    >>> class_counts(["walk", "run", "walk"])
    {'run': 1, 'walk': 2}
    """
    return {str(c): int(n) for c, n in zip(*np.unique(np.asarray(y), return_counts=True))}
