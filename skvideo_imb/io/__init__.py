"""Videos and clips: reading frames, choosing them, augmenting them (the data flow's start).

Everything that knows what a sample is lives here.  ``_disk`` says what a video on disk
is (video files and frame folders, discovery, file identity, frame counts, and the one
decoding loop, :func:`decode_to_end`); ``_reader`` reads the frames of any raw video
(files, frame folders, arrays) and ``_pixels`` holds the resizing and colour rules;
frames are chosen by ``_selection``, a :class:`Clip` records which frames of which
video under which :class:`Augmentation` (``_clip``, ``_augment``), ``_samples`` checks
any collection of them, and ``_scan`` decodes a whole collection to report unreadable,
truncated or suspicious videos.
"""

from ._augment import Augmentation, draw_augmentation
from ._clip import Clip, as_clip, to_frames
from ._disk import (IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, decode_to_end, file_identity,
                    find_videos, video_name)
from ._pixels import resize_square
from ._reader import count_frames, read_frames, read_planned
from ._samples import check_video, check_videos
from ._scan import VideoCheck, scan_videos
from ._selection import evenly_spaced_indices, rand_down_indices, upsample_indices

__all__ = ["Augmentation", "Clip", "IMAGE_EXTENSIONS", "VIDEO_EXTENSIONS", "VideoCheck",
           "as_clip", "check_video", "check_videos", "count_frames", "decode_to_end",
           "draw_augmentation", "evenly_spaced_indices", "file_identity", "find_videos",
           "rand_down_indices", "read_frames", "read_planned", "resize_square", "scan_videos",
           "to_frames", "upsample_indices", "video_name"]
