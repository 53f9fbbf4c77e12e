"""The size profiles of ``skvideo-imb fit`` and ``reproduce``: ``smoke``, ``quick``, ``paper``."""

from ..models import PAPER_PARAMS

__all__ = ["PROFILES", "describe_profiles", "profile_settings"]

PROFILES = {
    # Seconds: checks that every row runs and every file is written, not the science.
    "smoke": {"n_frames": 4, "image_size": 75, "hidden_size": 8, "fc_size": 8,
              "max_epochs": 3, "lr": 1e-3, "weight_decay": 3e-4, "batch_size": 32,
              "featurizer_batch_size": 64},
    # Small enough for 2 CPU cores in minutes; the method's shape, not its size.
    "quick": {"n_frames": 8, "image_size": 75, "hidden_size": 64, "fc_size": 64,
              "max_epochs": 60, "lr": 1e-3, "weight_decay": 3e-4, "batch_size": 32,
              "featurizer_batch_size": 64},
    # The paper's settings (PAPER_PARAMS): alpha=40, 1024-wide, Adam lr=1e-6, L2 3e-4,
    # on InceptionV3's own 299x299 input; the paper states no epochs or batch size.
    "paper": {**{k: PAPER_PARAMS[k] for k in ("n_frames", "hidden_size", "fc_size", "lr",
                                              "weight_decay")},
              "image_size": 299, "max_epochs": 300, "batch_size": 32,
              "featurizer_batch_size": 32},
}
"""Settings of ``skvideo-imb fit --profile`` and ``reproduce --profile``."""

_PURPOSE = {"smoke": "seconds, for tests", "quick": "CPU minutes",
            "paper": "the paper's settings"}


def describe_profiles():
    """One line naming every profile and its sizes, for the commands' ``--help``.

    Examples
    --------
    >>> from skvideo_imb._recipes import describe_profiles
    >>> describe_profiles().split("; ")[0]
    'smoke (seconds, for tests): 4 frames at 75x75, 8-wide, lr 0.001, L2 0.0003, 3 epochs'
    """
    return "; ".join(
        f"{name} ({_PURPOSE.get(name, 'custom')}): {p['n_frames']} frames at "
        f"{p['image_size']}x{p['image_size']}, {p['hidden_size']}-wide, lr {p['lr']:g}, "
        f"L2 {p['weight_decay']:g}, {p['max_epochs']} epochs" for name, p in PROFILES.items())


def profile_settings(profile, **overrides):
    """A copy of a profile's settings, with every override that is not None applied.

    Parameters
    ----------
    profile : str or dict
        A key of :data:`PROFILES`, or settings of one's own.
    **overrides
        Settings to replace (``n_frames=6``, ``max_epochs=20``); None keeps the
        profile's value.

    Returns
    -------
    settings : dict

    Examples
    --------
    >>> from skvideo_imb._recipes import profile_settings
    >>> profile_settings("smoke", n_frames=6, max_epochs=None)["n_frames"]
    6
    >>> profile_settings("tiny")
    Traceback (most recent call last):
    ...
    ValueError: unknown profile 'tiny'; choose one of 'smoke', 'quick', 'paper'.
    """
    if isinstance(profile, str):
        if profile not in PROFILES:
            raise ValueError(f"unknown profile {profile!r}; choose one of "
                             f"{', '.join(map(repr, PROFILES))}.")
        profile = PROFILES[profile]
    return {**profile, **{k: v for k, v in overrides.items() if v is not None}}
