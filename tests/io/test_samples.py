"""check_video / check_videos: what a sample is (a raw video or a clip), checked once."""

from pathlib import Path

import numpy as np
import pytest

from skvideo_imb import Clip, SpatioTemporalOverSampler
from skvideo_imb.io import as_clip, check_video, check_videos
from skvideo_imb.sampling import Augmentation


def test_check_videos_forms_without_copy(avi_path):
    X5 = np.zeros((3, 4, 8, 8, 3), dtype=np.uint8)
    videos = check_videos(X5)
    assert len(videos) == 3 and all(np.shares_memory(v, X5) for v in videos)
    assert check_videos([Path(avi_path), avi_path]) == [avi_path, avi_path]
    obj = np.empty(2, dtype=object)
    obj[0], obj[1] = X5[0], avi_path
    assert len(check_videos(obj)) == 2
    assert check_videos(np.array([avi_path])) == [avi_path]


@pytest.mark.parametrize("X, error, match", [
    ([], ValueError, "no videos"),
    ("a.avi", TypeError, "wrap a single video"),
    (np.zeros((3, 4, 4), dtype=np.float32), ValueError, "uint8 with shape"),
])
def test_check_videos_bad_containers(X, error, match):
    with pytest.raises(error, match=match):
        check_videos(X)


def test_unsupported_type():
    with pytest.raises(TypeError, match="must be a path"):
        check_video(42)


def test_one_rgb_video_passed_as_X_is_refused():
    with pytest.raises(ValueError, match="ambiguous.*list of videos"):
        check_videos(np.zeros((6, 16, 16, 3), dtype=np.uint8))
    assert len(check_videos(np.zeros((2, 6, 16, 16), dtype=np.uint8))) == 2  # grey


def test_clips_are_samples_checked_through_their_video(avi_path, tmp_path):
    video = np.zeros((5, 8, 8, 3), dtype=np.uint8)
    clips = [Clip(video, (0, 2)), Clip(avi_path, n_frames=3, seed=1)]
    assert check_videos(clips) == clips
    assert check_video(clips[0]) is clips[0]
    with pytest.raises(FileNotFoundError, match=r"X\[1\]: .*gone.avi"):
        check_videos([clips[0], Clip(str(tmp_path / "gone.avi"), n_frames=2)])
    with pytest.raises(ValueError, match=r"X\[0\]: .*dtype uint8"):
        check_videos([Clip(video.astype(np.float32), (0, 1))])
    with pytest.raises(TypeError, match="wrap a single video or clip"):
        check_videos(clips[0])


def test_bad_samples_are_named_by_position():
    good = np.zeros((3, 8, 8, 3), dtype=np.uint8)
    with pytest.raises(ValueError, match=r"X\[2\]: array video of shape \(3, 8, 8\) must have "
                       r"dtype uint8, got int16: videos must be uint8 arrays \(T, H, W\[, 3\]\)"):
        check_videos([good, good, np.zeros((3, 8, 8), dtype=np.int16)])
    with pytest.raises(TypeError, match=r"X\[1\]: a video must be"):
        check_videos([good, 3.5])


def test_steps_of_raw_videos_refuse_clips():
    video = np.zeros((5, 8, 8, 3), dtype=np.uint8)
    with pytest.raises(TypeError, match=r"X\[1\] is a Clip"):
        check_videos([video, Clip(video, (0, 1))], allow_clips=False)
    sampler = SpatioTemporalOverSampler(n_frames=2, random_state=0)
    with pytest.raises(TypeError, match="not resampled again"):
        sampler.fit_resample([video, Clip(video, (0, 1))], [0, 1])


def test_as_clip_is_the_one_plan_of_raw_videos_and_clips():
    video = np.arange(10, dtype=np.uint8).reshape(10, 1, 1).repeat(4, 1).repeat(4, 2)
    raw = as_clip(video, 5)
    assert raw.is_lazy and raw.seed is None and raw.video is video
    assert raw.resolve().indices == (1, 3, 5, 7, 9)
    clip = Clip(video, (0, 1, 2), Augmentation(brightness=1.1))
    assert as_clip(clip, 3) is clip and as_clip(clip, None) is clip
    with pytest.raises(ValueError, match="not n_frames=4"):
        as_clip(clip, 4)
    with pytest.raises(TypeError, match="must be a path"):
        as_clip(42, 3)
