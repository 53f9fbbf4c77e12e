"""Videos and clips: reading frames, choosing them, augmenting them (the data flow's start).

Everything that knows what a sample is lives here: raw videos (files, frame folders,
arrays) are read by ``_reader``, frames are chosen by ``_selection``, a :class:`Clip`
records which frames of which video under which :class:`Augmentation` (``_clip``,
``_augment``), ``_samples`` checks any collection of them, and ``_scan`` decodes a
whole collection to report unreadable, truncated or suspicious videos.
"""

from ._augment import Augmentation, draw_augmentation
from ._clip import Clip, as_clip, to_frames
from ._reader import (IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, count_frames, file_identity,
                      read_frames, read_planned, resize_square, video_name)
from ._samples import check_video, check_videos
from ._scan import VideoCheck, find_videos, scan_videos
from ._selection import evenly_spaced_indices, rand_down_indices, upsample_indices

__all__ = ["Augmentation", "Clip", "IMAGE_EXTENSIONS", "VIDEO_EXTENSIONS", "VideoCheck",
           "as_clip", "check_video", "check_videos", "count_frames", "draw_augmentation",
           "evenly_spaced_indices", "file_identity", "find_videos", "rand_down_indices",
           "read_frames", "read_planned", "resize_square", "scan_videos", "to_frames",
           "upsample_indices", "video_name"]
