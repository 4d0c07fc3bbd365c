"""Layers with PyTorch's names, signatures and parameter layouts."""

from . import functional  # noqa: F401
from .layers import (  # noqa: F401
    Embedding,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    ModuleList,
    ReLU,
    Sequential,
    Sigmoid,
    Softplus,
    Tanh,
)
from .module import Module, Parameter  # noqa: F401
