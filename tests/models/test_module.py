"""Wiring of the ResBiLSTM torch module."""

import pytest
import torch

from skvideo_imb.models import ResBiLSTM


def _lstm_params(n_in, hidden, directions):
    # PyTorch LSTM: 4 gates x (input weights + recurrent weights + two bias vectors)
    return directions * 4 * hidden * (n_in + hidden + 2)


@pytest.mark.parametrize("bidirectional", [True, False])
@pytest.mark.parametrize("num_layers", [1, 2, 3])
def test_output_shapes(bidirectional, num_layers):
    net = ResBiLSTM(input_size=6, n_classes=3, hidden_size=4, num_layers=num_layers,
                    bidirectional=bidirectional, fc_size=5).eval()
    X = torch.randn(2, 7, 6)
    width = 8 if bidirectional else 4
    assert net.output_width == width
    assert net.encode(X).shape == (2, 7, width)
    assert net(X).shape == (2, 3)


def test_parameter_count_matches_hand_computation():
    net = ResBiLSTM(input_size=6, n_classes=3, hidden_size=4, num_layers=2, fc_size=5)
    expected = (
        _lstm_params(6, 4, 2)      # layer 1
        + 6 * 8                    # its projection shortcut (6 != 2 * 4), no bias
        + _lstm_params(8, 4, 2)    # layer 2, identity shortcut
        + 2 * 8                    # batch norm scale and shift
        + 8 * 5 + 5                # dense layer
        + 5 * 3 + 3                # output layer
    )
    assert expected == 959
    assert sum(p.numel() for p in net.parameters()) == expected


def test_paper_size_parameter_count():
    net = ResBiLSTM(input_size=2048, n_classes=101)
    expected = (2 * _lstm_params(2048, 1024, 2) + 2 * 2048 + 2048 * 1024 + 1024
                + 1024 * 101 + 101)
    assert sum(p.numel() for p in net.parameters()) == expected
    assert all(isinstance(s, torch.nn.Identity) for s in net.shortcuts)


def test_baseline_has_no_shortcuts():
    net = ResBiLSTM(input_size=6, n_classes=2, hidden_size=4, num_layers=1,
                    bidirectional=False, residual=False, fc_size=5)
    assert len(net.shortcuts) == 0
    expected = _lstm_params(6, 4, 1) + 2 * 4 + 4 * 5 + 5 + 5 * 2 + 2
    assert sum(p.numel() for p in net.parameters()) == expected


def _silence_lstms(net):
    # zero weights and biases: gate candidates are tanh(0) = 0, so every LSTM outputs 0
    with torch.no_grad():
        for lstm in net.lstms:
            for p in lstm.parameters():
                p.zero_()


def test_residual_path_is_added():
    net = ResBiLSTM(input_size=8, n_classes=2, hidden_size=4, num_layers=2).eval()
    _silence_lstms(net)
    X = torch.randn(3, 5, 8)
    # identity shortcuts: the stack passes its input through unchanged
    torch.testing.assert_close(net.encode(X), X)

    plain = ResBiLSTM(input_size=8, n_classes=2, hidden_size=4, residual=False).eval()
    _silence_lstms(plain)
    torch.testing.assert_close(plain.encode(X), torch.zeros(3, 5, 8))


def test_projection_shortcut_when_widths_differ():
    net = ResBiLSTM(input_size=6, n_classes=2, hidden_size=4, num_layers=2).eval()
    assert isinstance(net.shortcuts[0], torch.nn.Linear)
    assert isinstance(net.shortcuts[1], torch.nn.Identity)
    _silence_lstms(net)
    X = torch.randn(3, 5, 6)
    torch.testing.assert_close(net.encode(X), X @ net.shortcuts[0].weight.T)


def test_each_layer_adds_its_input_to_its_lstm_output():
    torch.manual_seed(0)
    net = ResBiLSTM(input_size=8, n_classes=2, hidden_size=4, num_layers=2).eval()
    seen = {}
    net.lstms[1].register_forward_hook(lambda m, inp, out: seen.update(x=inp[0], y=out[0]))
    H = net.encode(torch.randn(3, 5, 8))
    torch.testing.assert_close(H, seen["x"] + seen["y"])


def test_backward_direction_sees_the_future():
    torch.manual_seed(0)
    net = ResBiLSTM(input_size=3, n_classes=2, hidden_size=4, num_layers=1,
                    residual=False).eval()
    X = torch.randn(1, 6, 3)
    X_future = X.clone()
    X_future[:, -1] += 1.0                      # change only the last frame
    H, H_future = net.encode(X), net.encode(X_future)
    first = slice(0, 1)
    torch.testing.assert_close(H[:, first, :4], H_future[:, first, :4])  # forward half
    assert not torch.allclose(H[:, first, 4:], H_future[:, first, 4:])   # backward half


@pytest.mark.parametrize("num_layers", [1, 2])
def test_unidirectional_stack_is_causal(num_layers):
    torch.manual_seed(0)
    net = ResBiLSTM(input_size=3, n_classes=2, hidden_size=4, num_layers=num_layers,
                    bidirectional=False).eval()
    X = torch.randn(1, 6, 3)
    X_future = X.clone()
    X_future[:, 3:] += 1.0
    torch.testing.assert_close(net.encode(X)[:, :3], net.encode(X_future)[:, :3])


def test_last_time_step_feeds_the_head():
    torch.manual_seed(0)
    net = ResBiLSTM(input_size=3, n_classes=2, hidden_size=4, num_layers=1,
                    bidirectional=False).eval()
    X = torch.randn(2, 6, 3)
    X_first = X.clone()
    X_first[:, 0] += 1.0                        # the forward direction carries the past
    assert not torch.allclose(net(X), net(X_first))


def test_single_sample_training_batch_uses_running_statistics():
    net = ResBiLSTM(input_size=3, n_classes=2, hidden_size=4).train()
    out = net(torch.randn(1, 4, 3))
    assert out.shape == (1, 2)
    torch.testing.assert_close(net.norm.running_mean, torch.zeros(8))


# ---------------------------------------------------------------- readouts

def _readouts(X, **kwargs):
    torch.manual_seed(0)
    net = ResBiLSTM(input_size=3, n_classes=2, hidden_size=4, residual=False, **kwargs).eval()
    H = net.encode(X)
    out = {}
    for readout in ResBiLSTM.READOUTS:
        net.readout = readout
        out[readout] = net.read(H)
    return H, out


@pytest.mark.parametrize("num_layers", [1, 2])
def test_readout_shapes_and_definitions(num_layers):
    X = torch.randn(2, 6, 3)
    H, out = _readouts(X, num_layers=num_layers)
    assert all(Z.shape == (2, 8) for Z in out.values())
    torch.testing.assert_close(out["last"], H[:, -1])
    torch.testing.assert_close(out["mean"], H.mean(dim=1))
    torch.testing.assert_close(out["ends"], torch.cat([H[:, -1, :4], H[:, 0, 4:]], dim=1))


def test_ends_backward_half_reads_every_frame_last_does_not():
    """One bidirectional layer: change frame 0 only."""
    X = torch.randn(2, 6, 3)
    X_first = X.clone()
    X_first[:, 0] += 1.0
    _, out = _readouts(X, num_layers=1)
    _, out_first = _readouts(X_first, num_layers=1)
    # the backward direction's final state (ends) has read frame 0 ...
    assert not torch.allclose(out["ends"][:, 4:], out_first["ends"][:, 4:])
    # ... the backward half at the last step (last) has read only the final frame
    torch.testing.assert_close(out["last"][:, 4:], out_first["last"][:, 4:])
    # the forward halves of both readouts have read everything
    assert not torch.allclose(out["last"][:, :4], out_first["last"][:, :4])


def test_ends_equals_last_in_one_direction():
    X = torch.randn(2, 6, 3)
    _, out = _readouts(X, bidirectional=False)
    torch.testing.assert_close(out["ends"], out["last"])
    assert out["ends"].shape == (2, 4)


def test_unknown_readout_is_an_error():
    with pytest.raises(ValueError, match="readout must be one of 'ends', 'last', 'mean'"):
        ResBiLSTM(input_size=3, n_classes=2, readout="first")
