"""Where a skorch net's state lives: its device, its pickled form, its move on loading.

* **Device.**  ``device="auto"`` names no torch device, but skorch places the
  modules it builds (``to_device``) and maps the tensors ``load_params`` reads on
  ``self.device``.  While skorch does so (:meth:`NetState._resolved_device`), the
  attribute holds the resolved ``device_``; the parameter's own value is restored
  afterwards, so ``get_params`` and ``clone`` always see what the user gave.
* **Pickling.**  skorch pickles its modules, criterion and optimiser whole (a pickle
  inside the pickle).  Here they are stored as their state dicts, tensors as numpy
  arrays, and rebuilt from the estimator's parameters when unpickled, so the state
  holds nothing but plain data, scikit-learn, skorch and numpy objects and can be saved
  in skops' format and loaded with an allow-list of types
  (:func:`skvideo_imb.load_model`, :mod:`skvideo_imb._model_audit`).
* **Relocation.**  A net fitted on a GPU and unpickled on a machine without one runs on
  the CPU, with a warning (:func:`skvideo_imb._runtime.relocate`); on the machine that
  fitted it, unpickling changes no fitted attribute.
"""

from contextlib import contextmanager

import numpy as np
import torch

from .. import _runtime
from .._seeds import FIXED_SEED
from ._precision import grad_scaler

__all__ = ["NetState"]


def _to_numpy(value):
    """A state dict with every tensor as a numpy array (recursively)."""
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    if isinstance(value, dict):
        return {k: _to_numpy(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_numpy(v) for v in value)
    return value


def _to_torch(value, device):
    """The inverse of :func:`_to_numpy`, tensors on ``device``."""
    if isinstance(value, np.ndarray):
        return torch.from_numpy(np.array(value)).to(device)
    if isinstance(value, dict):
        return {k: _to_torch(v, device) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_to_torch(v, device) for v in value)
    return value


class NetState:
    """Device placement, pickling and relocation of a skorch net with ``device_``.

    A mixin placed before :class:`skorch.NeuralNet` in the bases of a net whose
    ``initialize_module`` and ``initialize_criterion`` build the components on
    ``device_`` and whose ``_module_kwargs()`` are the module's constructor arguments.

    Notes
    -----
    ``initialize``, ``set_params`` and ``load_params`` set ``device`` to the resolved
    device for their duration: like any method that changes an estimator, they must not
    run while another thread reads the same estimator (``get_params``, ``clone``,
    pickling).  Prediction never changes ``device``.
    """

    @contextmanager
    def _resolved_device(self):
        """For the block, ``device`` reads as ``device_`` (when resolved) for skorch."""
        requested, resolved = self.device, getattr(self, "device_", None)
        if resolved is None:
            yield
            return
        self.device = str(resolved)
        try:
            yield
        finally:
            self.device = requested

    def set_params(self, **params):
        """Set parameters (see skorch); components it rebuilds are placed on ``device_``.

        Parameters
        ----------
        **params : dict
            Estimator parameters, ``module__*`` and the other skorch prefixes included.

        Returns
        -------
        self : estimator instance
        """
        device = {"device": params.pop("device")} if "device" in params else {}
        if params:  # skorch rebuilds an initialised module or criterion on `device`
            with self._resolved_device():
                super().set_params(**params)
        if device:  # set after the block, which restores the old value
            super().set_params(**device)
        return self

    def load_params(self, *args, **kwargs):
        """Load parameters saved with :meth:`save_params` (see skorch).

        Parameters
        ----------
        *args, **kwargs
            As :meth:`skorch.NeuralNet.load_params`.
        """
        with self._resolved_device():
            return super().load_params(*args, **kwargs)

    def __getstate__(self):
        """The state with every torch component as a state dict of numpy arrays."""
        state = self.__dict__.copy()
        components = {}
        for name in self.cuda_dependent_attributes_:
            if isinstance(state.get(name), (torch.nn.Module, torch.optim.Optimizer)):
                components[name] = _to_numpy(state.pop(name).state_dict())
        state["_component_states"] = components
        return state

    def __setstate__(self, state):
        state = dict(state)
        if "_component_states" not in state or "__cuda_dependent_attributes__" in state:
            # skorch's own format pickles the modules inside the state: never unpickled
            raise ValueError(
                f"this {type(self).__name__} state holds pickled torch components "
                "(skorch's own format, or an older skvideo_imb release) instead of "
                "their state dicts; it is not loaded.  Refit, or load it with the "
                "release that saved it and save it again.")
        components = state.pop("_component_states")
        if not isinstance(components, dict):
            raise ValueError(f"this {type(self).__name__} state is damaged: "
                             "_component_states is not a dict.")
        moved = self._relocate(state)
        self.__dict__.update(state)
        if components:
            self._check_module_shapes(components.get("module_"))
            # rebuilt from the parameters, on device_, then loaded (the random
            # initialisation, overwritten at once, leaves the caller's stream alone)
            with _runtime.seeded(FIXED_SEED, torch.device(self.device_)):
                self.initialize_module()
                self.initialize_criterion()
                self.initialize_optimizer()
            for name, values in components.items():
                getattr(self, name).load_state_dict(_to_torch(values, self.device_))
            self._set_training(False)  # rebuilt in training mode; fit leaves them in eval
        if moved:
            self.grad_scaler_ = grad_scaler(self.device_, self.precision_)

    def _check_module_shapes(self, saved):
        """Refuse a saved module whose parameters the architecture would not have.

        The architecture is built on PyTorch's ``meta`` device (no memory), so
        parameters that ask for a huge network fail here, before anything is allocated.
        """
        if not isinstance(saved, dict):
            raise ValueError(f"this {type(self).__name__} state is damaged: the module's "
                             "state dict is missing.")
        with torch.device("meta"):
            expected = self.initialized_instance(self.module, self._module_kwargs())
        shapes = {k: tuple(v.shape) for k, v in expected.state_dict().items()}
        found = {k: tuple(getattr(v, "shape", ())) for k, v in saved.items()}
        if shapes != found:
            differ = sorted(set(shapes.items()) ^ set(found.items()))[:3]
            raise ValueError(f"this {type(self).__name__} state is damaged: its module's "
                             "saved parameters do not match its architecture "
                             f"parameters (first differences: {differ}).")

    def _relocate(self, state):
        """Where a fitted state runs here (``device_``); whether it moved."""
        if "device_" not in state:  # nothing was placed on a device yet
            return False
        device, state["precision_"] = _runtime.relocate(
            state["device_"], state["precision_"], state["precision"],
            bf16_on_cpu=False, what=f"a {type(self).__name__}")
        moved = device != torch.device(state["device_"])
        state["device_"] = device
        return moved
