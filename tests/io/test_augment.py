"""Augmentation: one set of spatial parameters, applied alike to every frame."""

import pickle

import numpy as np
import pytest
import torch

from skvideo_imb.sampling import Augmentation, draw_augmentation


@pytest.fixture
def frames():
    rng = np.random.RandomState(1)
    out = rng.randint(40, 200, size=(3, 20, 24, 3), dtype=np.uint8)
    out[:, 5:10, 5:15] = 250  # an off-centre bright patch, so rotations move pixels
    return out


def test_identity_returns_frames_unchanged(frames):
    assert Augmentation().is_identity
    np.testing.assert_array_equal(Augmentation().apply(frames), frames)


@pytest.mark.parametrize("augmentation", [
    Augmentation(brightness=1.4), Augmentation(brightness=0.6), Augmentation(rotation=15),
    Augmentation(translate_x=0.2), Augmentation(translate_y=-0.2), Augmentation(shear=12),
])
def test_each_transformation_changes_pixels_and_keeps_input(frames, augmentation):
    before = frames.copy()
    out = augmentation.apply(frames)
    assert out.shape == frames.shape and out.dtype == np.uint8
    assert not np.array_equal(out, frames)
    np.testing.assert_array_equal(frames, before)
    np.testing.assert_array_equal(out, augmentation.apply(frames))  # deterministic


def test_brightness_scales_values(frames):
    out = Augmentation(brightness=0.5).apply(frames)
    np.testing.assert_allclose(out.astype(float), frames / 2, atol=1)


def test_same_parameters_for_every_frame(frames):
    same = np.repeat(frames[:1], 3, axis=0)
    out = Augmentation(rotation=10, translate_x=0.1, shear=5, brightness=1.2).apply(same)
    assert not np.array_equal(out[0], same[0])                     # it did augment
    np.testing.assert_array_equal(out[0], out[1])
    np.testing.assert_array_equal(out[0], out[2])


def test_apply_tensor_matches_apply_and_keeps_input(frames):
    augmentation = Augmentation(rotation=-8, translate_y=0.1, brightness=0.9)
    tensor = torch.from_numpy(frames).permute(0, 3, 1, 2)
    before = tensor.clone()
    out = augmentation.apply_tensor(tensor)
    assert torch.equal(tensor, before) and not torch.equal(out, tensor)
    np.testing.assert_array_equal(out.permute(0, 2, 3, 1).numpy(), augmentation.apply(frames))


def test_augmentation_is_frozen_hashable_and_picklable():
    augmentation = Augmentation(rotation=3.5, shear=-2)
    assert pickle.loads(pickle.dumps(augmentation)) == augmentation
    assert hash(augmentation) == hash(Augmentation(rotation=3.5, shear=-2))
    with pytest.raises(AttributeError):
        augmentation.rotation = 1


def test_draw_augmentation_within_ranges_and_zero_turns_off():
    rng = np.random.RandomState(0)
    draws = [draw_augmentation(rng, 10, 0.1, 5, 0.2) for _ in range(50)]
    for aug in draws:
        assert -10 <= aug.rotation <= 10 and -5 <= aug.shear <= 5
        assert -0.1 <= aug.translate_x <= 0.1 and -0.1 <= aug.translate_y <= 0.1
        assert 0.8 <= aug.brightness <= 1.2
    # every parameter is drawn, spread over its range, and x and y independently
    for name, half_width, centre in [("rotation", 10, 0), ("shear", 5, 0),
                                     ("translate_x", 0.1, 0), ("translate_y", 0.1, 0),
                                     ("brightness", 0.2, 1)]:
        values = np.array([getattr(aug, name) for aug in draws])
        assert values.min() < centre - half_width / 2 and values.max() > centre + half_width / 2
    assert not any(aug.is_identity for aug in draws)
    assert any(aug.translate_x != aug.translate_y for aug in draws)
    assert draw_augmentation(rng).is_identity
    only_rotation = draw_augmentation(rng, rotation_range=10)
    assert only_rotation.rotation != 0
    assert only_rotation == Augmentation(rotation=only_rotation.rotation)
    a = draw_augmentation(np.random.RandomState(3), 10, 0.1, 5, 0.2)
    assert a == draw_augmentation(np.random.RandomState(3), 10, 0.1, 5, 0.2)
    assert a != draw_augmentation(np.random.RandomState(4), 10, 0.1, 5, 0.2)
