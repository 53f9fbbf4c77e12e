"""Reading videos and choosing their frames (the first stage of the data flow)."""

from ._reader import (IMAGE_EXTENSIONS, VIDEO_EXTENSIONS, check_video, check_videos,
                      count_frames, file_identity, read_frames, video_name)
from ._selection import (evenly_spaced_indices, rand_down_indices, select_frame_indices,
                         upsample_indices)

__all__ = ["IMAGE_EXTENSIONS", "VIDEO_EXTENSIONS", "check_video", "check_videos",
           "count_frames", "evenly_spaced_indices", "file_identity", "rand_down_indices",
           "read_frames", "select_frame_indices", "upsample_indices", "video_name"]
