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
consent off, and the user's setting is restored afterwards.  The setting is one switch
for the whole process: while a conversion runs, other threads' OpenVINO calls report
nothing either; before and after, they report (or not) as OpenVINO decides.  OpenVINO
also reports its own import, once per process, before any guard can run; that one is
left as OpenVINO decides.  Where ``openvino_telemetry`` is missing, cannot be set up or
its layout changed (no ``consent`` attribute), nothing is touched.

Safe to enter from several threads at once, and nested: each thread's depth is
counted, the first thread in turns consent off, the last one out restores it.  A
process forked while other threads were inside gets a new lock and forgets them (they
do not exist there): when the forking thread was not inside, the setting is restored
in the child at once.
"""

import contextlib
import os
import threading

_LOCK = threading.Lock()
_INSIDE = {}  # thread id -> how many guards that thread is in
_SAVED = {"telemetry": None, "consent": None}


def _converter_telemetry():
    """The OpenVINO converter's telemetry object (a process-wide singleton), or None."""
    try:
        from openvino.tools.ovc.telemetry_utils import init_ovc_telemetry
    except ImportError:
        return None
    try:
        telemetry = init_ovc_telemetry()  # what convert_model itself calls first
    except Exception:  # noqa: BLE001 - telemetry must never stop a conversion
        return None
    return telemetry if hasattr(telemetry, "consent") else None


def _restore():
    if _SAVED["telemetry"] is not None:
        _SAVED["telemetry"].consent = _SAVED["consent"]
    _SAVED.update(telemetry=None, consent=None)


def _after_fork_in_child():
    global _LOCK
    _LOCK = threading.Lock()
    me = threading.get_ident()
    for thread in [t for t in _INSIDE if t != me]:
        del _INSIDE[thread]
    if not _INSIDE:
        _restore()


os.register_at_fork(after_in_child=_after_fork_in_child)


@contextlib.contextmanager
def no_converter_telemetry():
    """Run the block with OpenVINO's (and NNCF's) usage telemetry off.

    Examples
    --------
    >>> from skvideo_imb.features._telemetry import no_converter_telemetry
    >>> with no_converter_telemetry():
    ...     pass  # openvino.convert_model(...) here sends no usage event
    """
    me = threading.get_ident()
    with _LOCK:
        if not _INSIDE:
            telemetry = _converter_telemetry()
            if telemetry is not None:
                _SAVED.update(telemetry=telemetry, consent=telemetry.consent)
                telemetry.consent = False
        _INSIDE[me] = _INSIDE.get(me, 0) + 1
    try:
        yield
    finally:
        with _LOCK:
            _INSIDE[me] -= 1
            if not _INSIDE[me]:
                del _INSIDE[me]
            if not _INSIDE:
                _restore()
