"""Which videos were cut from the same source video, for splits that keep them together."""

import os
import re

import numpy as np

from ..io._disk import is_path

__all__ = ["video_groups"]

# UCF101 names a clip v_<Class>_g<NN>_c<MM>: the clips of one group come from one long
# video (same people, place and camera); its train/test lists never split a group.
_UCF101_CLIP = re.compile(r"^v_(?P<group>.+_g\d+)_c\d+$")


def video_groups(videos):
    """The source video each video was cut from, as a group label per video.

    Clips cut from one long recording share people, background and camera: a split that
    puts some in training and others in validation or test measures how well a model
    recognises that recording, not the class.  A UCF101 clip (``v_<Class>_g<NN>_c<MM>``,
    a file or a frame folder) belongs to the group ``<Class>_g<NN>``; any other video is
    a group of its own.  Pass the result as ``groups`` to
    :class:`sklearn.model_selection.StratifiedGroupKFold` or
    :class:`~sklearn.model_selection.GroupKFold`; ``skvideo-imb fit`` and
    ``skvideo-imb reproduce`` split this way by themselves.

    Parameters
    ----------
    videos : sequence
        Video paths, frame folders, arrays or clips.

    Returns
    -------
    groups : ndarray of str, shape (n_videos,)

    Examples
    --------
    >>> from skvideo_imb.datasets import video_groups
    >>> video_groups(["UCF-101/Biking/v_Biking_g01_c01.avi",
    ...               "UCF-101/Biking/v_Biking_g01_c02.avi",
    ...               "UCF-101/Biking/v_Biking_g02_c01.avi", "mine/ride.mp4"]).tolist()
    ['Biking_g01', 'Biking_g01', 'Biking_g02', 'video 3: mine/ride.mp4']
    """
    groups = []
    for k, video in enumerate(videos):
        if not is_path(video):  # an array or a clip: a video of its own
            groups.append(f"video {k}")
            continue
        name = os.path.basename(os.path.normpath(os.fspath(video)))
        match = _UCF101_CLIP.match(os.path.splitext(name)[0])
        groups.append(match["group"] if match else f"video {k}: {video}")
    return np.asarray(groups, dtype=str)
