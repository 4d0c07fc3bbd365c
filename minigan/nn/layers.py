"""Dense layers, activations and containers (PyTorch's names and layouts)."""

import math
from collections import OrderedDict

from .. import autograd as ag
from .module import Module, Parameter


def _init_uniform(shape, bound):
    """U(-bound, bound) from the global seeded generator (PyTorch's default init)."""
    return Parameter(ag.uniform(shape, -bound, bound))


class Linear(Module):
    """y = x W^T + b with W of shape (out_features, in_features), as in PyTorch.

    Initialised like PyTorch: W and b ~ U(-1/sqrt(in), 1/sqrt(in)).
    """

    def __init__(self, in_features, out_features, bias=True):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        bound = 1.0 / math.sqrt(in_features)
        self.weight = _init_uniform((out_features, in_features), bound)
        self.bias = _init_uniform((out_features,), bound) if bias else None

    def forward(self, x):
        return ag.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return f"in_features={self.in_features}, out_features={self.out_features}, bias={self.bias is not None}"


class ReLU(Module):
    def forward(self, x):
        return ag.relu(x)


class LeakyReLU(Module):
    def __init__(self, negative_slope=0.01):
        super().__init__()
        self.negative_slope = negative_slope

    def forward(self, x):
        return ag.leaky_relu(x, self.negative_slope)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}"


class Sigmoid(Module):
    def forward(self, x):
        return ag.sigmoid(x)


class Tanh(Module):
    def forward(self, x):
        return ag.tanh(x)


class Softplus(Module):
    def forward(self, x):
        return ag.softplus(x)


class Identity(Module):
    def forward(self, x):
        return x


class Flatten(Module):
    """Flatten all axes from `start_dim` on (default: keep the batch axis)."""

    def __init__(self, start_dim=1):
        super().__init__()
        self.start_dim = start_dim

    def forward(self, x):
        return ag.reshape(x, *x.shape[: self.start_dim], -1)


class Sequential(Module):
    """Run modules in order; children are named "0", "1", ... (or by an OrderedDict)."""

    def __init__(self, *modules):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], OrderedDict):
            for name, m in modules[0].items():
                setattr(self, name, m)
        else:
            for i, m in enumerate(modules):
                setattr(self, str(i), m)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x

    def __getitem__(self, i):
        if isinstance(i, slice):  # a Sequential of those layers (the same modules, not copies), as in PyTorch
            return Sequential(OrderedDict(list(self._modules.items())[i]))
        return list(self._modules.values())[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class ModuleList(Module):
    """A list of modules, registered as children "0", "1", ..."""

    def __init__(self, modules=()):
        super().__init__()
        for m in modules:
            self.append(m)

    def append(self, m):
        setattr(self, str(len(self._modules)), m)
        return self

    def __getitem__(self, i):
        return list(self._modules.values())[i]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())


class Embedding(Module):
    """A lookup table: integer ids (any shape) -> rows of a (num, dim) weight ~ N(0, 1)."""

    def __init__(self, num_embeddings, embedding_dim):
        super().__init__()
        self.num_embeddings, self.embedding_dim = num_embeddings, embedding_dim
        self.weight = Parameter(ag.randn(num_embeddings, embedding_dim))

    def forward(self, ids):
        return ag.getitem(self.weight, ids)
