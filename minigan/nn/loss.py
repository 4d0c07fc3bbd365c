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


# ------------------------------------------------------------- margin, embedding and likelihood losses
class MarginRankingLoss(_Loss):
    """max(0, -target (input1 - input2) + margin), target 1 or -1: F.margin_ranking_loss."""

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.margin_ranking_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class HingeEmbeddingLoss(_Loss):
    """input (a distance) where target is 1, max(0, margin - input) where it is -1: F.hinge_embedding_loss."""

    def __init__(self, margin=1.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input, target):
        return F.hinge_embedding_loss(input, target, margin=self.margin, reduction=self.reduction)


class SoftMarginLoss(_Loss):
    """log(1 + exp(-target input)), targets 1 or -1: F.soft_margin_loss."""

    def forward(self, input, target):
        return F.soft_margin_loss(input, target, reduction=self.reduction)


class CosineEmbeddingLoss(_Loss):
    """1 - cos(input1, input2) where target is 1, max(0, cos - margin) where it is -1: F.cosine_embedding_loss."""

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin, reduction=self.reduction)


class TripletMarginLoss(_Loss):
    """max(0, margin + d(anchor, positive) - d(anchor, negative)), d the p-norm distance: F.triplet_margin_loss."""

    def __init__(self, margin=1.0, p=2.0, eps=1e-6, swap=False, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = F._nonnegative("TripletMarginLoss", "margin", margin, zero_ok=False)
        self.p, self.eps, self.swap = p, eps, swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_loss(anchor, positive, negative, margin=self.margin, p=self.p, eps=self.eps,
                                     swap=self.swap, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """TripletMarginLoss with any distance function (a PairwiseDistance() by default, a child module as in torch):
    F.triplet_margin_with_distance_loss."""

    def __init__(self, *, distance_function=None, margin=1.0, swap=False, reduction="mean"):
        super().__init__(reduction=reduction)
        self.margin = F._nonnegative("TripletMarginWithDistanceLoss", "margin", margin, zero_ok=False)
        self.distance_function = distance_function if distance_function is not None else PairwiseDistance()
        self.swap = swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_with_distance_loss(anchor, positive, negative, distance_function=self.distance_function,
                                                   margin=self.margin, swap=self.swap, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """The negative log-likelihood of the target under N(input, var): F.gaussian_nll_loss (`var` is forward's third
    argument)."""

    def __init__(self, *, full=False, eps=1e-6, reduction="mean"):
        super().__init__(reduction=reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps, reduction=self.reduction)


class PoissonNLLLoss(_Loss):
    """The negative log-likelihood of target counts under Poisson(exp(log_input)): F.poisson_nll_loss."""

    def __init__(self, log_input=True, full=False, size_average=None, eps=1e-8, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full, eps=self.eps,
                                  reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """The multi-class hinge loss of (N, C) scores and labels (N,): F.multi_margin_loss; `weight` one per class."""

    def __init__(self, p=1, margin=1.0, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        F.check_multi_margin_p("MultiMarginLoss", p)
        if weight is not None and weight.ndim != 1:
            raise ValueError(f"MultiMarginLoss: weight must hold one value per class (1-d), got shape "
                             f"{tuple(weight.shape)}")
        self.p, self.margin = p, margin

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin, weight=self.weight,
                                   reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """Binary cross-entropy on logits of C labels, averaged over the classes: F.multilabel_soft_margin_loss."""

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """The multi-label hinge loss of (N, C) scores and -1-ended class lists: F.multilabel_margin_loss."""

    def forward(self, input, target):
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)
