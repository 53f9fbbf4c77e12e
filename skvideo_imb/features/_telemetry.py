"""OpenVINO's usage telemetry, kept off while the featurizer converts a network.

OpenVINO's model converter (``openvino.convert_model``) and NNCF send anonymous usage
events to Google Analytics unless the user opted out (``opt_in_out --opt_out``), and on
Linux each event forks the calling process to post it (``openvino_telemetry``'s
``GA4Backend.send``: a child that is joined or terminated after a timeout).  The
featurizer converts networks as an internal step (``engine="auto"`` measures OpenVINO
on every new setting; a fitted featurizer converts once per process): a user who never
ran an OpenVINO tool did not choose to report those, and forking a process that runs
decode and inference threads is unsafe.  Measured on a 2-core machine: +0.3-0.5 s of
the caller's CPU and +0.7-1.2 s in the forked children per conversion of
MobileNet-v3-small, against 0.73 s for the conversion itself.

So the featurizer's conversions and quantizations run with OpenVINO's telemetry
consent off, and the user's setting is restored afterwards: the user's own OpenVINO
calls report (or not) as OpenVINO decides.  Where ``openvino_telemetry`` is missing or
its layout changed (no ``consent`` attribute), nothing is touched.  Safe to enter from
several threads at once: the first thread in turns consent off, the last one out
restores it.  A process forked while another thread held the guard's lock gets a new
lock (the thread that held it does not exist there).
"""

import contextlib
import os
import threading

_LOCK = threading.Lock()
_STATE = {"depth": 0, "telemetry": None, "consent": None}


def _new_lock_in_child():
    global _LOCK
    _LOCK = threading.Lock()


os.register_at_fork(after_in_child=_new_lock_in_child)


def _converter_telemetry():
    """The OpenVINO converter's telemetry object (a process-wide singleton), or None."""
    try:
        from openvino.tools.ovc.telemetry_utils import init_ovc_telemetry
    except ImportError:
        return None
    try:
        telemetry = init_ovc_telemetry()  # what convert_model itself calls first
    except Exception:  # noqa: BLE001 - telemetry must never break a conversion
        return None
    return telemetry if hasattr(telemetry, "consent") else None


@contextlib.contextmanager
def no_converter_telemetry():
    """Run the block with OpenVINO's (and NNCF's) usage telemetry off.

    Examples
    --------
    >>> from skvideo_imb.features._telemetry import no_converter_telemetry
    >>> with no_converter_telemetry():
    ...     pass  # openvino.convert_model(...) here sends no usage event
    """
    with _LOCK:
        if _STATE["depth"] == 0:
            telemetry = _converter_telemetry()
            _STATE["telemetry"] = telemetry
            if telemetry is not None:
                _STATE["consent"] = telemetry.consent
                telemetry.consent = False
        _STATE["depth"] += 1
    try:
        yield
    finally:
        with _LOCK:
            _STATE["depth"] -= 1
            if _STATE["depth"] == 0 and _STATE["telemetry"] is not None:
                _STATE["telemetry"].consent = _STATE["consent"]
                _STATE["telemetry"] = None
