"""The residual bidirectional LSTM of Pouyanfar, Chen and Shyu (IRI 2018) as a torch module."""

import torch
from torch import nn
from torch.nn import functional as F

__all__ = ["ResBiLSTM"]


class ResBiLSTM(nn.Module):
    """Residual (bi)directional LSTM stack, a readout, batch norm and two dense layers.

    The temporal model of the paper: ``num_layers`` LSTM layers, each followed by dropout
    and (when ``residual``) a shortcut that adds the layer's input to its output, so that
    layer ``l`` computes ``h_l = s_l(h_{l-1}) + Dropout(LSTM_l(h_{l-1}))``.  The shortcut
    ``s_l`` is the identity whenever input and output widths agree (every layer after the
    first, and the first one too when ``input_size`` equals the output width, e.g.
    2 × 1024 = 2048 for InceptionV3 features) and a learned linear projection otherwise.
    A *readout* turns the top layer's sequence into one vector (see ``readout``), which is
    batch-normalised and goes through a dense layer with ReLU, dropout and the output
    layer, which returns logits.

    ``bidirectional`` and ``residual`` switch off the two ingredients, giving the paper's
    ablations (LSTM, ResLSTM, BiLSTM); ``num_layers=1, bidirectional=False,
    residual=False`` is the CNN-LSTM baseline.

    Parameters
    ----------
    input_size : int
        Features per time step (2048 for InceptionV3 pooling features).
    n_classes : int
        Number of outputs (logits).
    hidden_size : int, default=1024
        LSTM units per direction.
    num_layers : int, default=2
        Number of stacked LSTM layers.
    bidirectional : bool, default=True
        Run every LSTM layer in both directions and concatenate the two outputs.
    residual : bool, default=True
        Add each layer's input (identity or projection shortcut) to its output.
    fc_size : int, default=1024
        Width of the hidden dense layer.
    dropout : float, default=0.5
        Dropout rate between the hidden dense layer and the output layer.
    lstm_dropout : float, default=0.2
        Dropout rate on the output of every LSTM layer (the paper applies dropout there
        but does not state the rate).
    readout : {"ends", "last", "mean"}, default="ends"
        How the top layer's sequence ``H`` (batch, time, width) becomes one vector:

        - ``"ends"``: each direction's final state, the forward half at the last step
          and the backward half at the first step.  Both halves have read the whole
          sequence.  This is what the paper's Keras model returns from its last
          ``Bidirectional(LSTM(..., return_sequences=False))`` layer, and the default.
        - ``"last"``: ``H[:, -1]``, the last time step.  For a bidirectional layer its
          backward half has read only the final frame of the layer below.
        - ``"mean"``: the mean over time steps.

        For a one-direction stack ``"ends"`` and ``"last"`` are the same.
    cosine_scale : float or None, default=None
        ``None``: the output layer is an ordinary linear layer.  A number ``s``: the
        output layer is normalised, returning ``s`` times the cosine between the hidden
        vector and each class's weight vector (no bias), as LDAM needs (Cao et al.
        2019 use ``s=30``).

    Attributes
    ----------
    lstms : torch.nn.ModuleList of torch.nn.LSTM
        One single-layer LSTM per stacked layer.
    shortcuts : torch.nn.ModuleList
        Per layer, :class:`torch.nn.Identity` or a bias-free :class:`torch.nn.Linear`
        projection; empty when ``residual=False``.
    norm : torch.nn.BatchNorm1d
        Batch normalisation of the readout.
    fc : torch.nn.Linear
        Hidden dense layer (followed by ReLU and dropout).
    out : torch.nn.Linear
        Output layer returning one logit per class (without bias, and used with
        normalised inputs and weights, when ``cosine_scale`` is set).

    Notes
    -----
    With residual shortcuts the readout reads the sum ``h_L`` of the top layer's output
    and its shortcut, at the positions above.

    A training batch of a single sample is normalised with the running statistics
    (batch statistics of one sample are undefined) and does not update them.

    References
    ----------
    .. [1] S. Pouyanfar, S.-C. Chen and M.-L. Shyu, "Deep Spatio-Temporal Representation
       Learning for Multi-Class Imbalanced Data Classification", IEEE IRI 2018.

    Examples
    --------
    >>> import torch
    >>> from skvideo_imb.models import ResBiLSTM
    >>> net = ResBiLSTM(input_size=6, n_classes=3, hidden_size=4, fc_size=5).eval()
    >>> net(torch.zeros(2, 7, 6)).shape
    torch.Size([2, 3])
    >>> net.encode(torch.zeros(2, 7, 6)).shape  # (n, T, 2 * hidden_size)
    torch.Size([2, 7, 8])
    """

    READOUTS = ("ends", "last", "mean")

    def __init__(self, input_size, n_classes, hidden_size=1024, num_layers=2,
                 bidirectional=True, residual=True, fc_size=1024, dropout=0.5,
                 lstm_dropout=0.2, readout="ends", cosine_scale=None):
        super().__init__()
        if readout not in self.READOUTS:
            raise ValueError(f"readout must be one of {', '.join(map(repr, self.READOUTS))}, "
                             f"got {readout!r}.")
        self.readout = readout
        self.input_size = int(input_size)
        self.n_classes = int(n_classes)
        self.hidden_size = int(hidden_size)
        self.num_layers = int(num_layers)
        self.bidirectional = bool(bidirectional)
        self.residual = bool(residual)
        width = self.output_width
        in_sizes = [self.input_size] + [width] * (self.num_layers - 1)
        self.lstms = nn.ModuleList(
            nn.LSTM(n_in, self.hidden_size, batch_first=True,
                    bidirectional=self.bidirectional)
            for n_in in in_sizes
        )
        self.shortcuts = nn.ModuleList(
            _shortcut(n_in, width) for n_in in in_sizes) if self.residual else nn.ModuleList()
        self.lstm_dropout = nn.Dropout(lstm_dropout)
        self.norm = nn.BatchNorm1d(width)
        self.fc = nn.Linear(width, fc_size)
        self.dropout = nn.Dropout(dropout)
        self.cosine_scale = None if cosine_scale is None else float(cosine_scale)
        self.out = nn.Linear(fc_size, self.n_classes, bias=self.cosine_scale is None)

    @property
    def output_width(self):
        """Width of every LSTM layer's output: ``hidden_size`` times the directions."""
        return self.hidden_size * (2 if self.bidirectional else 1)

    def encode(self, X):
        """Run the LSTM stack and return the whole output sequence.

        Parameters
        ----------
        X : torch.Tensor of shape (n_samples, n_frames, input_size)

        Returns
        -------
        H : torch.Tensor of shape (n_samples, n_frames, output_width)
            For a bidirectional stack, ``H[..., :hidden_size]`` is the forward direction
            and ``H[..., hidden_size:]`` the backward one (plus the shortcuts).
        """
        H = X
        for i, lstm in enumerate(self.lstms):
            Y, _ = lstm(H)
            Y = self.lstm_dropout(Y)
            H = self.shortcuts[i](H) + Y if self.residual else Y
        return H

    def read(self, H):
        """The readout of a top-layer sequence ``H`` (n, T, output_width): (n, output_width).

        Parameters
        ----------
        H : torch.Tensor of shape (n_samples, n_frames, output_width)

        Returns
        -------
        Z : torch.Tensor of shape (n_samples, output_width)
        """
        if self.readout == "mean":
            return H.mean(dim=1)
        if self.readout == "ends" and self.bidirectional:
            return torch.cat([H[:, -1, :self.hidden_size], H[:, 0, self.hidden_size:]], dim=1)
        return H[:, -1]

    def forward(self, X):
        """Return class logits of shape (n_samples, n_classes) for X (n, T, input_size)."""
        Z = self.dropout(F.relu(self.fc(self._normalise(self.read(self.encode(X))))))
        if self.cosine_scale is None:
            return self.out(Z)
        # in float32 under autocast too: bf16 cosines, times the scale, err by ~0.1
        with torch.autocast(Z.device.type, enabled=False):
            cosine = F.linear(F.normalize(Z.float(), dim=1),
                              F.normalize(self.out.weight.float(), dim=1))
        return self.cosine_scale * cosine

    def _normalise(self, Z):
        if self.training and Z.shape[0] == 1:
            norm = self.norm
            return F.batch_norm(Z, norm.running_mean, norm.running_var, norm.weight,
                                norm.bias, training=False, eps=norm.eps)
        return self.norm(Z)


def _shortcut(n_in, n_out):
    return nn.Identity() if n_in == n_out else nn.Linear(n_in, n_out, bias=False)
