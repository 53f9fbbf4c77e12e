"""The paper's spatio-temporal video oversampling as an imbalanced-learn sampler."""

import hashlib
import os
from numbers import Integral, Real

import numpy as np
from imblearn.over_sampling.base import BaseOverSampler
from imblearn.utils import Substitution, check_target_type
from sklearn.utils import check_consistent_length
from sklearn.utils._param_validation import Interval, StrOptions

from .._seeds import draw_seed
from ..io import Clip, check_videos, draw_augmentation

__all__ = ["SpatioTemporalOverSampler"]

_FULL_HASH_BYTES = 16 * 2**20
"""Arrays up to this size are identified by all their bytes, bigger ones by a sample."""

_SAMPLED_ROWS = 64
"""Number of evenly spaced frames (rows) hashed for an array over the size above."""

_SPATIAL_PARAMS = ("rotation_range", "translation_range", "shear_range", "brightness_range")


def _video_digest(video):
    """A 128-bit int that identifies a video, to seed its synthetic copies.

    A path is identified by its last two components, the folder it is in and its name
    (``brighten/brighten_000.avi``; no file access), so that the same data set gives
    the same clips wherever it is stored: in another folder, on another machine, in a
    temporary copy.  An array is identified by its dtype, shape and content: every byte up to ``_FULL_HASH_BYTES``, else ``_SAMPLED_ROWS``
    evenly spaced frames, strided so that about ``_FULL_HASH_BYTES`` are read.  The
    digest only chooses random numbers: two big arrays that agree on the sample share
    a random stream, but each clip still reads its own array.
    """
    digest = hashlib.blake2b(digest_size=16)
    if isinstance(video, str):
        folder, name = os.path.split(os.path.abspath(video))
        where = os.path.join(os.path.basename(folder), name)
        digest.update(b"path\0" + where.encode("utf-8", "surrogatepass"))
        return int.from_bytes(digest.digest(), "little")
    digest.update(f"array\0{video.dtype.str}\0{video.shape}\0".encode())
    if video.nbytes <= _FULL_HASH_BYTES:
        if video.flags.c_contiguous:
            digest.update(memoryview(video).cast("B"))
        else:
            for row in video:
                digest.update(np.ascontiguousarray(row).data)
    else:
        n_rows = len(video)
        rows = np.unique(np.linspace(0, n_rows - 1, min(n_rows, _SAMPLED_ROWS)).round())
        step = max(1, -(-len(rows) * video[0].nbytes // _FULL_HASH_BYTES))
        for t in rows.astype(np.int64):
            digest.update(np.ascontiguousarray(np.ravel(video[t])[::step]).data)
    return int.from_bytes(digest.digest(), "little")


def _copy_seeds(entropy, digest, k):
    """(augmentation rng, frame-selection seed) of the k-th synthetic copy of a video."""
    entropy = [entropy, digest]
    aug_rng = np.random.RandomState(
        np.random.PCG64(np.random.SeedSequence(entropy, spawn_key=(k, 0))))
    words = np.random.SeedSequence(entropy, spawn_key=(k, 1)).generate_state(2, np.uint64)
    return aug_rng, int(words[0]) | (int(words[1]) << 64)


def _object_array(items):
    """A 1-D object array holding ``items`` by reference (no pixel copy)."""
    out = np.empty(len(items), dtype=object)
    for i, item in enumerate(items):
        out[i] = item
    return out


def _is_feature_array(x):
    """Per-frame features of one video: a float array (T, n_features)."""
    return isinstance(x, np.ndarray) and x.dtype.kind == "f" and x.ndim == 2


def _describe(x):
    if isinstance(x, np.ndarray):
        return f"an array of dtype {x.dtype} and shape {x.shape}"
    return f"a {type(x).__name__}"


def _check_feature_sequences(items):
    """Validate per-frame feature sequences (T_i, n_features) of equal feature size."""
    n_features = None
    for i, seq in enumerate(items):
        if not _is_feature_array(seq):
            raise ValueError(
                f"X mixes per-frame feature arrays (float) with videos: element {i} is "
                f"{_describe(seq)}. Give either videos or feature sequences of shape "
                "(T, n_features).")
        if seq.ndim != 2 or seq.shape[0] == 0:
            raise ValueError(f"feature sequence {i} must have shape (T, n_features) with "
                             f"T >= 1, got shape {seq.shape}.")
        if n_features is None:
            n_features = seq.shape[1]
        elif seq.shape[1] != n_features:
            raise ValueError(f"feature sequence {i} has {seq.shape[1]} features per frame, "
                             f"the first one has {n_features}.")
        if not np.isfinite(seq).all():
            raise ValueError(f"feature sequence {i} contains NaN or infinity.")
    return items


@Substitution(sampling_strategy=BaseOverSampler._sampling_strategy_docstring)
class SpatioTemporalOverSampler(BaseOverSampler):
    """Over-sample videos with random frame selection and random augmentation.

    The video oversampling of Pouyanfar et al. [1]_ (their Algorithm 1) as an
    imbalanced-learn sampler.  Every synthetic video is a :class:`Clip` of one source
    video: ``n_frames`` frames picked by *RandDown* (one random frame in each of
    ``n_frames`` equal windows; *UpSample*, frames repeated in order, when the video
    is shorter), and one random draw of rotation, translation, shear and brightness
    applied to all of its frames (*RandAug*).  No pixel is read or copied while
    resampling: clips are lazy records that a featurizer, or :func:`to_frames`, turns
    into pixels later.

    Parameters
    ----------
    {sampling_strategy}

    n_frames : int, default=40
        Number of frames α of every output clip (40 in the paper).

    replication : {{"paper", "exact"}}, default="paper"
        How many synthetic clips each video yields.

        - ``"paper"``: Algorithm 1.  Every video of class j yields
          ``ceil(target_j / n_j)`` clips, where ``n_j`` is the class size and
          ``target_j`` the class size that ``sampling_strategy`` asks for; classes the
          strategy does not over-sample yield one clip per video.  With the string
          strategies (``"auto"``, ``"all"``, ...) ``target_j`` is the largest class
          size δ, which is exactly the paper's ``ceil(δ / n_j)``: class sizes
          100/20/7 give 100/100/105 clips.  Counts round up to whole copies per
          video, so a class may get more samples than ``sampling_strategy_`` asks.
        - ``"exact"``: every class gets exactly the number of samples that
          ``sampling_strategy`` asks for (its meaning in imbalanced-learn); the
          copies go round-robin over the class's videos in the order of X, so the
          videos' copy counts differ by at most one.

        The default is ``"paper"`` because this sampler exists to reproduce the
        paper's method: every video of a class is replicated equally often.

    keep_original : bool, default=False
        Whether the output keeps each input video, as a clip of ``n_frames`` evenly
        spaced frames without augmentation, and counts it towards its class's total.
        ``False`` (the default) is the paper's algorithm: the output holds synthetic
        clips only, including one per video of the classes that are not over-sampled.
        ``True`` is imbalanced-learn's convention (originals kept, synthetic samples
        added); class totals are the same either way.

    rotation_range : float, default=10.0
        Rotation angles are drawn uniformly in ``[-rotation_range, rotation_range]``
        degrees, at most 180.  ``0`` turns rotation off.

    translation_range : float, default=0.1
        Horizontal and vertical shifts are drawn independently and uniformly in
        ``[-translation_range, translation_range]``, as fractions of the frame's
        width and height, at most 1.  ``0`` turns translation off.

    shear_range : float, default=10.0
        Shear angles are drawn uniformly in ``[-shear_range, shear_range]`` degrees,
        below 90.  ``0`` turns shear off.

    brightness_range : float, default=0.2
        Brightness factors are drawn uniformly in
        ``[1 - brightness_range, 1 + brightness_range]``, with ``brightness_range``
        in ``[0, 1]``.  ``0`` turns the brightness change off.

    random_state : int, RandomState instance or None, default=None
        Seed of the synthetic clips.  With an int, the k-th clip made from a given
        video is the same whatever else is in X: in another cross-validation fold,
        another order of X or another process (see Notes).  A ``RandomState``
        instance or ``None`` (NumPy's global generator) supplies one seed per call
        to :meth:`fit_resample`, from which every clip is derived the same way.

    Attributes
    ----------
    sampling_strategy_ : dict
        Number of samples to add to each over-sampled class, as
        :class:`~imblearn.over_sampling.RandomOverSampler` computes it from
        ``sampling_strategy`` (keys: class labels; values: counts).

    sample_indices_ : ndarray of shape (n_samples_resampled,)
        Index in X of the source video of every output sample.

    n_copies_ : ndarray of shape (n_samples,)
        Number of synthetic clips made from each input video.

    See Also
    --------
    to_frames : The pixels of a clip (or of any video).
    Clip : The lazy record of one output sample.
    imblearn.over_sampling.RandomOverSampler : Replicate samples without change.
    imblearn.over_sampling.SMOTE : Interpolate feature vectors; use it after the
        featurizer instead of this sampler before it.

    Notes
    -----
    **Input.**  X is a list, tuple or 1-D object array of videos (paths to video
    files, paths to folders of frame images, uint8 arrays ``(T, H, W, 3)`` or
    ``(T, H, W)``), or one uint8 array ``(N, T, H, W, 3)``.  X may instead hold
    precomputed per-frame features: a float array ``(n_videos, T, n_features)`` or a
    list of float arrays ``(T_i, n_features)``.  Only the temporal part of the method
    applies to features, so all four spatial ranges must then be 0 (a nonzero range is
    an error, not silently ignored).

    **Output.**  For videos, ``X_resampled`` is a list of :class:`Clip` (also when X is
    an array) whose ``video`` is the input video itself: a path, or the caller's
    array (a view into it for a 5-D X), never a copy.  Clips of array videos have
    concrete frame indices.  Clips of paths are lazy (``indices`` is None) and choose
    their frames, deterministically, when :meth:`Clip.resolve` or
    :meth:`Clip.to_frames` is called, so resampling decodes nothing, not even to count
    frames.  For features, ``X_resampled`` is a float array
    ``(n_samples_resampled, n_frames, n_features)`` of the selected frames, ready for a
    sequence classifier.  The output lists kept originals first (in the order of X),
    then each video's synthetic clips in the order of X.

    **Randomness per video.**  The k-th synthetic clip of a video draws its
    augmentation and its frame-selection seed from
    ``SeedSequence([random_state, identity], spawn_key=(k, ...))``, where the identity
    is a BLAKE2b digest of the video's path from its folder on (``class/video.mp4``,
    so a data set moved elsewhere gives the same clips), or of an array's dtype, shape and
    bytes (all bytes up to 16 MiB; beyond that, 64 evenly spaced frames subsampled to
    about 16 MiB, which bounds the cost of hashing big arrays; arrays that agree on the
    sample share random draws but still read their own pixels).  Nothing else enters
    the seed, so the clips of a video do not depend on the class sizes, the other
    videos or their order; only how many clips a video gets does.  This is what lets a
    feature cache serve every fold of a grid search.

    This sampler is applied by :meth:`fit_resample` only, so in an
    :class:`imblearn.pipeline.Pipeline` it acts during ``fit`` and is skipped at
    ``predict``, where the next step receives the raw videos.

    **Threads.**  ``fit_resample`` is a fit: it sets fitted attributes
    (``sample_indices_`` ...), so one instance must not run it in several threads at
    once (clone it per thread, as scikit-learn's searches do).  The clips it returns are
    immutable and may be shared freely.

    References
    ----------
    .. [1] S. Pouyanfar, S.-C. Chen and M.-L. Shyu, "Deep Spatio-Temporal
       Representation Learning for Multi-Class Imbalanced Data Classification",
       IEEE International Conference on Information Reuse and Integration (IRI),
       2018.

    Examples
    --------
    >>> import numpy as np
    >>> from collections import Counter
    >>> from skvideo_imb import SpatioTemporalOverSampler, to_frames
    >>> rng = np.random.RandomState(0)
    >>> X = [rng.randint(0, 256, (int(rng.randint(6, 12)), 16, 16, 3), dtype=np.uint8)
    ...      for _ in range(7)]
    >>> y = np.array([0, 0, 0, 0, 0, 1, 1])
    >>> sampler = SpatioTemporalOverSampler(n_frames=4, random_state=0)
    >>> X_res, y_res = sampler.fit_resample(X, y)
    >>> sorted(Counter(y_res.tolist()).items())
    [(0, 5), (1, 6)]
    >>> clip = X_res[-1]
    >>> clip.video is X[sampler.sample_indices_[-1]], clip.n_frames
    (True, 4)
    >>> to_frames(clip).shape
    (4, 16, 16, 3)
    """

    _parameter_constraints: dict = {
        **BaseOverSampler._parameter_constraints,
        "n_frames": [Interval(Integral, 1, None, closed="left")],
        "replication": [StrOptions({"paper", "exact"})],
        "keep_original": ["boolean"],
        "rotation_range": [Interval(Real, 0, 180, closed="both")],
        "translation_range": [Interval(Real, 0, 1, closed="both")],
        "shear_range": [Interval(Real, 0, 90, closed="left")],
        "brightness_range": [Interval(Real, 0, 1, closed="both")],
    }

    def __init__(self, *, sampling_strategy="auto", n_frames=40, replication="paper",
                 keep_original=False, rotation_range=10.0, translation_range=0.1,
                 shear_range=10.0, brightness_range=0.2, random_state=None):
        super().__init__(sampling_strategy=sampling_strategy)
        self.n_frames = n_frames
        self.replication = replication
        self.keep_original = keep_original
        self.rotation_range = rotation_range
        self.translation_range = translation_range
        self.shear_range = shear_range
        self.brightness_range = brightness_range
        self.random_state = random_state

    def fit_resample(self, X, y, **params):
        """Resample the videos: synthetic clips per class as ``replication`` says.

        Parameters
        ----------
        X : list of videos or ndarray
            The videos: a list, tuple or 1-D object array of paths or uint8 arrays,
            or a uint8 array of shape (n_samples, T, H, W, 3); or per-frame
            features, a float array of shape (n_samples, T, n_features) or a list of
            float arrays of shape (T_i, n_features).  See Notes of the class.

        y : array-like of shape (n_samples,)
            Class label of each video.

        **params : dict
            Unused; accepted for imbalanced-learn's interface.

        Returns
        -------
        X_resampled : list of Clip or ndarray
            Lazy clips for videos; for per-frame features, the selected frames, a
            float array of shape (n_samples_resampled, n_frames, n_features).

        y_resampled : ndarray or list of shape (n_samples_resampled,)
            Class label of each output sample (a list when y is a list).
        """
        if isinstance(X, (list, tuple)):
            # imbalanced-learn calls .tolist() on the output for list input; hold the
            # videos in an object array (by reference) so clips come back as they are.
            X = _object_array(X)
        return super().fit_resample(X, y, **params)

    def _check_X_y(self, X, y, accept_sparse=None):
        y, binarize_y = check_target_type(y, indicate_one_vs_all=True)
        if isinstance(X, (list, tuple)):
            X = _object_array(X)
        if isinstance(X, np.ndarray) and X.dtype.kind == "f":
            if X.ndim != 3:
                raise ValueError(
                    f"X is a float array of shape {X.shape}: videos must be uint8 arrays "
                    "(T, H, W[, 3]) of 0-255 pixel values, and per-frame features a float "
                    "array (n_videos, T, n_features).")
            items, is_features = _check_feature_sequences(list(X)), True
        elif (isinstance(X, np.ndarray) and X.dtype == object and len(X)
              and any(_is_feature_array(x) for x in X)):
            items, is_features = _check_feature_sequences(list(X)), True
        else:
            items, is_features = check_videos(X, allow_clips=False), False
        check_consistent_length(items, y)
        if is_features:
            spatial = {name: getattr(self, name) for name in _SPATIAL_PARAMS
                       if getattr(self, name) != 0}
            if spatial:
                raise ValueError(
                    "X holds per-frame features, to which only the temporal part of the "
                    "oversampling (frame selection) applies; spatial augmentation needs "
                    f"pixels. Set {', '.join(f'{k}=0' for k in spatial)} (got "
                    f"{', '.join(f'{k}={v}' for k, v in spatial.items())}).")
        return (items, is_features), y, binarize_y

    def _copies_per_video(self, y):
        """Number of synthetic clips of every input video."""
        copies = np.zeros(len(y), dtype=np.int64)
        for klass in np.unique(y):
            members = np.flatnonzero(y == klass)
            n_class = len(members)
            target = n_class + int(self.sampling_strategy_.get(klass, 0))
            if self.replication == "paper":
                counts = np.full(n_class, -(-target // n_class), dtype=np.int64)
            else:
                counts = np.full(n_class, target // n_class, dtype=np.int64)
                counts[:target % n_class] += 1
            copies[members] = counts - 1 if self.keep_original else counts
        return copies

    def _fit_resample(self, X, y):
        items, is_features = X
        entropy = draw_seed(self.random_state, keep_int=True)
        self.n_copies_ = self._copies_per_video(y)
        ranges = {name: getattr(self, name) for name in _SPATIAL_PARAMS}

        sources, clips = [], []
        if self.keep_original:
            for i, item in enumerate(items):
                sources.append(i)
                clips.append(Clip(item, n_frames=self.n_frames))
        for i, (item, n_copies) in enumerate(zip(items, self.n_copies_)):
            if n_copies == 0:
                continue
            digest = _video_digest(item)
            for k in range(n_copies):
                aug_rng, seed = _copy_seeds(entropy, digest, k)
                augmentation = draw_augmentation(aug_rng, **ranges)
                sources.append(i)
                clips.append(Clip(item, augmentation=(
                    None if augmentation.is_identity else augmentation),
                    n_frames=self.n_frames, seed=seed))
        self.sample_indices_ = np.asarray(sources, dtype=np.intp)
        y_resampled = y[self.sample_indices_]

        if is_features:
            # a clip of a feature sequence chooses its frames as a clip of pixels does
            X_resampled = np.stack([clip.video[list(clip.resolve(count=len).indices)]
                                    for clip in clips])
            return X_resampled, y_resampled
        clips = [clip.resolve() if isinstance(clip.video, np.ndarray) else clip
                 for clip in clips]
        return clips, y_resampled

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        tags.input_tags.dataframe = False
        tags.input_tags.string = True
        tags.input_tags.three_d_array = True
        tags.sampler_tags.sample_indices = True
        return tags
