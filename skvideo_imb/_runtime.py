"""Where and how torch runs: device, numeric precision, autocast and seeding.

Every torch estimator of the package resolves its ``device`` and ``precision``
parameters here, with the same functions and the same errors.  The rules:

**Device.**  ``"auto"`` is a CUDA device when CUDA is available, else the CPU.  With one
visible GPU (a Dask-CUDA worker sees exactly its own) that GPU; with several, each
process claims one for its lifetime, so that the concurrent fits of
``GridSearchCV(n_jobs=k)`` spread over the GPUs (:func:`claim_gpu`).  Anything else is
handed to :class:`torch.device`; a CUDA device without CUDA is a ``ValueError``.

**Precision.**  ``"fp32"``, ``"bf16"`` or ``"fp16"`` are autocast precisions (``fp32``
means no autocast).  ``"fp16"`` needs CUDA on every estimator (PyTorch's CPU kernels for
it are emulated or missing).  ``"auto"`` is decided per estimator by one rule with one
switch, ``bf16_on_cpu``:

============================  ==========================  ===========================
device                        ``bf16_on_cpu=True``        ``bf16_on_cpu=False``
============================  ==========================  ===========================
CUDA, compute capability ≥ 8  bf16                        bf16
CUDA, older GPU               fp16                        fp16
CPU with AMX or AVX-512-BF16  bf16                        fp32
other CPU                     fp32                        fp32
============================  ==========================  ===========================

The featurizer uses ``bf16_on_cpu=True`` (InceptionV3's convolutions run 1.9× faster
in bf16 on an AVX-512-BF16 CPU, ``benchmarks/featurize.py``); the classifier uses
``bf16_on_cpu=False`` (PyTorch's CPU LSTM is slower in bf16 than in fp32,
``benchmarks/train_speed.py``).  bf16 on a GPU is decided by the *target* device's
compute capability: :func:`torch.cuda.is_bf16_supported` also counts emulated bf16,
which is slower than fp16 with gradient scaling on pre-Ampere GPUs.

**Moving a fitted estimator.**  A model fitted on a GPU and loaded on a machine
without one falls back to the CPU with a warning (:func:`relocate`), and an ``"auto"``
or ``"fp16"`` precision is resolved again for the CPU.

**Seeding.**  :func:`seeded` seeds the CPU generator and the generator of the one CUDA
device that a fit uses, and restores both afterwards; other GPUs and the caller's
random state are left alone (:func:`torch.manual_seed` would reseed every GPU for
good).

**Dask workers.**  Dask starts its worker processes with ``MALLOC_TRIM_THRESHOLD_=65536``,
which turns off glibc's adaptive ``mmap`` threshold: every tensor buffer over 128 KiB
is then mapped and unmapped afresh, page faults and all, and PyTorch trained the
quick-size LSTM at half speed in such a process (``benchmarks/search_scaling.py``; the
same process with the thresholds below ran at full speed).  :func:`dask_worker_config`
is the Dask configuration that starts workers with thresholds that keep torch fast,
and with one torch thread per worker thread.
"""

import os
import warnings
from contextlib import contextmanager, nullcontext
from functools import lru_cache

import torch

__all__ = ["AUTOCAST_DTYPES", "PRECISIONS", "autocast", "claim_gpu", "cpu_has_native_bf16",
           "visible_gpus",
           "cuda_has_native_bf16", "dask_worker_config", "relocate", "resolve_device",
           "resolve_precision", "seeded"]

AUTOCAST_DTYPES = {"fp32": None, "bf16": torch.bfloat16, "fp16": torch.float16}
"""Autocast dtype of each precision (``None``: no autocast)."""

PRECISIONS = frozenset(AUTOCAST_DTYPES) | {"auto"}
"""Valid values of a ``precision`` parameter."""


def resolve_device(device):
    """The :class:`torch.device` that ``device`` (a parameter value) names.

    Parameters
    ----------
    device : str or torch.device
        ``"auto"``, or anything :class:`torch.device` accepts.

    Returns
    -------
    device : torch.device

    Raises
    ------
    ValueError
        If a CUDA device is requested and CUDA is not available.

    Examples
    --------
    >>> from skvideo_imb._runtime import resolve_device
    >>> resolve_device("cpu")
    device(type='cpu')
    """
    if isinstance(device, str) and device == "auto":
        if not torch.cuda.is_available():
            return torch.device("cpu")
        if torch.cuda.device_count() > 1:
            return torch.device("cuda", claim_gpu())
        return torch.device("cuda", torch.cuda.current_device())
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device={str(device)!r} was requested but CUDA is not available; "
                         "use device='auto' or 'cpu'.")
    return device


_CLAIM = {}  # process id -> (GPU index, open lock file holding the claim)


def _nvml_free_memory(uuids):
    """``{uuid: free bytes}`` from NVML (package ``nvidia-ml-py``), which creates no CUDA
    context; empty when NVML is not available."""
    try:
        import pynvml
        pynvml.nvmlInit()
    except Exception:  # not installed, no driver ...
        return {}
    free = {}
    try:
        for uuid in uuids:
            try:
                handle = pynvml.nvmlDeviceGetHandleByUUID(uuid.encode())
                free[uuid] = int(pynvml.nvmlDeviceGetMemoryInfo(handle).free)
            except Exception:
                continue
    finally:
        try:
            pynvml.nvmlShutdown()
        except Exception:
            pass
    return free


def visible_gpus():
    """The GPUs this process sees: ``[(index, uuid, free bytes or None)]``.

    ``index`` is the process's own CUDA index (it depends on ``CUDA_VISIBLE_DEVICES``);
    ``uuid`` names the physical GPU whatever the index, and free memory comes from NVML
    when ``nvidia-ml-py`` is installed.  No CUDA context is created on any GPU: device
    properties come from the driver, free memory from NVML.
    """
    uuids = []
    for index in range(torch.cuda.device_count()):
        uuid = str(torch.cuda.get_device_properties(index).uuid)
        uuids.append(uuid if uuid.startswith("GPU-") else f"GPU-{uuid}")
    free = _nvml_free_memory(uuids)
    return [(index, uuid, free.get(uuid)) for index, uuid in enumerate(uuids)]


def claim_gpu(lock_dir=None):
    """The GPU this process uses for ``device="auto"`` when several are visible.

    The first call of a process claims a GPU and keeps it for the process's lifetime:
    it tries the GPUs in decreasing order of free memory (index order when NVML is not
    installed) and takes the first whose lock file no other living process holds.  Lock
    files are named by the GPU's UUID (``skvideo_imb-gpu-<uid>-<uuid>.lock`` in
    ``lock_dir``), so processes with differently ordered ``CUDA_VISIBLE_DEVICES`` (as
    dask-cuda sets them) agree on which GPU is taken.  Locks are advisory (``flock``)
    and die with their process, so a killed worker frees its GPU.  No GPU but the one
    returned gets a CUDA context from this.

    **More processes than GPUs**: a process that finds every GPU claimed shares the one
    with the most free memory (the first when unknown) and says so in a
    ``RuntimeWarning`` naming the GPU, its free memory and how to avoid it (fewer
    workers, or explicit ``device="cuda:N"``); it never shares silently.

    Parameters
    ----------
    lock_dir : str or None, default=None
        Folder of the lock files; the temporary folder when None.

    Returns
    -------
    index : int
        The CUDA index, in this process's numbering.
    """
    import fcntl
    import tempfile

    pid = os.getpid()
    if pid in _CLAIM:
        return _CLAIM[pid][0]
    _CLAIM.clear()  # a forked child claims its own
    gpus = visible_gpus()
    order = sorted(gpus, key=lambda g: (-(g[2] if g[2] is not None else 0), g[0]))
    folder = lock_dir or tempfile.gettempdir()
    for index, uuid, _ in order:
        path = os.path.join(folder, f"skvideo_imb-gpu-{os.getuid()}-{uuid}.lock")
        try:
            handle = open(path, "a")
        except OSError:
            continue
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        _CLAIM[pid] = (index, handle)
        return index
    index, uuid, free = order[0]
    memory = (f"{free / 2 ** 30:.1f} GiB free" if free is not None else
              "free memory unknown (install nvidia-ml-py to place by free memory)")
    warnings.warn(f"every one of the {len(gpus)} visible GPUs is claimed by another "
                  f"process: this process shares cuda:{index} ({uuid}, {memory}).  Run at "
                  "most one worker per GPU, or pass device='cuda:N' explicitly.",
                  RuntimeWarning, stacklevel=3)
    _CLAIM[pid] = (index, None)
    return index


def _cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


@lru_cache(maxsize=1)
def cpu_has_native_bf16():
    """Whether this CPU multiplies bf16 in hardware (AMX-BF16 or AVX-512-BF16).

    Returns
    -------
    native : bool
    """
    return bool({"amx_bf16", "avx512_bf16"} & _cpu_flags())


def cuda_has_native_bf16(device):
    """Whether the CUDA ``device`` computes bf16 natively (compute capability ≥ 8.0).

    Parameters
    ----------
    device : torch.device
        A CUDA device; without an index, the current one.

    Returns
    -------
    native : bool
    """
    index = device.index if device.index is not None else torch.cuda.current_device()
    return tuple(torch.cuda.get_device_capability(index)) >= (8, 0)


def resolve_precision(precision, device, *, bf16_on_cpu):
    """The concrete precision (``"fp32"``, ``"bf16"`` or ``"fp16"``) for ``device``.

    Parameters
    ----------
    precision : {"auto", "fp32", "bf16", "fp16"}
        The parameter value.
    device : torch.device
        A resolved device (:func:`resolve_device`).
    bf16_on_cpu : bool
        The estimator's rule for ``"auto"`` on a CPU with native bf16 (see the module
        docstring's table).

    Returns
    -------
    precision : str

    Raises
    ------
    ValueError
        For an unknown precision, or ``"fp16"`` on a device other than CUDA.

    Examples
    --------
    >>> import torch
    >>> from skvideo_imb._runtime import resolve_precision
    >>> resolve_precision("bf16", torch.device("cpu"), bf16_on_cpu=False)
    'bf16'
    >>> resolve_precision("fp16", torch.device("cpu"), bf16_on_cpu=True)
    Traceback (most recent call last):
    ...
    ValueError: precision='fp16' needs a CUDA device; use 'bf16' or 'fp32' on cpu.
    """
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {sorted(PRECISIONS)}, got {precision!r}.")
    if precision == "fp16" and device.type != "cuda":
        raise ValueError(f"precision='fp16' needs a CUDA device; use 'bf16' or 'fp32' on "
                         f"{device.type}.")
    if precision != "auto":
        return precision
    if device.type == "cuda":
        return "bf16" if cuda_has_native_bf16(device) else "fp16"
    if device.type == "cpu" and bf16_on_cpu and cpu_has_native_bf16():
        return "bf16"
    return "fp32"


def relocate(device, precision, requested_precision, *, bf16_on_cpu, what):
    """Where a fitted estimator runs after loading: its device, or the CPU if gone.

    Parameters
    ----------
    device : str
        The device the estimator was fitted on (its ``device_``).
    precision : str
        Its resolved precision (``precision_``).
    requested_precision : str
        Its ``precision`` parameter.
    bf16_on_cpu : bool
        The estimator's rule for ``"auto"`` (see :func:`resolve_precision`).
    what : str
        The estimator's name, for the warning.

    Returns
    -------
    device : torch.device
    precision : str

    Examples
    --------
    >>> from skvideo_imb._runtime import relocate
    >>> relocate("cpu", "fp32", "auto", bf16_on_cpu=False, what="a classifier")
    (device(type='cpu'), 'fp32')
    """
    device = torch.device(device)
    if device.type != "cuda":
        return device, precision
    if torch.cuda.is_available():
        n_gpus = torch.cuda.device_count()
        if device.index is None or device.index < n_gpus:
            return device, precision
        here = resolve_device("auto")  # cuda:N of a bigger machine: one of ours instead
        new_precision = resolve_precision(requested_precision, here,
                                          bf16_on_cpu=bf16_on_cpu)
        warnings.warn(f"{what} fitted on {device} is loaded on a machine with {n_gpus} "
                      f"GPU{'s' * (n_gpus != 1)}: it runs on {here} with precision "
                      f"{new_precision!r}.", RuntimeWarning, stacklevel=3)
        return here, new_precision
    cpu = torch.device("cpu")
    fallback = "auto" if requested_precision in ("auto", "fp16") else requested_precision
    new_precision = resolve_precision(fallback, cpu, bf16_on_cpu=bf16_on_cpu)
    warnings.warn(f"{what} fitted on {device} is loaded on a machine without CUDA: it runs "
                  f"on the CPU with precision {new_precision!r} (fitted with "
                  f"{precision!r}).", RuntimeWarning, stacklevel=3)
    return cpu, new_precision


def autocast(device, precision):
    """An autocast context for ``precision`` on ``device``; nothing for fp32.

    Parameters
    ----------
    device : torch.device
    precision : {"fp32", "bf16", "fp16"}

    Returns
    -------
    context : context manager
    """
    dtype = AUTOCAST_DTYPES[precision]
    if dtype is None:
        return nullcontext()
    return torch.autocast(device_type=device.type, dtype=dtype)


@contextmanager
def seeded(seed, device=None):
    """Run the block with torch's generators of ``device`` (and the CPU) seeded.

    Seeds the CPU generator and, for a CUDA ``device``, that device's generator only;
    both are restored on exit, so the caller's random streams and the other GPUs are
    untouched.  ``seed=None`` seeds nothing.

    Parameters
    ----------
    seed : int or None
    device : torch.device or None, default=None

    Examples
    --------
    >>> import torch
    >>> from skvideo_imb._runtime import seeded
    >>> with seeded(0):
    ...     a = torch.rand(1)
    >>> with seeded(0):
    ...     b = torch.rand(1)
    >>> bool(a == b)
    True
    """
    if seed is None:
        yield
        return
    cuda = []
    if device is not None and torch.device(device).type == "cuda":
        index = torch.device(device).index
        cuda = [torch.cuda.current_device() if index is None else index]
    with torch.random.fork_rng(devices=cuda):
        torch.default_generator.manual_seed(seed)
        for index in cuda:
            with torch.cuda.device(index):
                torch.cuda.manual_seed(seed)
        yield


WORKER_MALLOC_ENVIRON = {"MALLOC_TRIM_THRESHOLD_": 128 * 2**20,
                         "MALLOC_MMAP_THRESHOLD_": 32 * 2**20}
"""glibc malloc thresholds for Dask worker processes (see the module's notes)."""

WORKER_THREADS_ENVIRON = {"OMP_NUM_THREADS": 1, "MKL_NUM_THREADS": 1,
                          "OPENBLAS_NUM_THREADS": 1}
"""One torch (OpenMP, MKL, OpenBLAS) thread per Dask worker thread: the cluster's
processes and threads already use the cores, and torch's default of a thread per core
in every worker would oversubscribe them."""


def dask_worker_config():
    """Settings for :func:`dask.config.set` that start fast Dask workers for torch.

    They replace Dask's ``MALLOC_TRIM_THRESHOLD_`` of 64 KiB in the environment of the
    worker processes a nanny starts (``LocalCluster``, ``dask worker``) by
    :data:`WORKER_MALLOC_ENVIRON`, and limit torch to one thread per worker thread
    (:data:`WORKER_THREADS_ENVIRON`; Dask's default configuration does so too, but a
    site configuration that replaces ``pre-spawn-environ`` would not).  Set them
    before the cluster starts.

    Returns
    -------
    config : dict

    Examples
    --------
    >>> from skvideo_imb._runtime import dask_worker_config
    >>> sorted(dask_worker_config())  # doctest: +NORMALIZE_WHITESPACE
    ['distributed.nanny.pre-spawn-environ.MALLOC_MMAP_THRESHOLD_',
     'distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_',
     'distributed.nanny.pre-spawn-environ.MKL_NUM_THREADS',
     'distributed.nanny.pre-spawn-environ.OMP_NUM_THREADS',
     'distributed.nanny.pre-spawn-environ.OPENBLAS_NUM_THREADS']
    """
    return {f"distributed.nanny.pre-spawn-environ.{name}": value
            for name, value in {**WORKER_MALLOC_ENVIRON, **WORKER_THREADS_ENVIRON}.items()}
