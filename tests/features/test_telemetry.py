"""The featurizer's OpenVINO conversions send none of OpenVINO's usage telemetry."""

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import torch

ov = pytest.importorskip("openvino")
pytest.importorskip("openvino_telemetry")

from openvino.tools.ovc.telemetry_utils import init_ovc_telemetry  # noqa: E402

from skvideo_imb.features import _engines  # noqa: E402
from skvideo_imb.features._telemetry import no_converter_telemetry  # noqa: E402


@pytest.fixture
def consenting_user(monkeypatch):
    """OpenVINO's telemetry as for a user who accepted it, its reports recorded, not sent."""
    telemetry = init_ovc_telemetry()
    monkeypatch.setattr(telemetry, "consent", True)
    sent = []
    monkeypatch.setattr(telemetry.sender, "send",
                        lambda backend, message: sent.append(message))
    return telemetry, sent


def _network():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.AdaptiveAvgPool2d(1),
                               torch.nn.Flatten())


def test_openvino_reports_a_conversion_to_a_consenting_user(consenting_user):
    """What the next test relies on: without the guard, converting reports."""
    _, sent = consenting_user
    ov.convert_model(torch.jit.trace(_network().eval(), torch.zeros(1, 3, 8, 8)))
    assert sent


def test_the_featurizer_converts_without_reporting_and_restores_the_setting(
        consenting_user):
    telemetry, sent = consenting_user
    converted = _engines._convert(ov, _network(), 8)
    assert converted.outputs[0].get_partial_shape()[1] == 4
    assert sent == []
    assert telemetry.consent is True          # the user's own calls report as before
    ov.convert_model(torch.jit.trace(_network().eval(), torch.zeros(1, 3, 8, 8)))
    assert sent


def test_threads_converting_at_once_report_nothing_and_restore_the_setting(
        consenting_user):
    telemetry, sent = consenting_user
    with ThreadPoolExecutor(3) as pool:
        list(pool.map(lambda _: _engines._convert(ov, _network(), 8), range(3)))
    assert sent == [] and telemetry.consent is True


def test_nested_guards_restore_the_setting_once(consenting_user):
    telemetry, _ = consenting_user
    with no_converter_telemetry():
        with no_converter_telemetry():
            assert telemetry.consent is False
        assert telemetry.consent is False
    assert telemetry.consent is True


def test_telemetry_that_cannot_be_set_up_never_stops_a_conversion(monkeypatch,
                                                                  consenting_user):
    import openvino.tools.ovc.telemetry_utils as telemetry_utils

    def broken():
        raise RuntimeError("no telemetry here")

    monkeypatch.setattr(telemetry_utils, "init_ovc_telemetry", broken)
    with no_converter_telemetry():
        assert _engines._convert(ov, _network(), 8) is not None


def _in_a_forked_child(check):
    """Run ``check`` in a child forked from this process; its exit code, or fail."""
    import os
    import time

    pid = os.fork()
    if pid == 0:  # the child
        code = 1
        try:
            code = 0 if check() else 3
        finally:
            os._exit(code)
    deadline = time.monotonic() + 30
    while (done := os.waitpid(pid, os.WNOHANG))[0] == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
    if done[0] == 0:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        pytest.fail("the forked child hung")
    return os.waitstatus_to_exitcode(done[1])


def test_a_process_forked_while_the_guard_is_busy_still_converts():
    """The lock held by another thread at fork time does not exist in the child."""
    from skvideo_imb.features import _telemetry

    def guard():
        with no_converter_telemetry():
            return True

    with _telemetry._LOCK:  # as if another thread were inside the guard's bookkeeping
        assert _in_a_forked_child(guard) == 0


def test_a_process_forked_while_another_thread_converts_restores_the_setting(
        consenting_user):
    """That thread never leaves the guard in the child: the child restores at once."""
    import threading

    telemetry, _ = consenting_user
    inside, leave = threading.Event(), threading.Event()

    def converting():
        with no_converter_telemetry():
            inside.set()
            leave.wait(30)

    thread = threading.Thread(target=converting)
    thread.start()
    try:
        assert inside.wait(30) and telemetry.consent is False
        assert _in_a_forked_child(lambda: telemetry.consent is True) == 0
    finally:
        leave.set()
        thread.join(30)
    assert telemetry.consent is True


def test_quantizing_reports_nothing(consenting_user, monkeypatch):
    """NNCF's telemetry as outside a test run (under pytest NNCF silences its own)."""
    pytest.importorskip("nncf")
    import nncf.telemetry.decorator
    from nncf.telemetry.wrapper import NNCFTelemetry

    _, sent = consenting_user
    monkeypatch.setattr(nncf.telemetry.decorator, "telemetry", NNCFTelemetry())
    frames = torch.randint(0, 256, (4, 3, 8, 8), dtype=torch.uint8)
    quantized = _engines.quantized_int8(_network(), 8, frames, digest=f"test {uuid.uuid4()}")
    assert quantized is not None and sent == []
