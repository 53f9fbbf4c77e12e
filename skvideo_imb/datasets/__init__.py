"""Video data sets: synthetic data, class-per-folder collections, UCF101 and the
imbalanced-training-set protocol of the paper."""

from ._folder import load_video_folder
from ._groups import video_groups
from ._imbalance import make_imbalanced_subset
from ._synthetic import (DEFAULT_CLASS_SIZES, ORDER_ONLY_PAIRS, SYNTHETIC_CLASSES,
                         make_synthetic_videos)
from ._ucf101 import load_ucf101

__all__ = ["DEFAULT_CLASS_SIZES", "ORDER_ONLY_PAIRS", "SYNTHETIC_CLASSES",
           "load_ucf101", "load_video_folder", "make_imbalanced_subset",
           "make_synthetic_videos", "video_groups"]
