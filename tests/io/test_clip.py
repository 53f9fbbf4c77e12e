"""Clip: a lazy, immutable, picklable record of (video, frame indices, augmentation)."""

import pickle
from unittest import mock

import numpy as np
import pytest
from sklearn.utils import _safe_indexing

import skvideo_imb.io._disk as disk
from skvideo_imb import Clip, to_frames
from skvideo_imb.io import evenly_spaced_indices, rand_down_indices, read_frames
from skvideo_imb.sampling import Augmentation


def _selection_rng(seed):
    """The generator Clip's docstring documents for RandDown: RandomState(PCG64(SeedSequence))."""
    return np.random.RandomState(np.random.PCG64(np.random.SeedSequence(seed)))


@pytest.fixture
def video():
    rng = np.random.RandomState(0)
    return rng.randint(0, 256, size=(15, 12, 16, 3), dtype=np.uint8)


def test_concrete_clip_reads_its_frames_in_order(video):
    clip = Clip(video, [9, 0, 0, 14])
    assert clip.indices == (9, 0, 0, 14) and clip.n_frames == 4 and not clip.is_lazy
    np.testing.assert_array_equal(clip.to_frames(), video[[9, 0, 0, 14]])
    assert clip.resolve() is clip


def test_clip_holds_a_reference_not_pixels(video):
    clip = Clip(video, (1, 2), Augmentation(brightness=0.5))
    assert clip.video is video


@pytest.mark.parametrize("augmentation", [None, Augmentation(rotation=7, brightness=1.3)])
def test_same_pixels_twice_and_input_untouched(video, augmentation):
    before = video.copy()
    clip = Clip(video, (3, 1, 4, 1, 5), augmentation)
    first, second = clip.to_frames(), clip.to_frames()
    np.testing.assert_array_equal(first, second)
    assert first.dtype == np.uint8 and first.shape == (5, 12, 16, 3)
    np.testing.assert_array_equal(video, before)


def test_identity_augmentation_equals_no_augmentation(video):
    np.testing.assert_array_equal(Clip(video, (2, 3), Augmentation()).to_frames(),
                                  Clip(video, (2, 3)).to_frames())


@pytest.mark.parametrize("augmentation", [None, Augmentation(shear=5.0)])
def test_pickle_round_trip(video, augmentation):
    clip = Clip(video, (0, 7, 14), augmentation)
    copy = pickle.loads(pickle.dumps(clip))
    assert copy.indices == clip.indices and copy.augmentation == clip.augmentation
    np.testing.assert_array_equal(copy.to_frames(), clip.to_frames())
    lazy = Clip(video, n_frames=4, seed=123, augmentation=augmentation)
    lazy_copy = pickle.loads(pickle.dumps(lazy))
    assert (lazy_copy.seed, lazy_copy.n_frames) == (123, 4)
    assert lazy_copy.resolve().indices == lazy.resolve().indices


def test_clips_survive_safe_indexing(video):
    clips = [Clip(video, (i,)) for i in range(5)]
    picked = _safe_indexing(clips, [4, 1])
    assert [c.indices for c in picked] == [(4,), (1,)]


def test_clip_is_immutable(video):
    clip = Clip(video, (1,))
    with pytest.raises(AttributeError):
        clip.indices = (2,)


def test_bad_clips_are_rejected(video):
    with pytest.raises(ValueError, match="at least one frame index"):
        Clip(video, ())
    with pytest.raises(TypeError, match="Augmentation or None"):
        Clip(video, (0,), {"rotation": 3})
    with pytest.raises(ValueError, match="does not match"):
        Clip(video, (0, 1), n_frames=3)
    with pytest.raises(ValueError, match="not both"):
        Clip(video, (0, 1), seed=3)
    with pytest.raises(ValueError, match="needs n_frames"):
        Clip(video)
    with pytest.raises(ValueError, match="needs n_frames"):
        Clip(video, n_frames=0)
    with pytest.raises(ValueError, match="seed must be"):
        Clip(video, n_frames=2, seed=-1)


def test_lazy_clip_resolves_evenly_spaced_without_seed(video):
    clip = Clip(video, n_frames=5)
    assert clip.is_lazy and clip.indices is None and clip.n_frames == 5
    assert clip.resolve().indices == tuple(evenly_spaced_indices(15, 5))
    np.testing.assert_array_equal(clip.to_frames(), to_frames(video, n_frames=5))


def test_lazy_clip_resolves_rand_down_from_its_seed(video):
    clip = Clip(video, augmentation=Augmentation(brightness=0.8), n_frames=5, seed=2**100)
    resolved = clip.resolve()
    assert resolved.augmentation == clip.augmentation and resolved.video is video
    expected = rand_down_indices(15, 5, _selection_rng(2**100))
    assert resolved.indices == tuple(expected)
    assert resolved.indices == clip.resolve().indices  # deterministic
    # UpSample for a video shorter than n_frames
    assert Clip(video[:3], n_frames=6, seed=1).resolve().indices == (0, 0, 1, 1, 2, 2)


def test_lazy_clip_of_a_file_decodes_only_when_pixels_are_needed(tmp_path):
    from _videos import gradient_video, write_video
    path = write_video(tmp_path / "v.avi", gradient_video(n_frames=12), "MJPG")
    with mock.patch.object(disk, "decode_to_end", side_effect=AssertionError), \
            mock.patch.object(disk, "_open_capture", side_effect=AssertionError):
        clip = Clip(path, n_frames=4, seed=5)
        repr(clip)
        pickle.loads(pickle.dumps(clip))
    frames = clip.to_frames()
    assert frames.shape == (4, 24, 32, 3)
    np.testing.assert_array_equal(frames, read_frames(path, clip.resolve().indices))


def test_to_frames_checks_n_frames_of_a_clip(video):
    clip = Clip(video, (0, 1, 2))
    assert to_frames(clip, n_frames=3).shape[0] == 3
    with pytest.raises(ValueError, match="has 3 frames, not n_frames=4"):
        to_frames(clip, n_frames=4)
    with pytest.raises(ValueError, match="has 2 frames, not n_frames=4"):
        to_frames(Clip(video, n_frames=2, seed=0), n_frames=4)


def test_to_frames_of_raw_videos(video):
    assert to_frames(video).shape == video.shape
    np.testing.assert_array_equal(to_frames(video, n_frames=3),
                                  video[evenly_spaced_indices(15, 3)])
    grey = video[..., 0]
    assert to_frames(grey, n_frames=2).shape == (2, 12, 16, 3)


def test_repr_names_the_video(video):
    assert "array video of shape (15, 12, 16, 3)" in repr(Clip(video, tuple(range(10))))
    assert "seed=3" in repr(Clip(video, n_frames=2, seed=3))


def test_a_window_chooses_frames_within_it_as_if_it_were_the_video(video):
    assert Clip(video, n_frames=3, window=(6, 12)).resolve().indices == (7, 9, 11)
    assert Clip(video, n_frames=2, window=(10, 40)).resolve().indices == (11, 13)  # 10..14
    seeded = Clip(video, n_frames=4, seed=3, window=(5, 9)).resolve().indices
    assert seeded == tuple(5 + rand_down_indices(4, 4, _selection_rng(3)))
    assert "window=(6, 12)" in repr(Clip(video, n_frames=3, window=(6, 12)))


@pytest.mark.parametrize("kwargs, match", [
    (dict(indices=(1, 2), window=(0, 4)), "not both"),
    (dict(n_frames=2, window=(4, 4)), "0 <= start < stop"),
    (dict(n_frames=2, window=(-1, 4)), "0 <= start < stop"),
])
def test_a_bad_window_is_refused(video, kwargs, match):
    with pytest.raises(ValueError, match=match):
        Clip(video, **kwargs)


def test_a_window_after_the_end_names_the_video(video):
    with pytest.raises(ValueError, match=r"window \(15, 20\) starts after the last frame .*"
                                         r"array video of shape \(15, 12, 16, 3\)"):
        Clip(video, n_frames=2, window=(15, 20)).resolve()
