"""Loading a class-per-folder video collection."""

import os

import numpy as np
from sklearn.utils import Bunch

from ..io import VIDEO_EXTENSIONS
from ..io._disk import is_hidden, list_folder

__all__ = ["load_video_folder"]


def _class_videos(class_dir):
    video_files, frame_folders, _ = list_folder(class_dir)
    return sorted(video_files + frame_folders)


def load_video_folder(root, *, return_X_y=False):
    """Load a video collection stored as one subfolder per class.

    The expected layout is ``root/<class>/<video>``, where each video is either a video
    file (an extension in :data:`skvideo_imb.io.VIDEO_EXTENSIONS`, case-insensitive) or
    a *frame folder*: a subfolder that directly holds frame images
    (:data:`skvideo_imb.io.IMAGE_EXTENSIONS`).  Other files (text, images lying directly
    in a class folder, ...), subfolders without frame images, files directly in
    ``root`` and hidden entries (names starting with ``"."``) are ignored.  This is the
    layout :func:`make_synthetic_videos` writes.

    Videos are only listed, not decoded; errors in a file show up when it is read.

    Parameters
    ----------
    root : str or path-like
        The folder holding one subfolder per class.
    return_X_y : bool, default=False
        If True, return ``(videos, target)`` instead of a Bunch.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        With attributes

        videos : list of str
            Paths of the videos (``root`` joined with the relative path), sorted by
            class name, then by file name.
        target : ndarray of shape (n_videos,), dtype str
            The class name of each video, i.e. its folder name.  Unlike
            :func:`sklearn.datasets.load_files` these are names, not integer codes.
        target_names : ndarray of shape (n_classes,), dtype str
            The sorted class names.
        root : str
            ``root`` as given.
    (videos, target) : tuple
        If ``return_X_y`` is True.

    Raises
    ------
    FileNotFoundError
        If ``root`` does not exist.
    NotADirectoryError
        If ``root`` is not a folder.
    ValueError
        If ``root`` has no class subfolder, or a class subfolder holds no video.

    See Also
    --------
    make_synthetic_videos : Writes a data set in this layout.

    Examples
    --------
    >>> import tempfile
    >>> from skvideo_imb.datasets import load_video_folder, make_synthetic_videos
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = make_synthetic_videos({"brighten": 3, "darken": 2}, n_frames=4,
    ...                               directory=tmp)
    ...     data = load_video_folder(tmp)
    ...     print(len(data.videos), data.target_names.tolist(), data.target[-1])
    5 ['brighten', 'darken'] darken
    """
    root = os.fspath(root)
    if not os.path.exists(root):
        raise FileNotFoundError(f"video folder root {root!r} does not exist.")
    if not os.path.isdir(root):
        raise NotADirectoryError(f"video folder root {root!r} is not a folder.")
    with os.scandir(root) as entries:
        class_names = sorted(e.name for e in entries if e.is_dir() and not is_hidden(e.name))
    if not class_names:
        raise ValueError(f"video folder root {root!r} has no class subfolders; expected "
                         f"{os.path.join(root, '<class>', '<video>')!r}.")
    videos, target, empty = [], [], []
    for class_name in class_names:
        class_videos = _class_videos(os.path.join(root, class_name))
        if not class_videos:
            empty.append(class_name)
        videos.extend(class_videos)
        target.extend([class_name] * len(class_videos))
    if empty:
        raise ValueError(
            f"class folders {empty} under {root!r} hold no videos (looked for files "
            f"ending in {', '.join(sorted(VIDEO_EXTENSIONS))} and for folders of frame "
            "images); remove them or add videos.")
    target = np.asarray(target, dtype=str)
    if return_X_y:
        return videos, target
    return Bunch(videos=videos, target=target,
                 target_names=np.asarray(class_names, dtype=str), root=root)
