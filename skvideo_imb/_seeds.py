"""Seeds: how an integer seed is derived from a scikit-learn ``random_state``.

Every estimator and data generator of the package that needs an integer seed (to seed
torch, a :class:`numpy.random.SeedSequence`, a network's initialisation) gets it from
:func:`draw_seed`, so that one ``random_state`` means the same seed everywhere.
"""

import numbers

from sklearn.utils import check_random_state

__all__ = ["FIXED_SEED", "SEED_BOUND", "draw_seed"]

SEED_BOUND = 2**31 - 1
"""Seeds are drawn in ``[0, SEED_BOUND)``: valid for NumPy, torch and a C ``int32``."""

FIXED_SEED = 0
"""Seed of a random initialisation that is overwritten at once (weights are loaded
into it): seeding, and restoring, torch's generator around it leaves the caller's
random stream untouched and makes the build deterministic."""


def draw_seed(random_state, *, keep_int=False):
    """An int seed in ``[0, SEED_BOUND)`` drawn from ``random_state``.

    Parameters
    ----------
    random_state : int, RandomState instance or None
        As in scikit-learn: an int gives the same seed on every call, a
        ``RandomState`` instance or ``None`` (NumPy's global generator) a new one.
    keep_int : bool, default=False
        Return an int ``random_state`` itself (for the oversampler, whose documented
        per-video seeds are ``SeedSequence([random_state, ...])``).

    Returns
    -------
    seed : int

    Examples
    --------
    >>> from skvideo_imb._seeds import draw_seed
    >>> draw_seed(0) == draw_seed(0), draw_seed(7, keep_int=True)
    (True, 7)
    """
    if keep_int and isinstance(random_state, numbers.Integral):
        return int(random_state)
    return int(check_random_state(random_state).randint(SEED_BOUND))
