"""Loss modules, PyTorch's criterion classes: ``criterion = nn.BCEWithLogitsLoss(); loss = criterion(logits, target)``.

Each is a thin Module over its function in ``minigan.nn.functional``, where the
arithmetic (and its derivative) lives.
"""

from . import functional as F
from .module import Module


class _Loss(Module):
    """A loss with PyTorch's `reduction` ('mean', 'sum' or 'none'), checked when the module is built."""

    def __init__(self, reduction="mean"):
        super().__init__()
        F.check_reduction(type(self).__name__, reduction)
        self.reduction = reduction


class BCEWithLogitsLoss(_Loss):
    """Binary cross-entropy on logits, computed stably: F.binary_cross_entropy_with_logits."""

    def forward(self, logits, target):
        return F.binary_cross_entropy_with_logits(logits, target, reduction=self.reduction)


class BCELoss(_Loss):
    """Binary cross-entropy on probabilities: F.binary_cross_entropy (prefer BCEWithLogitsLoss)."""

    def forward(self, probs, target):
        return F.binary_cross_entropy(probs, target, reduction=self.reduction)


class MSELoss(_Loss):
    """Mean squared error: F.mse_loss."""

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class CrossEntropyLoss(_Loss):
    """Softmax cross-entropy of (N, C) logits against integer labels (N,) or class probabilities (N, C)."""

    def forward(self, logits, labels):
        return F.cross_entropy(logits, labels, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: F.l1_loss (pix2pix adds it to the GAN loss)."""

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class NLLLoss(_Loss):
    """Negative log-likelihood of integer labels under (N, C) log-probabilities: F.nll_loss (after LogSoftmax)."""

    def forward(self, log_probs, labels):
        return F.nll_loss(log_probs, labels, reduction=self.reduction)
