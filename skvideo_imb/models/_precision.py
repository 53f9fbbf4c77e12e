"""Mixed-precision training of the classifier: autocast forward pass, fp16 loss scaling.

skorch trains a batch as ``train_step`` → ``train_step_single`` → ``infer``,
``get_loss`` and ``loss.backward()``, notifying ``on_grad_computed`` before the
optimisers step.  Mixed precision plugs into those documented hooks:

* ``infer`` runs the module's forward pass under :func:`skvideo_imb._runtime.autocast`
  and returns float32 logits, so the loss is always computed in float32;
* with fp16, the training loss that ``get_loss`` returns has the loss's value but the
  gradient of the loss scaled by the :class:`torch.amp.GradScaler`, so skorch's own
  ``train_step_single`` runs the scaled backward pass;
* with fp16, ``train_step`` steps the optimisers through the scaler (gradients unscaled
  before ``on_grad_computed``, steps skipped on overflow, the scale updated): a
  ``GradScaler`` cannot step an optimiser through the closure that skorch's
  ``train_step`` passes, so this is the one part of skorch's step written here.
"""

from collections.abc import Mapping

import torch
from skorch.utils import TeeGenerator, to_tensor

from .. import _runtime

__all__ = ["MixedPrecision", "grad_scaler"]


def grad_scaler(device, precision):
    """The loss scaler of training in ``precision`` on ``device``: enabled for fp16 only.

    Parameters
    ----------
    device : torch.device
    precision : {"fp32", "bf16", "fp16"}

    Returns
    -------
    scaler : torch.amp.GradScaler

    Examples
    --------
    >>> import torch
    >>> from skvideo_imb.models._precision import grad_scaler
    >>> grad_scaler(torch.device("cpu"), "bf16").is_enabled()
    False
    """
    return torch.amp.GradScaler(device.type, enabled=precision == "fp16")


class MixedPrecision:
    """skorch hooks of a net with ``device_``, ``precision_`` and ``grad_scaler_``.

    A mixin placed before :class:`skorch.NeuralNet` (and before the class that defines
    the loss) in the bases of a net; ``initialize`` must set the three attributes
    (:meth:`_initialize_precision`).
    """

    def _initialize_precision(self):
        self.precision_ = _runtime.resolve_precision(self.precision, self.device_,
                                                     bf16_on_cpu=False)
        self.grad_scaler_ = grad_scaler(self.device_, self.precision_)

    def infer(self, x, **fit_params):
        """Forward one batch under the precision's autocast; returns float32 logits.

        Parameters
        ----------
        x : dict or array-like
            ``{"X": batch, ...}`` as prepared by ``fit``, or a batch of sequences.
        **fit_params : dict
            Passed to the module's forward.

        Returns
        -------
        logits : torch.Tensor of shape (batch_size, n_classes)
        """
        if isinstance(x, Mapping):
            x = x["X"]
        x = to_tensor(x, device=self.device_)
        with _runtime.autocast(self.device_, self.precision_):
            logits = self.module_(x, **fit_params)
        return logits.float()

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """The loss; in fp16 training, its backward pass is that of the scaled loss.

        Parameters
        ----------
        y_pred : torch.Tensor of shape (batch_size, n_classes)
            Logits.
        y_true : torch.Tensor of shape (batch_size,)
            Encoded targets.
        X : dict or None
            The batch.
        training : bool, default=False

        Returns
        -------
        loss : torch.Tensor
            Scalar loss (its value is never scaled).
        """
        loss = super().get_loss(y_pred, y_true, X=X, training=training)
        scaler = getattr(self, "grad_scaler_", None)
        if not training or scaler is None or not scaler.is_enabled():
            return loss
        scaled = scaler.scale(loss)
        # value: the loss; gradient: the scaled loss's (scaled - scaled.detach() is 0)
        return loss.detach() + (scaled - scaled.detach())

    def train_step(self, batch, **fit_params):
        """skorch's training step; with fp16 the optimisers step through the scaler.

        Parameters
        ----------
        batch : tuple
            ``(X, y)`` batch from the data loader.
        **fit_params : dict
            Passed to the module's forward.

        Returns
        -------
        step : dict
            ``{"loss": loss, "y_pred": y_pred}``.
        """
        scaler = self.grad_scaler_
        if not scaler.is_enabled():
            return super().train_step(batch, **fit_params)
        self._zero_grad_optimizer()  # skorch's, as its own train_step does
        optimizers = [getattr(self, name + "_") for name in self._optimizers]
        step = self.train_step_single(batch, **fit_params)  # the scaled backward pass
        for optimizer in optimizers:
            scaler.unscale_(optimizer)
        self.notify("on_grad_computed", batch=batch, training=True,
                    named_parameters=TeeGenerator(self.get_all_learnable_params()))
        for optimizer in optimizers:
            scaler.step(optimizer)
        scaler.update()
        return step
