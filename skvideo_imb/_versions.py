"""The installed versions of the packages that shape a result or a saved model."""

import platform
from importlib.metadata import PackageNotFoundError, version

__all__ = ["PACKAGES", "package_versions"]

PACKAGES = ("skvideo-imb", "numpy", "scikit-learn", "imbalanced-learn", "torch",
            "torchvision", "skorch", "opencv-python", "openvino", "skops")
"""Distributions whose versions reports and model cards record."""


def package_versions():
    """``{"python": ..., distribution: version or None}`` for :data:`PACKAGES`."""
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions
