"""Helpers shared by the dataset tests: tiny real video files and frame images."""

import cv2
import numpy as np
import pytest


def write_tiny_video(path, n_frames=3, size=16):
    """Write a real, decodable Motion-JPEG .avi of ``n_frames`` grey ramps."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10.0, (size, size))
    assert writer.isOpened()
    for t in range(n_frames):
        writer.write(np.full((size, size, 3), 40 * t, dtype=np.uint8))
    writer.release()
    return str(path)


@pytest.fixture
def write_frame_images():
    """Write ``n_frames`` PNG frame images into a folder (a frame-folder video)."""
    def write(folder, n_frames=2, size=8):
        folder.mkdir(parents=True, exist_ok=True)
        for t in range(n_frames):
            image = np.full((size, size, 3), t, np.uint8)
            assert cv2.imwrite(str(folder / f"img_{t:03d}.png"), image)
        return str(folder)
    return write


@pytest.fixture(scope="session")
def tiny_video_bytes(tmp_path_factory):
    """The bytes of one tiny .avi, to copy cheaply wherever a real video is needed."""
    path = write_tiny_video(tmp_path_factory.mktemp("tiny") / "tiny.avi")
    with open(path, "rb") as f:
        return f.read()
