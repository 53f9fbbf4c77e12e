"""InceptionFeaturizer: videos and clips → per-frame CNN features, batched and cached."""

import functools
import hashlib
import os
import threading
import warnings
from collections import namedtuple
from numbers import Integral

import numpy as np
import torch
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from .. import _runtime
from .._progress import progress, write_line
from .._seeds import draw_seed
from .._versions import package_version
from ..io import Clip, as_clip, check_videos, count_frames
from . import _backbones as bb
from ._cache import CountStore, FeatureCache, check_cache_folder
from ._engine_choice import choose_engine
from ._engines import (ENGINES, _Normalize, auto_candidates, build_engine, engine_available,
                       quantized_int8, resolve_engine)
from ._loading import SampleFrames, iterate
from ._scheduler import FrameScheduler

__all__ = ["InceptionFeaturizer"]

# Bump when the pixels handed to the network change for the same inputs (resizing,
# normalisation), so that old cache entries are no longer matched.
# sizes a fitted state may ask for when it is loaded (far beyond any real use, far below
# what would exhaust memory or processes)
_STATE_BOUNDS = {"n_frames": 100_000, "image_size": 4096, "batch_size": 65_536,
                 "num_workers": 256, "n_frame_features_": 1_000_000,
                 "n_frames_": 100_000, "image_size_": 4096}


def _with_fitted_sizes(state):
    """A fitted state with ``n_frames_`` and ``image_size_``: states saved before these
    were fitted attributes have only the parameters, which ``fit`` copied."""
    return {**{f"{name}_": state.get(name) for name in ("n_frames", "image_size")}, **state}


def check_state_sizes(state):
    """Refuse a fitted state whose sizes (:data:`_STATE_BOUNDS`) are not bounded integers.

    Used on unpickling and by the model-file audit, before anything is built.
    """
    state = _with_fitted_sizes(state)
    for key, bound in _STATE_BOUNDS.items():
        value = state.get(key)
        if not isinstance(value, Integral) or isinstance(value, bool) or not (
                (0 if key == "num_workers" else 1) <= value <= bound):
            raise ValueError(f"a fitted featurizer's {key}={value!r} is not an integer in "
                             f"[1, {bound}]; the state is damaged or crafted.")


def _frames_digest(frames):
    """Hash of calibration frames: their shape and pixels."""
    h = hashlib.blake2b(repr(frames.shape).encode(), digest_size=20)
    h.update(np.ascontiguousarray(frames).tobytes())
    return h.hexdigest()


def _check_quantization_frames(state):
    frames = state.get("_quantization_frames")
    if frames is None:
        if state.get("engine_") == "openvino-int8":
            raise ValueError("a fitted featurizer with engine_='openvino-int8' has no "
                             "calibration frames; the state is damaged or crafted.")
        return
    size = state.get("image_size_")
    if not (isinstance(frames, np.ndarray) and frames.dtype == np.uint8 and frames.ndim == 4
            and 1 <= frames.shape[0] <= 4096 and frames.shape[1:] == (3, size, size)):
        raise ValueError("a fitted featurizer's _quantization_frames are not uint8 frames "
                         f"(n, 3, {size}, {size}); the state is damaged or crafted.")
    if _frames_digest(frames) != state.get("quantization_digest_"):
        raise ValueError("a fitted featurizer's calibration frames do not match their "
                         "digest; the state is damaged or crafted.")


def _check_fitted_state(state):
    """Refuse a fitted state (unpickled or loaded) that this class would never produce."""
    bb.check_build_kwargs(state.get("backbone"), state.get("_build_kwargs"))
    check_state_sizes(state)
    if state.get("engine_") not in ENGINES:
        raise ValueError(f"a fitted featurizer's engine_={state.get('engine_')!r} is not "
                         f"one of {', '.join(ENGINES)}.")
    if state.get("precision_") not in _runtime.AUTOCAST_DTYPES:
        raise ValueError(f"a fitted featurizer's precision_={state.get('precision_')!r} is "
                         "not a precision.")
    if not isinstance(state.get("device_"), str):
        raise ValueError("a fitted featurizer's device_ is not a device name.")
    model_state = state.get("_model_state")
    if model_state is not None and not (isinstance(model_state, dict) and all(
            isinstance(k, str) and isinstance(v, np.ndarray) for k, v in model_state.items())):
        raise ValueError("a fitted featurizer's _model_state is not a state dict of arrays.")
    _check_quantization_frames(state)


_BUILD_LOCK = threading.RLock()  # building a network or an engine, once per featurizer
_PREPROCESSING_VERSION = 2  # 2: OpenCV area/bilinear resizing (resize_square)

CacheStats = namedtuple("CacheStats", ["hits", "misses"])
CacheStats.__doc__ = """Distinct frames of one transform read from the cache and computed."""


class _InProcess:
    """What a fitted featurizer builds and counts in this process; never pickled.

    Not fitted state: ``fit`` and unpickling create it, ``transform`` fills it (the
    network rebuilt after unpickling, the engine, the last transform's statistics), so
    that ``transform`` leaves the featurizer's attributes as ``fit`` left them.
    """

    def __init__(self, model=None):
        self.model = model
        self.engine = self.engine_key = None
        self.stats = None


class InceptionFeaturizer(TransformerMixin, BaseEstimator):
    """Per-frame features of a pretrained CNN (InceptionV3 by default) for videos.

    Each sample (a video in any supported form, or a :class:`~skvideo_imb.Clip` from
    the oversampler) becomes ``n_frames`` frames: evenly spaced for raw videos (repeated
    when the video is shorter), the clip's own frames and augmentation for clips.  Each
    frame is resized to ``image_size`` × ``image_size``, normalised as the backbone's
    ImageNet weights expect and passed through the network without its classifier; for
    InceptionV3 that is the 2048-value output of the last pooling layer, the spatial
    feature of Pouyanfar et al. (2018).

    Frames are decoded, augmented and resized by a :class:`torch.utils.data.DataLoader`
    (``num_workers`` processes, or in-process), batched across videos and run under
    :func:`torch.inference_mode` in channels-last memory format, in bf16 autocast where
    the hardware multiplies bf16 natively.  Only the output and a batch of frames are
    held in memory.  With ``cache`` set, every distinct frame is computed once and shared
    by later calls and by concurrent processes (a whole grid search).

    Parameters
    ----------
    n_frames : int, default=40
        Frames per sample (α in the paper).  Clips must have exactly this many frames.
    backbone : str, default="inception_v3"
        A torchvision classification model name (``"resnet50"``,
        ``"mobilenet_v3_large"``, ...); its last linear layer is removed and the
        features are the values that fed it.
    weights : "DEFAULT", str, path-like or None, default="DEFAULT"
        ``"DEFAULT"`` (or a torchvision weight-set name such as ``"IMAGENET1K_V1"``)
        loads torchvision's ImageNet weights, from torch.hub's cache or downloaded.  A
        path loads a local state dict of the same torchvision architecture with
        ``torch.load(path, weights_only=True)`` (for InceptionV3 one saved from
        ``torchvision.models.inception_v3(weights="DEFAULT")``).  ``None`` initialises
        the network at random from ``random_state`` and, in :meth:`fit`, recalibrates
        its BatchNorm statistics on training frames, which brings the features to an
        ImageNet-like scale (raw random initialisation gives degenerate features).
    image_size : int, default=299
        Side of the square network input, in pixels (at least 75 for InceptionV3).
        Frames are resized to it without cropping.
    batch_size : int, default=32
        Frames per forward pass.  Batches mix frames of consecutive videos.
    device : str or torch.device, default="auto"
        Where the network runs; ``"auto"`` is CUDA when available, else the CPU.  A
        CUDA device without CUDA is an error at :meth:`fit`; a featurizer fitted on a
        GPU and loaded on a machine without one runs on the CPU, with a warning.
    precision : {"auto", "fp32", "bf16", "fp16"}, default="auto"
        Autocast precision.  ``"auto"`` is bf16 on GPUs of compute capability 8.0 or
        more (fp16 on older ones) and on CPUs with AMX or AVX-512-BF16 instructions,
        fp32 on other CPUs (the table in :ref:`gpu`).  ``"fp16"`` needs CUDA.
    engine : {"auto", "torch", "torch-compile", "openvino", "openvino-int8"}, \
default="auto"
        What runs the fitted network on the frames.  ``"auto"``: on a CPU with the
        ``openvino`` package (the ``skvideo-imb[openvino]`` extra), whichever of
        OpenVINO and torch runs this network faster on this machine, measured by
        ``fit`` in a few seconds the first time a setting (CPU, backbone, size,
        precision; not the thread count, so that parallel workers choose as one
        process does) is met and remembered on disk (:ref:`engines`); else torch;
        torch on CUDA.
        ``"torch-compile"`` compiles the network with :func:`torch.compile` (tens of
        seconds once per process).  ``"openvino-int8"`` (the ``skvideo-imb[int8]``
        extra) runs the network quantized to 8-bit integers by NNCF, calibrated on
        ``n_quantization_frames`` training frames: 1.5× (75 px) to 2.0× (299 px)
        OpenVINO's bf16 forward speed where measured, but its features are those of
        another network (never chosen by ``"auto"``; see :ref:`engines` for the
        measured cost downstream).  The network is always fitted (and, for
        ``weights=None``, recalibrated) in torch and handed to the engine once per
        process; features of every engine agree with torch's to a cosine similarity of
        0.99 per frame, and the engine is part of the feature-cache key.
    num_workers : int, default=0
        DataLoader worker processes that decode frames while the network runs; 0
        decodes in one background thread of the calling process (which overlaps the
        network as well on 2 cores: ``benchmarks/featurize.py``).  The workers start
        from a fork server, never forked from the calling process (whose threads' locks
        they would inherit), so a script needs the usual ``if __name__ == "__main__":``
        guard, as with the ``spawn`` start method, and videos given as arrays are
        copied into each worker (they need no decoding: keep 0 for them).  Falls back
        to 0, with a warning, where worker processes cannot be started (inside daemonic
        processes, a script without that guard).
    cache : str, path-like or None, default=None
        Directory of the on-disk feature cache, or ``None`` for none.  Entries are keyed
        by the network setting (backbone, exact weights, image size, precision) and by
        each frame's identity (file path, size and modification time plus frame index,
        or a hash of the pixels for array videos) and augmentation.  Writes are atomic;
        every record is checksummed, and corrupt ones are recomputed (with a warning),
        never returned.  ``~`` is expanded.  A path that cannot be a folder is an error
        at :meth:`fit`; a cache that cannot be written (read-only, disk full) is used
        for reading only, with a warning, and ``transform`` still returns every
        feature.
    flatten : bool, default=True
        Return ``(n_samples, n_frames * n_frame_features_)``, frame-major, as every
        scikit-learn step expects; ``False`` returns ``(n_samples, n_frames,
        n_frame_features_)``.
    n_calibration_frames : int or None, default=512
        With ``weights=None``, at most this many training frames (drawn at random) are
        used to recalibrate BatchNorm; ``None`` uses all of them.
    n_quantization_frames : int, default=64
        With ``engine="openvino-int8"``, the training frames (drawn at random: the first
        of the recalibration frames with ``weights=None``) on which the int8 network's
        activation ranges are measured.  They are kept in the fitted featurizer (at
        299 px, 64 frames are 17 MB), so that every process quantizes the same network
        the same way; the quantized network is computed once per process, or once
        per cache folder with ``cache``.
    pickle_model : bool, default=False
        Whether pickling a fitted featurizer stores the network's weights (about 90 MB
        for InceptionV3).  By default only what is needed to rebuild it is stored (the
        weights source, the seed and, for random weights, the recalibrated BatchNorm
        statistics); the rebuilt network is checked against the fitted one.
    verbose : int, default=0
        ``1``: progress over the frames on standard error (a bar on a terminal, plain
        lines in a log file) and a line of cache statistics; ``0``: silent.  The same
        meaning in every estimator (:ref:`progress`).
    random_state : int, RandomState instance or None, default=None
        Seeds the random initialisation (``weights=None``) and the choice of
        calibration frames.

    Attributes
    ----------
    n_frame_features_ : int
        Features per frame (2048 for InceptionV3).
    device_ : str
        Device the network runs on.
    precision_ : str
        Resolved precision (``"fp32"``, ``"bf16"`` or ``"fp16"``).
    engine_ : str
        Resolved engine (``"torch"``, ``"torch-compile"``, ``"openvino"`` or
        ``"openvino-int8"``).
    quantization_digest_ : str or None
        With ``engine="openvino-int8"``, the hash of the kept calibration frames (part
        of the feature-cache key); otherwise None.
    weights_source_ : str
        Where the weights came from: ``"torchvision:<weight set>"``,
        ``"file:<name>"`` or ``"random:<seed>"``.
    model_digest_ : str
        Hash of every parameter and buffer of the fitted network; identifies it in the
        feature cache.
    n_frames_ : int
        ``n_frames`` at :meth:`fit`: frames per sample that :meth:`transform` reads.
    image_size_ : int
        ``image_size`` at :meth:`fit`: the side of the network input.

    See Also
    --------
    skvideo_imb.SpatioTemporalOverSampler : Emits the clips this step featurizes.
    skvideo_imb.ResBiLSTMClassifier : Consumes the features.

    Notes
    -----
    Frames are resized by :func:`skvideo_imb.io.resize_square` (area averaging when
    shrinking, bilinear interpolation when enlarging; frames without augmentation are
    resized as soon as they are decoded, so only small frames are held), then
    normalised with ImageNet's mean and standard deviation (for InceptionV3 with
    torchvision's weights the network itself maps those to its own input range).

    **Fitted state.**  As in scikit-learn, only ``fit`` changes the featurizer's
    attributes: ``transform`` reads ``n_frames_`` and ``image_size_`` (so setting
    ``n_frames`` or ``image_size`` after ``fit`` takes effect at the next ``fit``),
    reports cache statistics through :meth:`cache_stats`, and a featurizer loaded on
    a machine without its GPU or engine gets its ``device_``, ``precision_`` and
    ``engine_`` for this machine when it is loaded, with a warning.  ``batch_size``,
    ``num_workers``, ``cache``, ``flatten`` and ``verbose`` may be changed after
    ``fit``.

    **Threads.**  As in scikit-learn, ``fit`` mutates the estimator and must not run
    concurrently with anything else on it; a fitted featurizer's ``transform`` may be
    called from many threads at once (a Dask worker's threads, every fit of a search
    sharing it through :class:`~sklearn.frozen.FrozenEstimator`) and returns what a
    serial call returns: the network and engine are built once, each thread gets its
    own OpenVINO infer request and CUDA staging buffer, and torch-compile calls are
    serialised.  With a cache, every batch is padded to ``batch_size``, so a cached
    vector is the same whichever thread, process or batch computed it.

    References
    ----------
    .. [1] S. Pouyanfar, S.-C. Chen and M.-L. Shyu, "Deep Spatio-Temporal Representation
       Learning for Multi-Class Imbalanced Data Classification", IEEE IRI 2018.
    .. [2] C. Szegedy et al., "Rethinking the Inception Architecture for Computer
       Vision", CVPR 2016.

    Examples
    --------
    >>> import numpy as np
    >>> from skvideo_imb import InceptionFeaturizer
    >>> videos = np.random.RandomState(0).randint(0, 256, (2, 6, 80, 80, 3), dtype=np.uint8)
    >>> featurizer = InceptionFeaturizer(n_frames=2, weights=None, image_size=75,
    ...                                  random_state=0)
    >>> features = featurizer.fit_transform(videos)
    >>> features.shape, features.dtype, featurizer.n_frame_features_
    ((2, 4096), dtype('float32'), 2048)
    """

    _parameter_constraints = {
        "n_frames": [Interval(Integral, 1, None, closed="left")],
        "backbone": [str],
        "weights": [str, os.PathLike, None],
        "image_size": [Interval(Integral, 16, None, closed="left")],
        "batch_size": [Interval(Integral, 1, None, closed="left")],
        "device": [str, torch.device],
        "precision": [StrOptions(set(_runtime.PRECISIONS))],
        "engine": [StrOptions({"auto", *ENGINES})],
        "num_workers": [Interval(Integral, 0, None, closed="left")],
        "cache": [str, os.PathLike, None],
        "flatten": ["boolean"],
        "n_calibration_frames": [Interval(Integral, 2, None, closed="left"), None],
        "n_quantization_frames": [Interval(Integral, 1, 4096, closed="both")],
        "pickle_model": ["boolean"],
        "verbose": ["verbose"],
        "random_state": ["random_state"],
    }

    def __init__(self, n_frames=40, *, backbone="inception_v3", weights="DEFAULT",
                 image_size=299, batch_size=32, device="auto", precision="auto",
                 engine="auto", num_workers=0, cache=None, flatten=True, n_calibration_frames=512,
                 n_quantization_frames=64, pickle_model=False, verbose=0, random_state=None):
        self.n_frames = n_frames
        self.backbone = backbone
        self.weights = weights
        self.image_size = image_size
        self.batch_size = batch_size
        self.device = device
        self.precision = precision
        self.engine = engine
        self.num_workers = num_workers
        self.cache = cache
        self.flatten = flatten
        self.n_calibration_frames = n_calibration_frames
        self.n_quantization_frames = n_quantization_frames
        self.pickle_model = pickle_model
        self.verbose = verbose
        self.random_state = random_state

    # ------------------------------------------------------------------ fitting

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Build the network; with random weights, recalibrate BatchNorm on ``X``.

        Parameters
        ----------
        X : list of videos or clips, or uint8 ndarray (N, T, H, W[, 3])
            Training samples (read only when ``weights=None`` or
            ``engine="openvino-int8"``).
        y : ignored

        Returns
        -------
        self : InceptionFeaturizer
        """
        samples = check_videos(X)
        bb.check_backbone(self.backbone, self.image_size)
        if self.cache is not None:
            check_cache_folder(self._cache_root())
        device = _runtime.resolve_device(self.device)
        precision = _runtime.resolve_precision(self.precision, device, bf16_on_cpu=True)
        engine = resolve_engine(self.engine, device)
        rng = check_random_state(self.random_state)
        seed = draw_seed(rng)

        backbone = bb.build_backbone(self.backbone, self.weights, seed)
        model = backbone.model.to(device)
        self._batchnorm_state = frames = None
        if self.weights is None:
            frames = self._calibration_frames(samples, self.n_calibration_frames, rng)
            self._recalibrate(model, frames, device, precision)
            self._batchnorm_state = bb.to_numpy_state(bb.batchnorm_state(model))
        self._quantization_frames = self.quantization_digest_ = None
        if engine == "openvino-int8":
            if frames is None:
                frames = self._calibration_frames(samples, self.n_quantization_frames, rng)
            self._quantization_frames = frames[:self.n_quantization_frames].numpy().copy()
            self.quantization_digest_ = _frames_digest(self._quantization_frames)

        digest = bb.state_digest(model)
        if self.engine == "auto":  # the faster engine here, measured once per setting
            engine = choose_engine(
                auto_candidates(device), lambda name: build_engine(
                    name, model, device, precision, self.image_size, digest=digest,
                    batch_size=self.batch_size),
                backbone=self.backbone, image_size=self.image_size, precision=precision,
                batch_size=self.batch_size,
                report=lambda line: write_line(line, self.verbose))

        self._seed = seed
        self._build_kwargs = backbone.build_kwargs
        self._in_process = _InProcess(model)
        self.n_frames_ = self.n_frames
        self.image_size_ = self.image_size
        self.n_frame_features_ = backbone.n_features
        self.device_ = str(device)
        self.precision_ = precision
        self.engine_ = engine
        self.weights_source_ = backbone.source
        self.model_digest_ = digest
        return self

    def _calibration_frames(self, samples, n_frames, rng):
        """At most ``n_frames`` training frames drawn at random (all for None), in a
        random order: uint8 ``(n, 3, S, S)``."""
        # the cache's frame counts (it has no feature folder yet: the network is not final)
        count = functools.partial(
            count_frames, store=CountStore(self._cache_root()) if self.cache is not None
            else None)
        # planned on the clips' lengths, which a lazy clip knows before its frames are
        # chosen: only clips a calibration frame is drawn from are resolved (a file whose
        # count is unknown is decoded to its end for it)
        clips = [as_clip(sample, self.n_frames) for sample in samples]
        plan = [(k, t) for k, clip in enumerate(clips) for t in range(clip.n_frames)]
        n_cal = len(plan) if n_frames is None else min(len(plan), n_frames)
        chosen = {}  # clip number -> (resolved clip, its frame indices drawn), in order
        for j in np.sort(rng.choice(len(plan), size=n_cal, replace=False)):
            k, t = plan[j]
            if k not in chosen:
                chosen[k] = (clips[k].resolve(count=count), [])
            clip, indices = chosen[k]
            indices.append(clip.indices[t])
        dataset = SampleFrames([Clip(clip.video, indices, clip.augmentation)
                                for clip, indices in chosen.values()], None,
                               self.image_size, network_key="calibration")
        chunks = [item.frames for item in iterate(dataset, self.num_workers)
                  if item.frames is not None]
        frames = torch.cat(chunks)
        return frames[torch.from_numpy(rng.permutation(frames.shape[0]))]

    def _recalibrate(self, model, frames, device, precision):
        """Cumulative BatchNorm statistics over calibration frames."""
        if frames.shape[0] < 2:
            raise ValueError("recalibrating BatchNorm for weights=None needs at least 2 "
                             f"distinct training frames, got {frames.shape[0]}.")
        # Batches of near-equal size (at least 16 frames) so that batch statistics
        # are well defined and the cumulative average weights frames evenly.
        n_batches = max(1, frames.shape[0] // max(self.batch_size, 16))
        normalize = _Normalize().to(device)
        batches = (normalize(chunk.to(device)).contiguous(memory_format=torch.channels_last)
                   for chunk in torch.tensor_split(frames, n_batches))
        bb.recalibrate_batchnorm(model, batches, device, precision)

    # ------------------------------------------------------------------ the network

    def _get_engine(self, cache=None):
        """The engine running the fitted network, built once per process and setting;
        ``cache`` (this transform's :class:`FeatureCache`) keeps OpenVINO's conversion."""
        model = self._get_model()
        here = self._in_process
        key = (self.engine_, int(self.image_size_), int(self.batch_size))
        if here.engine is None or here.engine_key != key:
            with _BUILD_LOCK:  # threads sharing this featurizer build the engine once
                if here.engine is None or here.engine_key != key:
                    size = int(self.image_size_)
                    store = (os.path.join(cache.folder, f"openvino-{size}px")
                             if cache is not None else None)
                    quantized = None
                    if self.engine_ == "openvino-int8":
                        digest = f"{self.model_digest_}-{self.quantization_digest_}"
                        quantized = quantized_int8(
                            model, size, torch.from_numpy(self._quantization_frames),
                            digest, store and f"{store}-int8-{self.quantization_digest_[:16]}")
                    built = build_engine(
                        self.engine_, model, torch.device(self.device_), self.precision_,
                        size, store, self.model_digest_, batch_size=int(self.batch_size),
                        quantized=quantized)
                    here.engine_key = key  # the key first: unlocked readers check both
                    here.engine = built
        return here.engine

    def _get_model(self):
        here = self._in_process
        if here.model is None:
            with _BUILD_LOCK:  # threads sharing this featurizer build the network once
                if here.model is None:
                    here.model = self._rebuild_model()
        return here.model

    def _rebuild_model(self):
        """Rebuild the fitted network after unpickling, and check it is the same."""
        state = getattr(self, "_model_state", None)
        if state is not None:
            model = bb.rebuild_backbone(self.backbone, self._build_kwargs,
                                        bb.from_numpy_state(state))
        else:
            model = bb.build_backbone(self.backbone, self.weights, self._seed).model
            if self._batchnorm_state is not None:
                model.load_state_dict(bb.from_numpy_state(self._batchnorm_state),
                                      strict=False)
        if bb.state_digest(model) != self.model_digest_:
            raise RuntimeError(
                f"the rebuilt {self.backbone} network differs from the fitted one "
                f"(weights {self.weights_source_!r} changed, or a different torch "
                f"version initialises differently); refit, or pickle the fitted "
                f"featurizer with pickle_model=True.")
        return model.to(torch.device(self.device_))

    def _relocate(self, state):
        """Where an unpickled fitted featurizer runs: where it was fitted, else the CPU.

        On a machine without the fitted GPU it runs on the CPU, with a warning and the
        precision resolved again for the CPU; an engine not available here is replaced
        by the ``"auto"`` one, with a warning.  Decided once, on loading, so that
        ``transform`` never changes ``device_``, ``precision_`` or ``engine_``.
        """
        device, state["precision_"] = _runtime.relocate(
            state["device_"], state["precision_"], state.get("precision"), bf16_on_cpu=True,
            what=f"a {type(self).__name__}")
        state["device_"] = str(device)
        if not engine_available(state["engine_"], device):
            fallback = resolve_engine("auto", device)
            warnings.warn(f"engine {state['engine_']!r} of this {type(self).__name__} is "
                          f"not available here; using {fallback!r} (its features get their "
                          "own cache entries).", RuntimeWarning, stacklevel=4)
            state["engine_"] = fallback

    def __getstate__(self):
        state = dict(super().__getstate__())  # object.__getstate__ returns __dict__ itself
        here = state.pop("_in_process", None)
        model = here.model if here is not None else None
        state.pop("_model_state", None)
        if self.pickle_model and model is not None:
            state["_model_state"] = bb.to_numpy_state(
                {k: v.detach().cpu() for k, v in model.state_dict().items()})
        elif self.pickle_model and getattr(self, "_model_state", None) is not None:
            state["_model_state"] = self._model_state
        return state

    def __setstate__(self, state):
        # states saved before the int8 engine existed have neither
        state = {"n_quantization_frames": 64, **state}
        if "model_digest_" in state:  # fitted: the network is rebuilt from these alone
            state = _with_fitted_sizes({"quantization_digest_": None, **state})
            _check_fitted_state(state)
            self._relocate(state)
        super().__setstate__(state)
        self._in_process = _InProcess()

    # ------------------------------------------------------------------ cache

    def _network_setting(self):
        """Everything that decides a frame's features besides the frame itself.

        The one list of the feature-cache key's fields, in the key's order; the device
        type and the batch size too: kernels round differently on another device and
        for another batch shape, and every cached vector must be what a serial run
        with these settings computes.
        """
        return {"preprocessing_version": _PREPROCESSING_VERSION, "backbone": self.backbone,
                "weights": self.weights_source_, "model_digest": self.model_digest_,
                "image_size": int(self.image_size_), "precision": self.precision_,
                "engine": self.engine_, "device_type": torch.device(self.device_).type,
                "batch_size": int(self.batch_size),
                # the int8 network is the float one quantized on these frames
                **({"quantization": self.quantization_digest_}
                   if self.engine_ == "openvino-int8" else {})}

    def _network_key(self):
        return ("skvideo_imb-features", *self._network_setting().values())

    def _cache_root(self):
        return os.path.expanduser(os.fspath(self.cache))

    def _feature_cache(self):
        if self.cache is None:
            return None
        try:
            check_cache_folder(self._cache_root())
        except ValueError as exc:  # e.g. the path became a file after fit
            warnings.warn(f"{exc} This transform runs without a feature cache.",
                          RuntimeWarning, stacklevel=4)
            return None
        setting = self._network_setting()
        folder = bb.safe_name("-".join([
            setting["backbone"], f"{setting['image_size']}px", setting["precision"],
            setting["engine"], setting["model_digest"][:16],
            *([setting["quantization"][:16]] if "quantization" in setting else [])]))
        # what every entry of the folder shares (device type and batch size vary)
        description = {name: value for name, value in setting.items()
                       if name not in ("device_type", "batch_size")}
        description.update(n_frame_features=self.n_frame_features_,
                           torch=package_version("torch"),
                           torchvision=package_version("torchvision"))
        return FeatureCache(self._cache_root(), folder, self.n_frame_features_, description)

    # ------------------------------------------------------------------ transform

    def transform(self, X):
        """Features of every frame of every sample.

        Parameters
        ----------
        X : list of videos or clips, or uint8 ndarray (N, T, H, W[, 3])
            The samples.

        Returns
        -------
        features : ndarray of shape (n_samples, n_frames * n_frame_features_), float32
            Frame-major: columns ``[t * F, (t + 1) * F)`` are frame ``t``.  With
            ``flatten=False``, shape ``(n_samples, n_frames, n_frame_features_)``.
        """
        check_is_fitted(self, "model_digest_")
        samples = check_videos(X)
        cache = self._feature_cache()
        self._get_engine(cache)
        out = np.empty((len(samples), self.n_frames_, self.n_frame_features_),
                       dtype=np.float32)
        dataset = SampleFrames(samples, self.n_frames_, self.image_size_, self._network_key(),
                               cache=cache)
        with progress(out.shape[0] * out.shape[1], type(self).__name__, unit="frame",
                      verbose=self.verbose) as frames:
            scheduler = FrameScheduler(
                out, self._forward, self.batch_size, cache=cache,
                progress=frames.update, reload=dataset.__getitem__)
            try:
                for item in iterate(dataset, self.num_workers):
                    scheduler.add(item)
                scheduler.finish()
            finally:
                if cache is not None:
                    cache.release()  # claims of frames left uncomputed by an error
        self._report(scheduler, cache, len(samples))
        return out.reshape(len(samples), -1) if self.flatten else out

    def cache_stats(self):
        """Distinct frames of the last :meth:`transform` read from the cache and computed.

        Statistics, not fitted state: they describe the last ``transform`` that
        finished in this process (on any thread), and are not pickled.

        Returns
        -------
        stats : CacheStats or None
            A named tuple ``(hits, misses)``; ``None`` before the first ``transform``
            in this process.

        Examples
        --------
        >>> import numpy as np
        >>> from skvideo_imb import InceptionFeaturizer
        >>> videos = np.zeros((2, 3, 32, 32, 3), dtype=np.uint8)
        >>> featurizer = InceptionFeaturizer(2, backbone="mobilenet_v3_small", weights=None,
        ...                                  image_size=32, random_state=0).fit(videos)
        >>> _ = featurizer.transform(videos)
        >>> featurizer.cache_stats()  # no cache: every distinct frame is computed
        CacheStats(hits=0, misses=1)
        """
        check_is_fitted(self, "model_digest_")
        return self._in_process.stats

    def _report(self, scheduler, cache, n_samples):
        self._in_process.stats = stats = CacheStats(scheduler.hits, scheduler.misses)
        if scheduler.corrupt:
            counts = (f" ({scheduler.corrupt_counts} of them frame counts)"
                      if scheduler.corrupt_counts else "")
            warnings.warn(f"{scheduler.corrupt} corrupt feature-cache entries{counts} under "
                          f"{os.fspath(self.cache)!r} were detected and recomputed.",
                          RuntimeWarning, stacklevel=3)
        if cache is not None and cache.claim_error is not None:
            warnings.warn(f"leases on frames could not be kept under {cache.folder!r} "
                          f"({cache.claim_error}); frames were computed here without "
                          "coordinating with other processes.", RuntimeWarning,
                          stacklevel=3)
        errors = ([str(cache.write_error)] if cache is not None and cache.write_error
                  else []) + scheduler.cache_errors
        if errors:
            warnings.warn(f"the feature cache {os.fspath(self.cache)!r} could not be written "
                          f"({errors[0]}); this transform's features are correct but were "
                          "not all cached.", RuntimeWarning, stacklevel=3)
        write_line(f"{type(self).__name__}: {n_samples} samples, {stats.misses} "
                   f"frames computed, {stats.hits} read from cache.", self.verbose)

    def _forward(self, frames):
        """Features of uint8 frames ``(b, 3, S, S)``: one call of the engine."""
        return self._get_engine()(frames)

    # ------------------------------------------------------------------ metadata

    def get_feature_names_out(self, input_features=None):
        """Names of the output columns: ``frame{t}_feature{j}``, frame-major.

        Parameters
        ----------
        input_features : ignored

        Returns
        -------
        feature_names_out : ndarray of str objects
        """
        check_is_fitted(self, "n_frame_features_")
        return np.asarray([f"frame{t}_feature{j}" for t in range(self.n_frames_)
                           for j in range(self.n_frame_features_)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.transformer_tags.preserves_dtype = []
        return tags
