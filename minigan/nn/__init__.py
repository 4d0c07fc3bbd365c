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
from .layers import Bilinear, Hardshrink, RReLU, Softshrink, Tanhshrink  # noqa: F401
from .norm import BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm  # noqa: F401
from .layers import ParameterDict, ParameterList  # noqa: F401
from .conv import Conv1d, ConvTranspose1d  # noqa: F401
from .loss import CosineSimilarity, HuberLoss, KLDivLoss, PairwiseDistance, SmoothL1Loss  # noqa: F401
from .misc import AdaptiveAvgPool1d, AdaptiveMaxPool1d, AvgPool1d, MaxPool1d, Dropout1d, Softmax2d  # noqa: F401
from .misc import CircularPad1d, CircularPad2d, ConstantPad1d, ConstantPad2d, ReflectionPad1d  # noqa: F401
from .misc import ReplicationPad1d, ZeroPad1d  # noqa: F401
from .norm import InstanceNorm1d, RMSNorm  # noqa: F401
from .rnn import GRU, GRUCell, LSTM, LSTMCell, RNN, RNNCell  # noqa: F401
from .loss import CosineEmbeddingLoss, GaussianNLLLoss, HingeEmbeddingLoss, MarginRankingLoss  # noqa: F401
from .loss import MultiLabelMarginLoss, MultiLabelSoftMarginLoss, MultiMarginLoss, PoissonNLLLoss  # noqa: F401
from .loss import SoftMarginLoss, TripletMarginLoss, TripletMarginWithDistanceLoss  # noqa: F401
from .misc import AlphaDropout, ChannelShuffle, FeatureAlphaDropout, LPPool1d, LPPool2d  # noqa: F401
from .misc import UpsamplingBilinear2d, UpsamplingNearest2d  # noqa: F401
from .norm import LocalResponseNorm  # noqa: F401
