"""Helpers for tests: real video files written with OpenCV."""

import cv2
import numpy as np


def write_video(path, frames, fourcc="MJPG", fps=10):
    """Write RGB uint8 frames (T, H, W, 3) to ``path`` with OpenCV; return ``str(path)``."""
    frames = np.asarray(frames)
    height, width = frames.shape[1:3]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, (width, height))
    assert writer.isOpened(), f"OpenCV cannot write {path} with {fourcc}"
    for frame in frames:
        writer.write(cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
    writer.release()
    return str(path)


def gradient_video(n_frames=12, height=24, width=32):
    """Frames whose brightness encodes the frame index (robust to lossy codecs)."""
    levels = np.linspace(20, 235, n_frames).astype(np.uint8)
    frames = np.empty((n_frames, height, width, 3), dtype=np.uint8)
    frames[:] = levels[:, None, None, None]
    frames[..., 0] = np.clip(frames[..., 0].astype(int) + 10, 0, 255)  # a red tint
    return frames




def write_h264(path, frames, fps=25, gop=250, crf=23):
    """Write RGB uint8 frames (T, H, W, 3) as H.264 (libx264, yuv420p) with PyAV.

    ``gop`` is the keyframe interval (x264's default is 250).  PyAV is a test and
    benchmark dependency, not a runtime one.
    """
    import av
    frames = np.asarray(frames)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height = frames.shape[2], frames.shape[1]
        stream.pix_fmt = "yuv420p"
        stream.options = {"crf": str(crf), "g": str(gop), "preset": "veryfast"}
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return str(path)


def mux_frames(container, stream, frames, steps_ms=None):
    """Encode RGB uint8 frames into a PyAV ``stream`` and mux them, then flush it.

    Frame ``t`` is stamped ``t`` (in the stream's frame rate), or, with ``steps_ms``,
    the sum of the first ``t`` steps in milliseconds (a variable frame rate; the
    stream's codec time base must then be 1/1000).
    """
    import fractions

    import av
    for t, frame in enumerate(frames):
        picture = av.VideoFrame.from_ndarray(np.ascontiguousarray(frame), format="rgb24")
        if steps_ms is None:
            picture.pts = t
        else:
            picture.pts = int(sum(steps_ms[:t]))
            picture.time_base = fractions.Fraction(1, 1000)
        for packet in stream.encode(picture):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)

