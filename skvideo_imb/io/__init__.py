"""Videos and clips: reading frames, choosing them, augmenting them (the data flow's start).

Everything that knows what a sample is lives here: what a video on disk is (a file
with an extension in :data:`VIDEO_EXTENSIONS`, or a folder of frame images with
extensions in :data:`IMAGE_EXTENSIONS`), how it is found (:func:`find_videos`) and
identified (:func:`file_identity`, :func:`video_name`); reading the frames of any video
(:func:`read_frames`, :func:`count_frames`, :func:`decode_to_end`, with
:func:`resize_square` for the pixels); choosing frames (:func:`evenly_spaced_indices`,
:func:`rand_down_indices`, :func:`upsample_indices`); a :class:`Clip`, which records
which frames of which video under which :class:`Augmentation`; checking samples
(:func:`check_video`, :func:`check_videos`) and scanning a whole collection for
unreadable, truncated or suspicious videos (:func:`scan_videos`).
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
