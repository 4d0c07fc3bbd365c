"""Layers with PyTorch's names, signatures and parameter layouts."""

from . import functional, init, utils  # noqa: F401
from .layers import (  # noqa: F401
    ELU,
    Embedding,
    Flatten,
    Identity,
    LeakyReLU,
    Linear,
    ModuleDict,
    ModuleList,
    ReLU,
    Sequential,
    SiLU,
    Sigmoid,
    Softplus,
    Tanh,
)
from .conv import Conv2d, ConvTranspose2d  # noqa: F401
from .loss import BCELoss, BCEWithLogitsLoss, CrossEntropyLoss, L1Loss, MSELoss, NLLLoss  # noqa: F401
from .misc import (  # noqa: F401
    AvgPool2d,
    Dropout,
    Dropout2d,
    LogSoftmax,
    MaxPool2d,
    PixelShuffle,
    ReflectionPad2d,
    ReplicationPad2d,
    Softmax,
    Unflatten,
    Upsample,
    ZeroPad2d,
)
from .misc import AdaptiveAvgPool2d, AdaptiveMaxPool2d, Fold, MaxUnpool2d, PixelUnshuffle, Unfold  # noqa: F401
from .attention import MultiheadAttention  # noqa: F401
from .module import Module, Parameter  # noqa: F401
from .layers import CELU, GELU, GLU, SELU, Hardsigmoid, Hardswish, Hardtanh, LogSigmoid, Mish, PReLU  # noqa: F401
from .layers import ReLU6, Softmin, Softsign, Threshold  # noqa: F401
from .norm import BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm  # noqa: F401
from .layers import ParameterDict, ParameterList  # noqa: F401
from .conv import Conv1d, ConvTranspose1d  # noqa: F401
from .loss import CosineSimilarity, HuberLoss, KLDivLoss, PairwiseDistance, SmoothL1Loss  # noqa: F401
