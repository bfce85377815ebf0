"""find_scale_invariant_params and check_scale_invariance on the paper's model shapes and on non-invariant ones."""

import torch
import torch.nn as nn
import torch.nn.functional as F
import pytest

import idealgas


def convnet(k=2, affine=False, conv_bias=False, dropout=0.0):
    """The paper's ConvNet (docs/paper-setup.md §2), width k, 1 input channel, with a frozen head."""
    def block(c_in, c_out, pool):
        layers = [nn.Conv2d(c_in, c_out, 3, padding=1, bias=conv_bias), nn.BatchNorm2d(c_out, affine=affine),
                  nn.ReLU()]
        return layers + ([nn.MaxPool2d(2)] if pool else [])
    torch.manual_seed(0)
    model = nn.Sequential(*block(1, k, False), *block(k, 2 * k, True), *block(2 * k, 4 * k, True),
                          *block(4 * k, 8 * k, True), nn.MaxPool2d(4), nn.Flatten(), nn.Dropout(dropout),
                          nn.Linear(8 * k, 10))
    model[-1].requires_grad_(False)
    return model


class PreActBlock(nn.Module):
    def __init__(self, c_in, c_out, stride):
        super().__init__()
        self.bn1 = nn.BatchNorm2d(c_in, affine=False)
        self.conv1 = nn.Conv2d(c_in, c_out, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(c_out, affine=False)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, 1, 1, bias=False)
        self.shortcut = None
        if stride != 1 or c_in != c_out:
            self.shortcut = nn.Sequential(nn.BatchNorm2d(c_in, affine=False), nn.Conv2d(c_in, c_out, 1, stride,
                                                                                       bias=False))

    def forward(self, x):
        out = F.relu(self.bn1(x))
        shortcut = x if self.shortcut is None else self.shortcut(out)
        out = self.conv2(F.relu(self.bn2(self.conv1(out))))
        return out + shortcut


class PreActResNet(nn.Module):
    """Two blocks of the paper's pre-activation ResNet: the stem enters the first block un-normalised."""

    def __init__(self, k=2):
        super().__init__()
        torch.manual_seed(0)
        self.stem = nn.Conv2d(3, k, 3, 1, 1, bias=False)
        self.block1 = PreActBlock(k, k, 1)
        self.block2 = PreActBlock(k, 2 * k, 2)
        self.bn = nn.BatchNorm2d(2 * k, affine=False)
        self.head = nn.Linear(2 * k, 10, bias=False)
        self.head.requires_grad_(False)

    def forward(self, x):
        out = F.relu(self.bn(self.block2(self.block1(self.stem(x)))))
        return self.head(F.adaptive_avg_pool2d(out, 1).flatten(1))


def normalise(params, radius=1.0):
    with torch.no_grad():
        norm = torch.sqrt(sum((p ** 2).sum() for p in params))
        for p in params:
            p.mul_(radius / norm)


def test_convnet_conv_weights_are_found_and_invariant():
    model = convnet(k=2)
    si = idealgas.find_scale_invariant_params(model, with_names=True)
    assert list(si) == ["0.weight", "3.weight", "7.weight", "11.weight"]
    assert sum(p.numel() for p in si.values()) == 9 * 2 + 378 * 4  # d = 9k + 378k^2 (docs/paper-setup.md §2)
    normalise(list(si.values()), 10.0)  # large weights: BatchNorm's eps matters little
    x = torch.randn(32, 1, 32, 32)
    report = idealgas.check_scale_invariance(model, si, x)
    # Float32 rounding and eps / var at this norm: ~1e-5 measured; a non-invariant parameter gives O(1).
    assert report.scale_invariant and report.max_rel_change < 1e-4, report
    assert bool(report) is True
    assert report.d == 1530 and report.n_params == 4 and set(report.per_factor) == {0.5, 2.0, 10.0}


def test_bn_eps_shows_at_small_norm():
    # BatchNorm divides by sqrt(var + eps): at a small weight norm the invariance is only approximate, and the
    # check reports it (halving the weights quarters var, so eps / var grows).
    model = convnet(k=2)
    si = idealgas.find_scale_invariant_params(model)
    normalise(si, 0.05)
    report = idealgas.check_scale_invariance(model, si, torch.randn(32, 1, 32, 32))
    assert report.per_factor[0.5] > report.per_factor[2.0] > 0


def test_affine_batchnorm_treated_as_invariant_is_reported():
    model = convnet(k=2, affine=True)
    # The convolutions feeding an affine BatchNorm are still invariant; its gamma is not.
    assert list(idealgas.find_scale_invariant_params(model, with_names=True)) == ["0.weight", "3.weight",
                                                                                  "7.weight", "11.weight"]
    gammas = [m.weight for m in model if isinstance(m, nn.BatchNorm2d)]
    with torch.no_grad():
        for m in model:
            if isinstance(m, nn.BatchNorm2d):
                m.bias.normal_()  # beta != 0 so that gamma's scale shows
    report = idealgas.check_scale_invariance(model, gammas, torch.randn(32, 1, 32, 32))
    assert not report.scale_invariant
    assert report.max_rel_change > 0.3, report
    assert "NOT scale-invariant" in str(report)


def test_plain_linear_layer_is_reported_with_its_deviation():
    torch.manual_seed(1)
    model = nn.Linear(10, 4)
    with pytest.raises(idealgas.InputError, match="no parameter of Linear feeds a normalisation"):
        idealgas.find_scale_invariant_params(model)
    report = idealgas.check_scale_invariance(model, list(model.parameters()), torch.randn(8, 10))
    # Degree-1 homogeneous: scaling weight and bias by c scales the output by c, a relative change of |c - 1|.
    assert report.per_factor[10.0] == pytest.approx(9.0, rel=1e-6)
    assert report.per_factor[0.5] == pytest.approx(0.5, rel=1e-6)
    assert report.max_rel_change == pytest.approx(9.0, rel=1e-6) and not report.scale_invariant
    assert bool(report) is False  # `assert report` must fail for a model that is not scale-invariant


def test_residual_network_is_invariant_jointly():
    model = PreActResNet(k=2)
    si = idealgas.find_scale_invariant_params(model, with_names=True)
    assert list(si) == ["stem.weight", "block1.conv1.weight", "block1.conv2.weight", "block2.conv1.weight",
                        "block2.conv2.weight", "block2.shortcut.1.weight"]
    normalise(list(si.values()), 10.0)
    x = torch.randn(16, 3, 16, 16)
    assert idealgas.check_scale_invariance(model, si, x).max_rel_change < 1e-4
    # The stem alone is not invariant: it is added to un-normalised paths.
    alone = idealgas.check_scale_invariance(model, [model.stem.weight], x)
    assert not alone.scale_invariant


def test_biased_and_non_homogeneous_layers_are_left_out():
    torch.manual_seed(2)
    # The second conv reaches the head through a sigmoid, with no normalisation: only the first is invariant.
    model = nn.Sequential(nn.Conv2d(1, 2, 3, bias=False), nn.BatchNorm2d(2, affine=False),
                          nn.Conv2d(2, 2, 3, bias=False), nn.Sigmoid(), nn.Flatten(), nn.Linear(2 * 4 * 4, 3))
    assert list(idealgas.find_scale_invariant_params(model, with_names=True)) == ["0.weight"]
    # A conv bias before BatchNorm is cancelled by it, but the rule stays conservative and leaves such weights out.
    with pytest.raises(idealgas.InputError, match="no parameter"):
        idealgas.find_scale_invariant_params(convnet(k=2, conv_bias=True))


def test_check_restores_everything_and_fixes_dropout():
    model = convnet(k=2, dropout=0.5)
    si = idealgas.find_scale_invariant_params(model)
    normalise(si, 10.0)
    model.eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    report = idealgas.check_scale_invariance(model, si, torch.randn(16, 1, 32, 32))
    # The same dropout mask for every forward pass (the generators are reseeded): invariant despite dropout.
    assert report.max_rel_change < 1e-4
    assert not model.training
    for k, v in model.state_dict().items():
        assert torch.equal(v, before[k]), k  # parameters and BatchNorm running statistics, bit for bit


def test_errors():
    model = convnet(k=2)
    with pytest.raises(idealgas.InputError, match=r"params\[0\] is not a parameter of the model"):
        idealgas.check_scale_invariance(model, [torch.zeros(3)], torch.randn(2, 1, 32, 32))
    with pytest.raises(idealgas.InputError, match="factors must be positive finite numbers, got -1"):
        idealgas.check_scale_invariance(model, list(model.parameters())[:1], torch.randn(2, 1, 32, 32),
                                        factors=(2, -1))

    class Branchy(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 3, bias=False)

        def forward(self, x):
            if x.sum() > 0:  # data-dependent control flow: torch.fx cannot trace it
                return self.lin(x)
            return x

    with pytest.raises(idealgas.InputError, match="torch.fx cannot trace Branchy"):
        idealgas.find_scale_invariant_params(Branchy())
