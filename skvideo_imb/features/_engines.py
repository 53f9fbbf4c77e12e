"""Inference engines: what runs the fitted network on batches of frames.

The featurizer fits and recalibrates its network in PyTorch; an engine then runs that
exact network on uint8 frames ``(b, 3, S, S)`` (channels-last in memory) and returns
float32 features.  Engines differ only in speed and in float rounding: features of two
engines agree to a cosine similarity of at least 0.99 per frame (tested), and the
engine is part of the feature-cache key, so vectors of two engines are never mixed.

``"openvino-int8"`` runs the network quantized to 8-bit integers by NNCF's post-training
quantization (the ``skvideo-imb[int8]`` extra), calibrated on training frames the
featurizer keeps; it is never chosen automatically (its features are not those of the
float network: see the user guide's engine section for what that costs downstream).

``"auto"`` is decided per machine by measurement (:mod:`._engine_choice`): on a CPU
with the ``openvino`` package, the featurizer's ``fit`` times OpenVINO against torch on
the fitted network once per setting (CPU, threads, backbone, size, precision) and
remembers the faster on disk; without it, or on CUDA, torch eager (cuDNN,
channels-last, autocast) is the only candidate.  ``"torch-compile"`` (inductor, frozen
weights) is never chosen automatically: it compiles for tens of seconds and, on the
CPUs measured, stays behind OpenVINO.

An engine is built once per fitted featurizer and process, on first use, and is not
pickled.  **Engines are thread-safe**: threads sharing one fitted featurizer each get
their own OpenVINO infer request and their own page-locked staging buffer on CUDA;
``torch.compile``'s compiled module is called by one thread at a time.  No engine
changes a process-wide switch: cuDNN's autotuner (``cudnn.benchmark``) used to be
switched on for the whole process; it is left as the user set it, since it picks
kernels by timing, which would make a cached vector depend on the process that
computed it, and toggling it per call is not thread-safe.

OpenVINO's converted network is stored in the feature cache as a folder (``model.xml``,
``model.bin`` and a manifest of their checksums and of the network digest they were
converted from), written under a temporary name and renamed into place.  A store whose
files do not match their manifest is reported, converted again and replaced; it never
produces a feature.  A store that cannot be written (a full disk, a read-only cache)
costs a conversion in the next process, with one warning naming the folder and error.
"""

import hashlib
import importlib.util
import json
import os
import shutil
import threading
import warnings
from collections import OrderedDict

import numpy as np
import torch

from .. import _runtime
from ._backbones import IMAGENET_MEAN, IMAGENET_STD
from ._claims import temporary_name
from ._engine_choice import AUTO_CANDIDATES
from ._telemetry import no_converter_telemetry

__all__ = ["ENGINES", "auto_candidates", "build_engine", "engine_available", "quantized_int8",
           "resolve_engine"]

ENGINES = ("torch", "torch-compile", "openvino", "openvino-int8")
"""Engine names an ``engine`` parameter accepts, besides ``"auto"``."""


def engine_available(name, device):
    """Whether engine ``name`` can run on ``device`` here (package installed, device)."""
    if name == "torch":
        return True
    if name == "torch-compile":
        return hasattr(torch, "compile")
    if name == "openvino":
        return device.type == "cpu" and importlib.util.find_spec("openvino") is not None
    if name == "openvino-int8":
        return engine_available("openvino", device) and \
            importlib.util.find_spec("nncf") is not None
    raise ValueError(f"engine must be 'auto' or one of {', '.join(ENGINES)}, got {name!r}.")


def auto_candidates(device):
    """The engines ``"auto"`` chooses among on ``device`` (installed ones, preferred
    first): see :mod:`._engine_choice`."""
    return tuple(name for name in AUTO_CANDIDATES if engine_available(name, device))


def resolve_engine(engine, device):
    """The concrete engine name for the ``engine`` parameter on ``device``.

    Parameters
    ----------
    engine : {"auto", "torch", "torch-compile", "openvino", "openvino-int8"}
    device : torch.device

    Returns
    -------
    name : str

    Raises
    ------
    ValueError
        For an unknown engine, or one that cannot run here (with the reason).
    """
    if engine == "auto":  # the preferred candidate; fit measures among auto_candidates
        return auto_candidates(device)[0]
    if not engine_available(engine, device):
        extra, packages = (("int8", "openvino and nncf packages are")
                           if engine == "openvino-int8" else ("openvino", "openvino package is"))
        why = (f"the {packages} not installed (pip install 'skvideo-imb[{extra}]')"
               if device.type == "cpu" else f"it runs on the CPU only, not on {device}")
        raise ValueError(f"engine={engine!r} cannot be used: {why}.")
    return engine


class _Normalize(torch.nn.Module):
    """uint8 frames → ImageNet-normalised float, inside the network."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1) * 255)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1) * 255)

    def forward(self, x):
        return (x.float() - self.mean) / self.std


class TorchEngine:
    """The network in PyTorch, eager, under the precision's autocast."""

    name = "torch"

    def __init__(self, model, device, precision, batch_size=None):
        self.device, self.precision = device, precision
        self.normalize = _Normalize().to(device)
        self.model = model
        self._local = threading.local()  # each thread's staging buffer

    def _forward(self, x):
        return self.model(x)

    def _to_device(self, frames):
        """On CUDA, through this thread's page-locked staging buffer, copied asynchronously."""
        if self.device.type != "cuda":
            return frames
        staging = getattr(self._local, "staging", None)
        if staging is None or staging.shape[0] < len(frames) or \
                staging.shape[1:] != frames.shape[1:]:
            staging = self._local.staging = torch.empty(frames.shape,
                                                        dtype=frames.dtype).pin_memory()
        staging = staging[:len(frames)]
        staging.copy_(frames)
        # this thread reuses the buffer only after __call__ has read the results back
        return staging.to(self.device, non_blocking=True)

    def __call__(self, frames):
        x = self._to_device(frames)
        with torch.inference_mode(), _runtime.autocast(self.device, self.precision):
            x = self.normalize(x).contiguous(memory_format=torch.channels_last)
            features = self._forward(x)
        return features.float().cpu().numpy()


class TorchCompileEngine(TorchEngine):
    """The network compiled by ``torch.compile`` (inductor), weights frozen.

    Every batch is padded to ``batch_size`` frames (the padding's features are
    dropped), so the network is compiled once per input size, not once per size of a
    last, smaller batch.  Calls are serialised: compilation is not thread-safe.
    """

    name = "torch-compile"

    def __init__(self, model, device, precision, batch_size=None):
        super().__init__(model, device, precision)
        self.batch_size = batch_size
        self.compiled = torch.compile(model, dynamic=False)
        self._lock = threading.Lock()

    def _forward(self, x):
        import torch._inductor.config as inductor_config
        n = x.shape[0]
        if self.batch_size is not None and n < self.batch_size:
            x = torch.cat([x, x.new_zeros((self.batch_size - n, *x.shape[1:]))]) \
                .contiguous(memory_format=torch.channels_last)
        with self._lock, inductor_config.patch(freezing=True):  # weights as constants
            return self.compiled(x)[:n]


class OpenVINOEngine:
    """The network converted to OpenVINO once, normalisation included, run on the CPU.

    The input is the uint8 batch in NHWC order (a free view of the channels-last
    frames); OpenVINO's preprocessing converts, normalises and transposes it.  The batch
    dimension is dynamic.  ``bf16`` sets OpenVINO's inference precision hint to bf16
    (used where the CPU has native bf16), ``fp32`` to f32.  Each thread runs its own
    infer request on the shared compiled model.
    """

    name = "openvino"

    def __init__(self, model, device, precision, image_size, store=None, digest=None,
                 converted=None):
        import openvino as ov

        core = _core(ov)
        if converted is None:
            converted = _load_store(core, store, digest) if store is not None else None
        if converted is None:
            converted = _converted(ov, model, image_size, digest)
            if store is not None:
                _save(ov, converted, store, digest)
        ppp = ov.preprocess.PrePostProcessor(converted.clone())  # keep the memo intact
        ppp.input().tensor().set_element_type(ov.Type.u8).set_layout(ov.Layout("NHWC"))
        ppp.input().model().set_layout(ov.Layout("NCHW"))
        ppp.input().preprocess().convert_element_type(ov.Type.f32) \
            .mean([m * 255 for m in IMAGENET_MEAN]).scale([s * 255 for s in IMAGENET_STD])
        config = {"INFERENCE_PRECISION_HINT": "bf16" if precision == "bf16" else "f32",
                  "INFERENCE_NUM_THREADS": torch.get_num_threads(),
                  "PERFORMANCE_HINT": "LATENCY"}
        self.compiled = core.compile_model(ppp.build(), "CPU", config)
        self._local = threading.local()  # each thread's infer request

    def __call__(self, frames):
        request = getattr(self._local, "request", None)
        if request is None:
            request = self._local.request = self.compiled.create_infer_request()
        nhwc = np.ascontiguousarray(frames.permute(0, 2, 3, 1).numpy())
        result = request.infer([nhwc], share_inputs=True)
        return np.array(result[0], dtype=np.float32).reshape(len(nhwc), -1)


def _convert(ov, model, image_size):
    """The torch network as an OpenVINO model with a dynamic batch dimension.

    The network is traced and frozen here, without the trace check: about 1.1 s for
    InceptionV3 on 2 cores, against 4 s for OpenVINO's own tracing of the module.
    """
    example = torch.zeros(1, 3, image_size, image_size)
    with torch.inference_mode(False), torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.jit's deprecation notices
        traced = torch.jit.freeze(torch.jit.trace(model.float().eval(), example,
                                                  check_trace=False))
        with no_converter_telemetry():
            return ov.convert_model(
                traced, input=[([-1, 3, image_size, image_size], ov.Type.f32)])


_CORE = {}  # process id -> the one OpenVINO Core of that process


def _core(ov):
    """This process's single OpenVINO ``Core``.

    Creating a second ``Core`` in a process and compiling with it crashes OpenVINO
    after a few dozen models (a segmentation fault, seen here in the test suite and
    reported by other projects), so every engine of a process shares one; a forked
    child makes its own.
    """
    pid = os.getpid()
    if pid not in _CORE:
        _CORE.clear()
        _CORE[pid] = ov.Core()
    return _CORE[pid]


_CONVERTED = OrderedDict()  # (network digest, image size) -> converted model, this process
_CONVERTED_SIZE = 4


def _converted(ov, model, image_size, digest):
    """The converted network, remembered per process for the few latest networks."""
    key = (digest, image_size)
    if digest is None:
        return _convert(ov, model, image_size)
    return _remember_converted(key, _CONVERTED[key] if key in _CONVERTED
                               else _convert(ov, model, image_size))


def _remember_converted(key, converted):
    """Remember ``converted`` under ``key`` as the latest; forget the oldest beyond
    :data:`_CONVERTED_SIZE`."""
    _CONVERTED[key] = converted
    _CONVERTED.move_to_end(key)
    if len(_CONVERTED) > _CONVERTED_SIZE:
        _CONVERTED.popitem(last=False)
    return converted


def _file_digest(path):
    h = hashlib.blake2b(digest_size=20)
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _load_store(core, store, digest):
    """The converted network kept in ``store``, or None (absent, or damaged: warned)."""
    manifest_path = os.path.join(store, "manifest.json")
    if not os.path.isdir(store):
        if os.path.exists(store + ".xml"):  # the layout of earlier releases: unverifiable
            warnings.warn(f"the OpenVINO store {store + '.xml'!r} has no checksums (an "
                          "earlier release's layout); converting again.", RuntimeWarning,
                          stacklevel=4)
        return None
    try:
        with open(manifest_path) as f:
            manifest = json.load(f)
        ok = (isinstance(manifest, dict) and manifest.get("digest") == digest
              and manifest.get("xml") == _file_digest(os.path.join(store, "model.xml"))
              and manifest.get("bin") == _file_digest(os.path.join(store, "model.bin")))
        if ok:
            return core.read_model(os.path.join(store, "model.xml"),
                                   os.path.join(store, "model.bin"))
        reason = "its files do not match their checksums"
    except (OSError, ValueError, RuntimeError) as exc:
        reason = f"{type(exc).__name__}: {exc}"
    warnings.warn(f"the OpenVINO store {store!r} is damaged ({reason}); converting the "
                  "network again and replacing it.", RuntimeWarning, stacklevel=4)
    return None


def _save(ov, converted, store, digest):
    """Save a converted network in the folder ``store``, atomically; warn if impossible."""
    folder = os.path.dirname(store)
    tmp = old = None
    try:
        os.makedirs(folder, exist_ok=True)
        tmp = temporary_name(folder, suffix="-openvino")
        os.mkdir(tmp)
        ov.save_model(converted, os.path.join(tmp, "model.xml"), compress_to_fp16=False)
        manifest = {"digest": digest, "xml": _file_digest(os.path.join(tmp, "model.xml")),
                    "bin": _file_digest(os.path.join(tmp, "model.bin"))}
        with open(os.path.join(tmp, "manifest.json"), "w") as f:
            json.dump(manifest, f)
        if os.path.lexists(store):  # a damaged or older store: moved away, then removed
            old = temporary_name(folder, suffix="-openvino")
            os.rename(store, old)
        try:
            os.rename(tmp, store)
            tmp = None
        except OSError:
            if not os.path.isdir(store):
                raise  # else another process stored the same network first: keep theirs
    except Exception as exc:  # OSError, or OpenVINO's RuntimeError on a full disk
        warnings.warn(f"the converted OpenVINO network could not be stored in {folder!r} "
                      f"({type(exc).__name__}: {exc}); it is used from memory and "
                      "converted again by the next process.", RuntimeWarning, stacklevel=4)
    finally:
        for leftover in (tmp, old):
            if leftover is not None:
                shutil.rmtree(leftover, ignore_errors=True)


def quantized_int8(model, image_size, frames, digest, store=None):
    """The network converted to OpenVINO and quantized to int8 by NNCF on ``frames``.

    Post-training quantization (NNCF's ``quantize``, performance preset: symmetric
    8-bit weights and activations, then fast bias correction) with activation ranges
    measured on ``frames``.  The result depends only on the network, the frames and the
    NNCF version: it is remembered in this process under ``digest`` (the network's and
    the frames' digests together) and kept in ``store`` when one is given (checked
    against its manifest like the float conversion), so it is computed once.

    Parameters
    ----------
    model : torch.nn.Module
        The fitted network, on the CPU.
    image_size : int
    frames : torch.Tensor of uint8, shape (n, 3, S, S)
        Calibration frames (at least one).
    digest : str
        Identifies the network and the frames together.
    store : str or None, default=None
        Folder to keep the quantized network in.

    Returns
    -------
    model : openvino.Model
    """
    import openvino as ov

    core = _core(ov)
    key = (digest, image_size, "int8")
    quantized = _load_store(core, store, digest) if store is not None else None
    if quantized is None and key in _CONVERTED:
        quantized = _CONVERTED[key]
        if store is not None:
            _save(ov, quantized, store, digest)
    elif quantized is None:
        import contextlib
        import io
        import logging

        import nncf

        normalize = _Normalize()
        batches = [normalize(chunk).numpy() for chunk in torch.split(frames, 16)]
        logger = logging.getLogger("nncf")
        level = logger.level
        logger.setLevel(logging.ERROR)  # NNCF's notes on the statistics it collects
        # and its progress bars (rich, written to sys.stdout): a few seconds, once per
        # network and process, under the featurizer's build lock
        try:
            with contextlib.redirect_stdout(io.StringIO()), no_converter_telemetry():
                quantized = nncf.quantize(
                    _converted(ov, model, image_size, None), nncf.Dataset(batches),
                    preset=nncf.QuantizationPreset.PERFORMANCE, subset_size=len(batches))
        finally:
            logger.setLevel(level)
        if store is not None:
            _save(ov, quantized, store, digest)
            # another process may have stored its quantization first: every process
            # sharing the cache then runs that one
            stored = _load_store(core, store, digest)
            quantized = quantized if stored is None else stored
    return _remember_converted(key, quantized)


def build_engine(name, model, device, precision, image_size, store=None, digest=None,
                 batch_size=None, quantized=None):
    """An engine running ``model`` (a fitted torch network on ``device``).

    Parameters
    ----------
    name : str
        From :func:`resolve_engine`.
    model : torch.nn.Module
    device : torch.device
    precision : str
    image_size : int
    store : str or None, default=None
        For OpenVINO, a path prefix under which the converted network is kept on disk
        (in the feature cache), so that other processes skip the conversion.
    digest : str or None, default=None
        The network's digest: the latest converted networks are remembered under it,
        so that refitting or unpickling the same network in this process converts it
        once.
    batch_size : int or None, default=None
        The largest batch: torch-compile pads every batch to it.
    quantized : openvino.Model or None, default=None
        For ``"openvino-int8"``: the network from :func:`quantized_int8`.

    Returns
    -------
    engine : callable
        Maps uint8 frames ``(b, 3, S, S)`` to float32 features ``(b, n_features)``.
    """
    if name == "openvino":
        return OpenVINOEngine(model, device, precision, image_size, store, digest)
    if name == "openvino-int8":
        if quantized is None:
            raise ValueError("the openvino-int8 engine needs the quantized network.")
        engine = OpenVINOEngine(model, device, precision, image_size, converted=quantized)
        engine.name = name
        return engine
    if name == "torch-compile":
        return TorchCompileEngine(model, device, precision, batch_size)
    return TorchEngine(model, device, precision)
