"""Backbones: torchvision classification models cut at their penultimate features.

Everything about *which network* the featurizer runs lives here: building a
torchvision model by name, loading its weights (torchvision's own, a local state-dict
file, or a seeded random initialisation), removing its classifier, recalibrating the
BatchNorm statistics of a randomly initialised network, and fingerprinting the resulting
network for the feature cache.  Where and in which precision it runs is decided by
:mod:`skvideo_imb._runtime`.
"""

import hashlib
import os
import re
import warnings
from functools import lru_cache

import numpy as np
import torch
import torchvision
from torch import nn

from .._runtime import autocast, seeded
from .._seeds import FIXED_SEED

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "Backbone", "batchnorm_layers",
           "batchnorm_state", "build_architecture", "build_backbone", "check_backbone",
           "check_build_kwargs",
           "classification_models", "from_numpy_state", "rebuild_backbone",
           "recalibrate_batchnorm", "safe_name", "state_digest", "to_numpy_state"]

# Every torchvision classification weight set normalises with ImageNet statistics.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)

# Smallest input each architecture accepts (InceptionV3's stride-2 stem needs 75 px).
_MIN_IMAGE_SIZE = {"inception_v3": 75, "googlenet": 32}

# Constructor arguments torchvision uses when it builds a model for pretrained weights;
# a local state dict is loaded into a model built the same way.  Auxiliary classifiers
# are never built: they are not part of the features, and their keys are dropped from
# state dicts that carry them.
_PRETRAINED_KWARGS = {
    "inception_v3": {"transform_input": True, "aux_logits": False, "init_weights": False},
    "googlenet": {"transform_input": True, "aux_logits": False, "init_weights": False},
}
# PyTorch's default initialisation (init_weights=False) builds six times faster than
# torchvision's truncated normal and, once BatchNorm is recalibrated, gives features of
# the same scale.
_RANDOM_KWARGS = {
    "inception_v3": {"aux_logits": False, "init_weights": False},
    "googlenet": {"aux_logits": False, "init_weights": False},
}
_AUX_PREFIXES = ("AuxLogits.", "aux1.", "aux2.")

@lru_cache(maxsize=1)
def classification_models():
    """Names of torchvision's image classification models (``resnet50``, ...)."""
    return tuple(torchvision.models.list_models(module=torchvision.models))


def check_backbone(name, image_size):
    """Raise a clear error for an unknown backbone or a too small image size."""
    if name not in classification_models():
        raise ValueError(f"backbone={name!r} is not a torchvision classification model; "
                         f"choose one of {', '.join(classification_models())}.")
    minimum = _MIN_IMAGE_SIZE.get(name, 32)
    if image_size < minimum:
        raise ValueError(f"image_size={image_size} is too small for {name}, which needs "
                         f"at least {minimum} pixels.")


# --------------------------------------------------------------------------- weights


def _is_weights_name(backbone, weights):
    if not isinstance(weights, str):
        return False
    if weights == "DEFAULT":
        return True
    enum = torchvision.models.get_model_weights(backbone)
    return weights in enum.__members__


def _torchvision_state_dict(backbone, weights):
    """torchvision's weights, downloaded (or taken from torch.hub's cache)."""
    enum = torchvision.models.get_model_weights(backbone)
    member = enum.DEFAULT if weights == "DEFAULT" else enum[weights]
    try:
        state = torch.hub.load_state_dict_from_url(member.url, progress=False, check_hash=True)
    except Exception as exc:  # URLError, HTTPError, OSError, SSL, hash mismatch ...
        checkpoint = os.path.join(torch.hub.get_dir(), "checkpoints",
                                  os.path.basename(member.url))
        raise RuntimeError(
            f"could not load torchvision's {member} weights for {backbone} "
            f"({type(exc).__name__}: {exc}). Without internet access, either pass "
            f"weights=<path to a local state-dict file> (for example one saved on a "
            f"machine online with torch.save(torchvision.models.{backbone}"
            f"(weights='DEFAULT').state_dict(), path), or that machine's {checkpoint!r} "
            f"copied here), or pass weights=None for a seeded random initialisation "
            f"whose BatchNorm statistics are recalibrated on the training frames."
        ) from exc
    return state, f"torchvision:{member}"


def _file_state_dict(path):
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"weights={path!r} is neither an existing state-dict file nor 'DEFAULT' or "
            f"the name of a torchvision weight set.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise ValueError(f"weights file {path!r} could not be loaded as a state dict with "
                         f"torch.load(..., weights_only=True): {exc}") from exc
    if not isinstance(state, dict) or not all(isinstance(v, torch.Tensor)
                                              for v in state.values()):
        raise ValueError(f"weights file {path!r} must hold a state dict (a mapping of names "
                         f"to tensors, as saved by torch.save(model.state_dict(), path)), "
                         f"got {type(state).__name__}.")
    return state, f"file:{os.path.basename(path)}"


def _load_state(model, state, backbone, source):
    state = {k: v for k, v in state.items() if not k.startswith(_AUX_PREFIXES)}
    result = model.load_state_dict(state, strict=False)
    if result.missing_keys or result.unexpected_keys:
        def few(keys):
            return ", ".join(keys[:5]) + (" ..." if len(keys) > 5 else "")
        raise ValueError(
            f"{source} does not hold a state dict of torchvision's {backbone}: "
            f"missing keys [{few(result.missing_keys)}], "
            f"unexpected keys [{few(result.unexpected_keys)}].")


def _strip_classifier(model, backbone):
    """Replace the last linear layer by the identity; return the feature width."""
    last = None
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            last = name
    if last is None:
        raise ValueError(f"backbone {backbone!r} has no final linear classifier to remove; "
                         "choose a model whose head ends with a linear layer.")
    parent_name, _, attr = last.rpartition(".")
    parent = model.get_submodule(parent_name) if parent_name else model
    n_features = parent.get_submodule(attr).in_features
    setattr(parent, attr, nn.Identity())
    return n_features


class Backbone:
    """A torchvision model without its classifier, plus what describes it.

    Attributes
    ----------
    model : torch.nn.Module
        On the CPU, in eval mode, channels-last, classifier replaced by the identity.
    n_features : int
        Width of the penultimate features.
    source : str
        Where the weights came from (``"torchvision:..."``, ``"file:..."``,
        ``"random:<seed>"``).
    build_kwargs : dict
        Constructor arguments, needed to rebuild the same architecture.
    """

    def __init__(self, model, n_features, source, build_kwargs):
        self.model = model
        self.n_features = n_features
        self.source = source
        self.build_kwargs = build_kwargs


def check_build_kwargs(backbone, build_kwargs):
    """Refuse a saved architecture that :func:`build_backbone` would never have built.

    A fitted featurizer is rebuilt from its ``backbone`` name and constructor arguments;
    loaded from a file, both are checked so that the file cannot ask torchvision for an
    arbitrary construction (another head size, custom layers ...).
    """
    if not isinstance(backbone, str) or backbone not in classification_models():
        raise ValueError(f"a fitted featurizer's backbone {backbone!r} is not a torchvision "
                         "classification model.")
    allowed = (_RANDOM_KWARGS.get(backbone, {}), _PRETRAINED_KWARGS.get(backbone, {}))
    if not isinstance(build_kwargs, dict) or build_kwargs not in allowed:
        raise ValueError(f"a fitted featurizer's construction arguments {build_kwargs!r} "
                         f"are not the ones this toolkit builds {backbone} with.")


def build_architecture(backbone, build_kwargs, seed=None):
    """The bare architecture, randomly initialised on the CPU from ``seed``.

    Only the CPU generator is seeded (and restored): no GPU's random state changes.
    """
    with seeded(seed), warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        model = torchvision.models.get_model(backbone, weights=None, **build_kwargs)
    return model


def build_backbone(backbone, weights, seed):
    """Build ``backbone`` with the requested weights on the CPU.

    Parameters
    ----------
    backbone : str
        A torchvision classification model name.
    weights : "DEFAULT", str, path-like or None
        torchvision's weights (``"DEFAULT"`` or a weight-set name such as
        ``"IMAGENET1K_V1"``), a local state-dict file, or ``None`` for random init.
    seed : int
        Seed of the random initialisation (used when ``weights`` is None).

    Returns
    -------
    backbone : Backbone
    """
    if weights is None:
        kwargs = dict(_RANDOM_KWARGS.get(backbone, {}))
        model = build_architecture(backbone, kwargs, seed)
        source = f"random:{seed}"
    else:
        kwargs = dict(_PRETRAINED_KWARGS.get(backbone, {}))
        if _is_weights_name(backbone, weights) and not os.path.isfile(weights):
            state, source = _torchvision_state_dict(backbone, weights)
        else:
            state, source = _file_state_dict(weights)
        model = build_architecture(backbone, kwargs, FIXED_SEED)
        _load_state(model, state, backbone, f"weights {source!r}")
    n_features = _strip_classifier(model, backbone)
    model.eval()
    model = model.to(memory_format=torch.channels_last)
    return Backbone(model, n_features, source, kwargs)


def rebuild_backbone(backbone, build_kwargs, state):
    """The architecture with a saved (classifier-free) state dict loaded."""
    model = build_architecture(backbone, build_kwargs, FIXED_SEED)
    _strip_classifier(model, backbone)
    model.load_state_dict(state)
    model.eval()
    return model.to(memory_format=torch.channels_last)


# --------------------------------------------------------------------------- BatchNorm


def batchnorm_layers(model):
    return [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]


def recalibrate_batchnorm(model, batches, device, precision):
    """Re-estimate every BatchNorm's running mean and variance on ``batches``.

    Every BatchNorm layer normalises each batch with that batch's own statistics, as in
    training, and its running statistics become the average of the batch statistics
    over all batches (equal weight per batch: PyTorch's ``momentum=None``).  No
    gradient is computed and no weight changes; the model is in eval mode afterwards.

    The recalibration runs on one thread, with the batch statistics accumulated in
    float64, so that it does not depend on the thread budget of the process: oneDNN
    splits convolutions and reductions by thread, and a randomly initialised network
    amplifies the rounding differences (features differed by up to 3.7 at a scale of
    0.4 between 1 and 2 threads in bf16, 0.46 in fp32).  With this, ``fit`` gives the
    same network in ``GridSearchCV(n_jobs=...)``, in a Dask worker and on a laptop.  It
    costs little at the sizes random weights are used for (the 512 calibration frames
    take about 2 s at 75 × 75 on one thread).

    Parameters
    ----------
    model : torch.nn.Module
    batches : iterable of torch.Tensor
        Normalised input batches, already on ``device``.
    device : torch.device
    precision : str
    """
    layers = batchnorm_layers(model)
    if not layers:
        return
    sums = {id(m): [0, 0.0, 0.0] for m in layers}  # batches, sum of means, of variances

    def calibrating(module):
        def forward(x):
            dims = [d for d in range(x.dim()) if d != 1]
            x64 = x.detach().to(torch.float64)
            mean = x64.mean(dim=dims)
            # E[x^2] - mean^2: in float64 the cancellation costs nothing measurable at
            # activation scales, and it is 3x faster than var() over strided dims
            var = (x64 * x64).mean(dim=dims).sub_(mean * mean).clamp_(min=0)
            del x64
            n = x.numel() // x.shape[1]
            entry = sums[id(module)]
            entry[0] += 1
            entry[1] = entry[1] + mean
            entry[2] = entry[2] + var * (n / max(n - 1, 1))  # running_var is unbiased
            shape = [1, -1] + [1] * (x.dim() - 2)
            scale = module.weight.double() / torch.sqrt(var + module.eps)
            shift = module.bias.double() - mean * scale
            # statistics in float64, the normalisation itself in the layer's dtype
            return x * scale.to(x.dtype).view(shape) + shift.to(x.dtype).view(shape)
        return forward

    for m in layers:
        m.forward = calibrating(m)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with torch.no_grad(), autocast(device, precision):
            for batch in batches:
                model(batch)
    finally:
        torch.set_num_threads(threads)
        for m in layers:
            del m.forward  # back to the class's own forward
        model.eval()
    with torch.no_grad():
        for m in layers:
            count, mean_sum, var_sum = sums[id(m)]
            if count:
                m.running_mean.copy_(mean_sum / count)
                m.running_var.copy_(var_sum / count)
                m.num_batches_tracked.fill_(count)


def batchnorm_state(model):
    """The running statistics of every BatchNorm layer, as CPU tensors by name."""
    names = {id(m) for m in batchnorm_layers(model)}
    state = {}
    for name, module in model.named_modules():
        if id(module) in names:
            for buffer_name, buffer in module.named_buffers(recurse=False):
                state[f"{name}.{buffer_name}"] = buffer.detach().cpu().clone()
    return state


# --------------------------------------------------------------------------- identity


def state_digest(model):
    """A hex digest of every parameter and buffer: the network's exact identity."""
    h = hashlib.blake2b(digest_size=16)
    for name, tensor in sorted(model.state_dict().items()):
        array = tensor.detach().cpu().contiguous().reshape(-1)
        h.update(f"{name}|{tensor.dtype}|{tuple(tensor.shape)}|".encode())
        h.update(array.view(torch.uint8).numpy())  # the buffer itself, not a copy
    return h.hexdigest()


def safe_name(text):
    """``text`` reduced to characters that are safe in a file name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text)[:60]


def to_numpy_state(state):
    return {k: v.numpy() for k, v in state.items()}


def from_numpy_state(state):
    return {k: torch.from_numpy(np.asarray(v)) for k, v in state.items()}
