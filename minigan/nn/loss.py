"""Loss modules, PyTorch's criterion classes: ``criterion = nn.BCEWithLogitsLoss(); loss = criterion(logits, target)``.

Each is a thin Module over its function in ``minigan.nn.functional``, where the
arithmetic (and its derivative) lives. The constructors take PyTorch's
arguments in PyTorch's order; `weight` and `pos_weight` are buffers, as in
torch, so ``.to()`` moves them with the model.
"""

from . import functional as F
from .module import Module


class _Loss(Module):
    """A loss with PyTorch's `reduction` ('mean', 'sum' or 'none'), checked when the module is built.

    PyTorch's deprecated `size_average` and `reduce` are refused, with the `reduction` to use instead.
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        F.no_legacy_reduction(type(self).__name__, size_average, reduce)
        F.check_reduction(type(self).__name__, reduction)
        self.reduction = reduction


class _WeightedLoss(_Loss):
    """A loss with an optional `weight` tensor (a buffer, None by default)."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class BCEWithLogitsLoss(_WeightedLoss):
    """Binary cross-entropy on logits, computed stably: F.binary_cross_entropy_with_logits.

    `weight` rescales each element's loss (broadcast); `pos_weight` weights the positive
    term, usually one value per class (negatives / positives to balance the classes).
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean", pos_weight=None):
        super().__init__(weight, size_average, reduce, reduction)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(input, target, self.weight, reduction=self.reduction,
                                                  pos_weight=self.pos_weight)


class BCELoss(_WeightedLoss):
    """Binary cross-entropy on probabilities: F.binary_cross_entropy (prefer BCEWithLogitsLoss); `weight` as there."""

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, self.weight, reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error: F.mse_loss."""

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy of (N, C) logits against integer labels (N,) or class probabilities (N, C).

    `weight` (one per class), `ignore_index` and `label_smoothing` as in F.cross_entropy; a label
    out of range is an error on the CPU and a NaN loss on a GPU (see F.nll_loss).
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean",
                 label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        F.check_label_smoothing("CrossEntropyLoss", label_smoothing)
        self.ignore_index, self.label_smoothing = ignore_index, label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)


class L1Loss(_Loss):
    """Mean absolute error: F.l1_loss (pix2pix adds it to the GAN loss)."""

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of integer labels under (N, C) log-probabilities: F.nll_loss (after LogSoftmax).

    `weight` (one per class), `ignore_index` and labels out of range (a NaN loss on a GPU) as in F.nll_loss.
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, self.weight, ignore_index=self.ignore_index, reduction=self.reduction)
