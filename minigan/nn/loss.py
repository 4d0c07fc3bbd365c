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


class SmoothL1Loss(_Loss):
    """Quadratic below `beta`, linear above: F.smooth_l1_loss (Fast R-CNN's box loss; beta=0 is L1Loss)."""

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = F._nonnegative("SmoothL1Loss", "beta", beta, zero_ok=True)

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)


class HuberLoss(_Loss):
    """0.5 d^2 below `delta`, delta (|d| - 0.5 delta) above: F.huber_loss (SmoothL1Loss(beta=delta) times delta)."""

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = F._nonnegative("HuberLoss", "delta", delta, zero_ok=False)

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)


class KLDivLoss(Module):
    """KL divergence of log-probabilities `input` from the target distribution: F.kl_div.

    reduction='batchmean' (the KL divergence per sample, averaged) is what the formula means;
    torch's default 'mean' averages over every element (torch warns about it; minigan does not).
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__()
        F.no_legacy_reduction("KLDivLoss", size_average, reduce)
        if reduction not in ("mean", "batchmean", "sum", "none"):
            raise ValueError(f"KLDivLoss: reduction must be 'mean', 'batchmean', 'sum' or 'none', got {reduction!r}")
        self.reduction, self.log_target = reduction, log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)


# ------------------------------------------------------------- distances (torch's nn/modules/distance.py)
class CosineSimilarity(Module):
    """The cosine of the angle between x1 and x2 along `dim`: F.cosine_similarity."""

    def __init__(self, dim=1, eps=1e-8):
        super().__init__()
        self.dim, self.eps = dim, eps

    def forward(self, x1, x2):
        return F.cosine_similarity(x1, x2, self.dim, self.eps)


class PairwiseDistance(Module):
    """The p-norm of x1 - x2 + eps along the last axis: F.pairwise_distance."""

    def __init__(self, p=2.0, eps=1e-6, keepdim=False):
        super().__init__()
        self.norm, self.eps, self.keepdim = p, eps, keepdim

    def forward(self, x1, x2):
        return F.pairwise_distance(x1, x2, self.norm, self.eps, self.keepdim)
