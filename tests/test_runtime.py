"""The torch runtime: device and precision resolution, relocation and seeding.

The hardware is mocked (CPU flags, CUDA availability, GPU compute capability), so the
whole resolution table runs on a CPU-only machine.
"""

import types
import warnings
from contextlib import contextmanager

import numpy as np
import pytest
import torch

from skvideo_imb import InceptionFeaturizer, ResBiLSTMClassifier
from skvideo_imb import _runtime

CPU = torch.device("cpu")


@pytest.fixture
def cpu_flags(monkeypatch):
    """Set the CPU's flags for one test."""
    def set_flags(*flags):
        _runtime.cpu_has_native_bf16.cache_clear()
        monkeypatch.setattr(_runtime, "_cpu_flags", lambda: set(flags))
    yield set_flags
    _runtime.cpu_has_native_bf16.cache_clear()


@pytest.fixture
def fake_cuda(monkeypatch):
    """Pretend CUDA is present, with GPUs of the given compute capabilities."""
    def install(*capabilities):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
        monkeypatch.setattr(torch.cuda, "get_device_capability",
                            lambda index=None: capabilities[0 if index is None else index])
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    return install


# ---------------------------------------------------------------- device

def test_auto_is_the_cpu_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert _runtime.resolve_device("auto") == CPU


def test_auto_is_the_current_gpu_with_cuda(fake_cuda):
    fake_cuda((9, 0))
    assert _runtime.resolve_device("auto") == torch.device("cuda", 0)


def test_explicit_devices_pass_through():
    assert _runtime.resolve_device("cpu") == CPU
    assert _runtime.resolve_device(torch.device("cpu")) == CPU


@pytest.mark.parametrize("device", ["cuda", "cuda:1", torch.device("cuda", 0)])
def test_cuda_requested_without_cuda_is_one_clear_error(monkeypatch, device):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.raises(ValueError, match="was requested but CUDA is not available"):
        _runtime.resolve_device(device)


def test_both_estimators_give_the_same_error_for_cuda_without_cuda(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    videos = np.zeros((2, 3, 80, 80, 3), dtype=np.uint8)
    messages = []
    for fit in (lambda: InceptionFeaturizer(n_frames=2, weights=None, image_size=75,
                                            device="cuda").fit(videos),
                lambda: ResBiLSTMClassifier(hidden_size=4, fc_size=4, device="cuda").fit(
                    np.zeros((4, 2, 3)), [0, 1, 0, 1])):
        with pytest.raises(ValueError, match="CUDA is not available") as info:
            fit()
        messages.append(str(info.value))
    assert messages[0] == messages[1]


# ---------------------------------------------------------------- precision

# (device, hardware, bf16_on_cpu) -> resolved "auto"
AUTO_TABLE = [
    ("cuda", (9, 0), True, "bf16"),     # Hopper
    ("cuda", (8, 0), False, "bf16"),    # Ampere
    ("cuda", (7, 5), True, "fp16"),     # Turing: bf16 would be emulated
    ("cuda", (7, 0), False, "fp16"),    # Volta
    ("cpu", {"avx512_bf16"}, True, "bf16"),
    ("cpu", {"amx_bf16"}, True, "bf16"),
    ("cpu", {"avx512_bf16"}, False, "fp32"),   # the classifier's rule
    ("cpu", {"avx2"}, True, "fp32"),
    ("cpu", {"avx2"}, False, "fp32"),
]


@pytest.mark.parametrize("device, hardware, bf16_on_cpu, expected", AUTO_TABLE)
def test_auto_precision_table(device, hardware, bf16_on_cpu, expected, cpu_flags, fake_cuda):
    if device == "cuda":
        fake_cuda(hardware)
        cpu_flags("avx512_bf16")
    else:
        cpu_flags(*hardware)
    resolved = _runtime.resolve_precision("auto", torch.device(device), bf16_on_cpu=bf16_on_cpu)
    assert resolved == expected


def test_gpu_bf16_is_decided_by_the_target_gpu(fake_cuda):
    # torch.cuda.is_bf16_supported() says yes (emulation); the target GPU is a Turing
    fake_cuda((9, 0), (7, 5))
    assert _runtime.resolve_precision("auto", torch.device("cuda", 1),
                                      bf16_on_cpu=True) == "fp16"
    assert _runtime.resolve_precision("auto", torch.device("cuda", 0),
                                      bf16_on_cpu=True) == "bf16"


@pytest.mark.parametrize("precision", ["fp32", "bf16"])
def test_forced_precisions_are_kept(precision, cpu_flags):
    cpu_flags("avx2")
    for rule in (True, False):
        assert _runtime.resolve_precision(precision, CPU, bf16_on_cpu=rule) == precision


def test_fp16_needs_cuda_for_every_estimator(fake_cuda):
    for rule in (True, False):
        with pytest.raises(ValueError, match="fp16.*CUDA"):
            _runtime.resolve_precision("fp16", CPU, bf16_on_cpu=rule)
    fake_cuda((7, 5))
    assert _runtime.resolve_precision("fp16", torch.device("cuda"), bf16_on_cpu=True) == "fp16"


def test_unknown_precision_is_an_error():
    with pytest.raises(ValueError, match="precision must be one of"):
        _runtime.resolve_precision("int8", CPU, bf16_on_cpu=True)


def test_featurizer_and_classifier_rules(cpu_flags):
    """The measured choices: the featurizer uses bf16 on a bf16 CPU, the classifier not."""
    cpu_flags("avx512_bf16")
    videos = np.random.RandomState(0).randint(0, 256, (2, 3, 80, 80, 3), dtype=np.uint8)
    featurizer = InceptionFeaturizer(n_frames=2, weights=None, image_size=75,
                                     n_calibration_frames=4, random_state=0).fit(videos)
    assert featurizer.precision_ == "bf16"
    classifier = ResBiLSTMClassifier(hidden_size=4, fc_size=4, max_epochs=1,
                                     random_state=0).fit(np.zeros((4, 2, 3)), [0, 1, 0, 1])
    assert classifier.precision_ == "fp32" and classifier.device_ == CPU


# ---------------------------------------------------------------- relocation

def test_relocate_keeps_an_available_device():
    assert _runtime.relocate("cpu", "bf16", "auto", bf16_on_cpu=True, what="x") == (CPU, "bf16")


@pytest.mark.parametrize("fitted, requested, bf16_on_cpu, expected", [
    ("bf16", "auto", True, "bf16"),    # featurizer on a bf16 CPU
    ("fp16", "auto", True, "bf16"),
    ("bf16", "auto", False, "fp32"),   # classifier
    ("fp16", "fp16", False, "fp32"),   # fp16 cannot run on the CPU
    ("bf16", "bf16", False, "bf16"),   # an explicit bf16 can
])
def test_relocate_from_a_missing_gpu(monkeypatch, cpu_flags, fitted, requested, bf16_on_cpu,
                                     expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    cpu_flags("avx512_bf16")
    with pytest.warns(RuntimeWarning, match="without CUDA: it runs on the CPU"):
        device, precision = _runtime.relocate("cuda:0", fitted, requested,
                                              bf16_on_cpu=bf16_on_cpu, what="a model")
    assert (device, precision) == (CPU, expected)


def test_classifier_fitted_on_cuda_predicts_on_a_cpu_only_machine(monkeypatch):
    X, y = np.random.RandomState(0).normal(size=(8, 3, 2)), [0, 1] * 4
    clf = ResBiLSTMClassifier(hidden_size=4, fc_size=4, max_epochs=2, device="cuda",
                              random_state=0)
    monkeypatch.setattr(_runtime, "resolve_device", lambda device: CPU)  # "fit on CUDA"
    clf.fit(X, y)
    monkeypatch.undo()
    expected = clf.predict_proba(X)
    state = clf.__getstate__()
    state["device_"], state["precision_"] = torch.device("cuda", 0), "fp16"
    restored = ResBiLSTMClassifier.__new__(ResBiLSTMClassifier)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(RuntimeWarning, match="without CUDA"):
        restored.__setstate__(state)
    assert restored.device == "cuda"                     # the parameter, as given
    assert restored.device_ == CPU and restored.precision_ == "fp32"
    assert not restored.grad_scaler_.is_enabled()
    np.testing.assert_allclose(restored.predict_proba(X), expected, rtol=1e-6)


def test_featurizer_fitted_on_cuda_loads_on_a_cpu_only_machine(monkeypatch, cpu_flags):
    cpu_flags("avx2")
    videos = np.random.RandomState(0).randint(0, 256, (2, 3, 80, 80, 3), dtype=np.uint8)
    fitted = InceptionFeaturizer(n_frames=2, weights=None, image_size=75, device="cpu",
                                 precision="fp32", n_calibration_frames=4,
                                 random_state=0).fit(videos)
    expected = fitted.transform(videos)
    state = fitted.__getstate__()
    state["device"], state["device_"], state["precision_"] = "cuda", "cuda:0", "bf16"
    restored = InceptionFeaturizer.__new__(InceptionFeaturizer)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with pytest.warns(RuntimeWarning, match="without CUDA: it runs on the CPU"):
        restored.__setstate__(state)                 # decided once, on loading
    assert restored.device_ == "cpu" and restored.precision_ == "fp32"
    features = restored.transform(videos)
    np.testing.assert_array_equal(features, expected)


# ---------------------------------------------------------------- seeding

def test_seeded_restores_the_cpu_stream():
    torch.manual_seed(5)
    expected = torch.rand(3)
    torch.manual_seed(5)
    with _runtime.seeded(0):
        inside = torch.rand(2)
    assert torch.equal(torch.rand(3), expected)
    with _runtime.seeded(0):
        assert torch.equal(torch.rand(2), inside)
    with _runtime.seeded(None):  # seeds nothing
        torch.rand(1)


def test_seeded_touches_only_the_target_gpu(monkeypatch):
    calls = []

    @contextmanager
    def fork_rng(devices):
        calls.append(("fork", tuple(devices)))
        yield

    @contextmanager
    def on_device(index):
        calls.append(("device", index))
        yield

    monkeypatch.setattr(torch.random, "fork_rng", fork_rng)
    monkeypatch.setattr(torch.cuda, "device", on_device)
    monkeypatch.setattr(torch.cuda, "manual_seed", lambda seed: calls.append(("seed", seed)))
    monkeypatch.setattr(torch.cuda, "manual_seed_all",
                        lambda seed: pytest.fail("every GPU was reseeded"))
    with _runtime.seeded(7, torch.device("cuda", 1)):
        pass
    assert calls == [("fork", (1,)), ("device", 1), ("seed", 7)]


def test_fits_never_reseed_every_gpu(monkeypatch):
    """torch.manual_seed reseeds all GPUs for good; no estimator may call it."""
    def forbidden(seed):
        pytest.fail("torch.cuda.manual_seed_all was called")
    monkeypatch.setattr(torch.cuda, "manual_seed_all", forbidden)
    videos = np.random.RandomState(0).randint(0, 256, (2, 3, 80, 80, 3), dtype=np.uint8)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        InceptionFeaturizer(n_frames=2, weights=None, image_size=75, n_calibration_frames=4,
                            random_state=0).fit(videos)
        ResBiLSTMClassifier(hidden_size=4, fc_size=4, max_epochs=1, random_state=0,
                            early_stopping=True, validation_fraction=0.5).fit(
            np.zeros((8, 2, 3)), [0, 1] * 4)


# ---------------------------------------------------------------- several GPUs

def _fake_gpus(monkeypatch, free, order=None):
    """GPUs ``uuid-k`` with ``free[k]`` GiB free, seen in ``order`` (CUDA_VISIBLE_DEVICES).

    Any call that would create a CUDA context fails the test."""
    order = list(range(len(free))) if order is None else order
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: len(order))
    monkeypatch.setattr(torch.cuda, "get_device_properties",
                        lambda i: types.SimpleNamespace(uuid=f"uuid-{order[i]}"))
    monkeypatch.setattr(torch.cuda, "mem_get_info",
                        lambda i: pytest.fail("a CUDA context was created"))
    monkeypatch.setattr(_runtime, "_nvml_free_memory", lambda uuids: {
        u: free[int(u.rsplit("-", 1)[1])] * 2 ** 30 for u in uuids
        if free[int(u.rsplit("-", 1)[1])] is not None})
    monkeypatch.setattr(_runtime, "_CLAIM", {})


@pytest.fixture
def three_gpus(monkeypatch):
    free = {0: 10, 1: 30, 2: 20}  # GiB free, say
    _fake_gpus(monkeypatch, free)
    return free


def _claim_as(monkeypatch, pid, lock_dir):
    """Claim a GPU as process ``pid`` would (claims are per process); return (index,
    lock file), the lock staying held while the returned file is open."""
    monkeypatch.setattr(_runtime.os, "getpid", lambda: pid)
    monkeypatch.setattr(_runtime, "_CLAIM", {})
    index = _runtime.claim_gpu(lock_dir=str(lock_dir))
    return index, _runtime._CLAIM[pid][1]


def test_auto_claims_the_freest_gpu_and_keeps_it(three_gpus, tmp_path, monkeypatch):
    monkeypatch.setattr("tempfile.gettempdir", lambda: str(tmp_path))
    assert _runtime.resolve_device("auto") == torch.device("cuda", 1)
    three_gpus[1] = 0                           # it fills up: the process keeps its GPU
    assert _runtime.resolve_device("auto") == torch.device("cuda", 1)
    assert [p.name.rsplit("-", 2)[1:] for p in tmp_path.glob("skvideo_imb-gpu-*.lock")] \
        == [["uuid", "1.lock"]]                 # named by the GPU's UUID


def test_more_processes_than_gpus_share_with_a_warning(three_gpus, tmp_path, monkeypatch):
    claims = [_claim_as(monkeypatch, pid, tmp_path) for pid in (101, 102, 103)]
    assert [index for index, _ in claims] == [1, 2, 0]   # freest first, every GPU once
    with pytest.warns(RuntimeWarning, match=r"every one of the 3 visible GPUs is claimed.*"
                                             r"shares cuda:1 \(GPU-uuid-1, 30\.0 GiB free\)"):
        index, handle = _claim_as(monkeypatch, 104, tmp_path)
    assert index == 1 and handle is None
    for _, handle in claims:
        handle.close()


def test_rotated_visible_devices_agree_on_which_gpu_is_taken(tmp_path, monkeypatch):
    """dask-cuda gives each worker its own CUDA_VISIBLE_DEVICES order."""
    free = {0: 10, 1: 30, 2: 20}
    _fake_gpus(monkeypatch, free, order=[0, 1, 2])
    first, held = _claim_as(monkeypatch, 301, tmp_path)
    assert first == 1                           # uuid-1, the freest
    _fake_gpus(monkeypatch, free, order=[2, 0, 1])  # here uuid-1 is cuda:2
    second, other = _claim_as(monkeypatch, 302, tmp_path)
    assert second == 0                          # uuid-2: not uuid-1 again under cuda:2
    held.close()
    other.close()


def test_without_nvml_gpus_are_tried_in_index_order(tmp_path, monkeypatch):
    _fake_gpus(monkeypatch, {0: None, 1: None})
    assert [_claim_as(monkeypatch, pid, tmp_path)[0] for pid in (401, 402)] == [0, 1]
    with pytest.warns(RuntimeWarning, match="free memory unknown"):
        _claim_as(monkeypatch, 403, tmp_path)


def test_a_dead_process_frees_its_gpu(three_gpus, tmp_path, monkeypatch):
    index, handle = _claim_as(monkeypatch, 201, tmp_path)
    assert index == 1
    handle.close()                              # the lock dies with its process
    assert _claim_as(monkeypatch, 202, tmp_path)[0] == 1


def test_a_model_saved_on_a_gpu_this_machine_lacks_runs_on_one_it_has(monkeypatch):
    _fake_gpus(monkeypatch, {0: 10})
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(_runtime, "cuda_has_native_bf16", lambda device=None: True)
    with pytest.warns(RuntimeWarning, match="fitted on cuda:3 is loaded on a machine "
                                            "with 1 GPU: it runs on cuda:0"):
        device, precision = _runtime.relocate("cuda:3", "bf16", "auto", bf16_on_cpu=False,
                                              what="a classifier")
    assert device == torch.device("cuda", 0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _runtime.relocate("cuda:0", "bf16", "auto", bf16_on_cpu=False,
                                 what="x")[0] == torch.device("cuda", 0)


def test_one_visible_gpu_is_used_without_claims(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    monkeypatch.setattr(torch.cuda, "current_device", lambda: 0)
    monkeypatch.setattr(_runtime, "claim_gpu", lambda: pytest.fail("claimed"))
    assert _runtime.resolve_device("auto") == torch.device("cuda", 0)
