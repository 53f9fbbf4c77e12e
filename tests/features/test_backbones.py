"""BatchNorm recalibration: the running statistics PyTorch itself would estimate."""

import copy

import torch
from torch import nn

from skvideo_imb.features import _backbones


def test_recalibration_gives_pytorchs_own_running_statistics():
    # PyTorch's training-mode BatchNorm with momentum=None averages the batch statistics
    # with equal weight: exactly what recalibrate_batchnorm promises, without training
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8), nn.ReLU(),
                          nn.Conv2d(8, 8, 3), nn.BatchNorm2d(8))
    reference = copy.deepcopy(model)
    batches = [torch.randn(4, 3, 12, 12) * 3 + 1 + k for k in range(3)]
    _backbones.recalibrate_batchnorm(model, batches, torch.device("cpu"), "fp32")
    reference.train()
    for layer in _backbones.batchnorm_layers(reference):
        layer.momentum = None
        layer.reset_running_stats()
    with torch.no_grad():
        for batch in batches:
            reference(batch)
    pairs = list(zip(_backbones.batchnorm_layers(model),
                     _backbones.batchnorm_layers(reference)))
    assert len(pairs) == 2 and not model.training
    for ours, theirs in pairs:
        torch.testing.assert_close(ours.running_mean, theirs.running_mean)
        torch.testing.assert_close(ours.running_var, theirs.running_var)
        assert int(ours.num_batches_tracked) == 3
