"""The installed versions of the packages that shape a result or a saved model."""

import platform
from importlib.metadata import PackageNotFoundError, version

__all__ = ["PACKAGES", "package_version", "package_versions"]

PACKAGES = ("skvideo-imb", "numpy", "scikit-learn", "imbalanced-learn", "torch",
            "torchvision", "skorch", "opencv-python", "openvino", "skops")
"""Distributions whose versions reports and model cards record."""


def package_version(name):
    """The installed version of distribution ``name``, or None when it is not installed."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def package_versions():
    """``{"python": ..., distribution: version or None}`` for :data:`PACKAGES`."""
    return {"python": platform.python_version(),
            **{name: package_version(name) for name in PACKAGES}}
