"""Clear errors on paths no other test had reached (found by line coverage over the default suite, 4 Dec 2026).

Each is a mistake a learner can make: the error must name the function or layer, what it expected and what it
got, in one line, and never be NumPy's or a bare traceback.
"""

import pytest

import minigan as mg
from minigan import gan, nn, optim
from minigan.models import Discriminator, Generator, one_hot
from minigan.plots import save_gif


def _checkpointed_trainer():
    G, D = nn.Linear(2, 2), nn.Linear(2, 1)
    return gan.GANTrainer(G, D, optim.Adam(G.parameters()), optim.Adam(D.parameters()), lambda: mg.randn(4, 2), 2)


CASES = [
    (lambda: one_hot(mg.tensor([[1, 2], [3, 4]]), 10), ValueError, "one_hot: expected labels of shape (N,), got (2, 2)"),
    (lambda: Generator()(mg.randn(2, 100), mg.tensor([1, 2])), ValueError,
     "Generator: this generator is unconditional; call it as G(z) without labels"),
    (lambda: Discriminator(num_classes=10)(mg.randn(2, 1, 28, 28)), ValueError,
     "Discriminator: this is a conditional discriminator; call it as D(x, labels)"),
    (lambda: nn.init.zeros_([1.0, 2.0]), TypeError, "init: expected a Tensor or an array to fill, got list"),
    (lambda: nn.init.calculate_gain("leaky_relu", "0.2"), ValueError, "calculate_gain: negative_slope '0.2' is not a number"),
    (lambda: nn.init.calculate_gain("swish"), ValueError, "calculate_gain: unsupported nonlinearity 'swish'"),
    (lambda: mg.linalg.vector_norm(mg.randn(3, 4), dim="1"), TypeError,
     "vector_norm: dim must be an int, a tuple of ints or None, got str '1'"),
    (lambda: mg.tensordot(mg.randn(3, 4), mg.randn(4, 5), dims=([1], "0")), TypeError,
     "tensordot: dims must be an int or a pair of lists of axes"),
    (lambda: mg.diagonal(mg.randn(3)), ValueError, "diagonal: expected at least 2 dimensions, got shape (3,)"),
    (lambda: mg.diag_embed(mg.tensor(1.0)), ValueError, "diag_embed: expected at least 1 dimension, got shape ()"),
    (lambda: mg.diag_embed(mg.randn(3), dim1=0, dim2=-2), ValueError, "diag_embed: dim1 and dim2 must be different axes"),
    (lambda: nn.Sequential(nn.ReLU())["0"], TypeError, "Sequential: an index must be an int here, got str '0'"),
    (lambda: nn.ParameterDict().update(5), TypeError,
     "ParameterDict.update expects a dict of key -> parameter or (key, parameter) pairs, got int"),
    (lambda: nn.Embedding(10, 3, padding_idx=1.5), TypeError, "Embedding: padding_idx must be an int (or None), got float 1.5"),
    (lambda: nn.functional.embedding(mg.tensor([1]), mg.randn(10, 3), padding_idx="0"), TypeError,
     "embedding: padding_idx must be an int (or None), got str '0'"),
    (lambda: optim.SGD([1.0], lr=0.1), TypeError, "SGD expects Tensors/Parameters, got float"),
    (lambda: gan.discriminator_loss("bce", mg.randn(2, 1), mg.randn(2, 1)), ValueError, "unknown loss 'bce': choose one of"),
    (lambda: gan.generator_loss("bce", mg.randn(2, 1)), ValueError, "unknown loss 'bce': choose one of"),
    (lambda: _checkpointed_trainer().load_state_dict({**_checkpointed_trainer().state_dict(), "step": -1}), ValueError,
     "checkpoint['step']: expected a whole number >= 0, got -1"),
    (lambda: nn.utils.remove_spectral_norm(nn.Linear(2, 2)), ValueError, "spectral_norm of 'weight' not found in Linear"),
    (lambda: save_gif([], "never-written.gif"), ValueError, "save_gif: no frames"),
    (lambda: mg.randn(3).clamp_(), ValueError, "clamp_: give min, max or both"),
    (lambda: nn.GroupNorm(3, 4), ValueError, "GroupNorm: num_channels (4) must be divisible by num_groups (3)"),
    (lambda: nn.functional.max_unpool2d(*_pooled(), 2, output_size=(4,)), ValueError,
     "max_unpool2d: output_size must be (H, W) or (N, C, H, W), got (4,)"),
    (lambda: nn.functional.max_unpool2d(mg.randn(1, 1, 1, 2, 2), mg.zeros(1, 1, 1, 2, 2).long(), 2), ValueError,
     "max_unpool2d: expected a 3-D (C, H, W) or 4-D input (N, C, H, W), got shape (1, 1, 1, 2, 2)"),
    (lambda: mg.clamp_max(mg.randn(3), None), TypeError, "clamp_max: max must be a number, got None"),
    (lambda: nn.Embedding(10, 3, padding_idx=10), ValueError, "Embedding: padding_idx must lie in [-10, 10), got 10"),
    (lambda: mg.data.DataLoader(_NoLength(), batch_size=2), NotImplementedError,
     "_NoLength: a Dataset subclass must define __len__"),
    (lambda: nn.ModuleDict({"a": nn.ReLU()}).zz, AttributeError, "ModuleDict has no attribute or key 'zz'"),
]


class _NoLength(mg.data.Dataset):
    def __getitem__(self, index):
        return index


def _pooled():
    """max_pool2d's values and indices for one 4x4 image, what max_unpool2d takes."""
    return nn.functional.max_pool2d(mg.randn(1, 1, 4, 4), 2, return_indices=True)


@pytest.mark.parametrize("index", range(len(CASES)))
def test_a_rare_mistake_gets_a_clear_error(index):
    call, kind, message = CASES[index]
    with pytest.raises(kind) as info:
        call()
    assert str(info.value).startswith(message) or message in str(info.value), str(info.value)


def test_a_module_dict_reads_like_a_dict_and_the_shrink_layers_print_as_torchs():
    # (found by line coverage: these had not run in a test)
    d = nn.ModuleDict({"a": nn.ReLU(), "b": nn.Tanh()})
    assert isinstance(d.a, nn.ReLU) and [type(m) for m in d.values()] == [nn.ReLU, nn.Tanh]
    assert [(k, type(m)) for k, m in d.items()] == [("a", nn.ReLU), ("b", nn.Tanh)]
    del d["a"]
    assert list(d.keys()) == ["b"] and "a" not in d
    with pytest.raises(KeyError):
        del d["a"]
    assert repr(nn.Hardshrink(0.3)) == "Hardshrink(0.3)" and repr(nn.Softshrink()) == "Softshrink(0.5)"  # torch's
