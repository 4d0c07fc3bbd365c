"""``minigan.nn.utils.rnn``: sequences of different lengths padded into one tensor and back, as
``torch.nn.utils.rnn``'s ``pad_sequence`` and ``unpad_sequence`` (no PackedSequence here)."""

import numbers

from ... import autograd as ag
from ...autograd import Tensor

__all__ = ["pad_sequence", "unpad_sequence"]


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """The tensors of `sequences`, each (L_i, *), padded with `padding_value` to the longest length L and
    stacked, as torch's: (L, B, *), or (B, L, *) with batch_first. padding_side='left' puts the padding before
    each sequence. Differentiable: each sequence's gradient is its own part of the result's. (Unlike torch,
    the sequences must share their dtype and their number of axes: torch converts and broadcasts them.)"""
    name = "pad_sequence"
    if padding_side not in ("left", "right"):
        raise ValueError(f"{name}: padding_side must be 'left' or 'right', got {padding_side!r}")
    if not isinstance(padding_value, numbers.Real):
        raise TypeError(f"{name}: padding_value must be a number, got {type(padding_value).__name__}")
    if isinstance(sequences, Tensor):  # a tensor is the sequences along its first axis, as torch reads it
        sequences = list(sequences.unbind(0)) if sequences.ndim else sequences
    if not isinstance(sequences, (list, tuple)) or not sequences:
        raise ValueError(f"{name}: expected a non-empty list of tensors of shape (L_i, *), got "
                         f"{sequences if isinstance(sequences, (list, tuple)) else type(sequences).__name__!r}")
    first = sequences[0]
    for i, s in enumerate(sequences):
        ag._expect_tensor(s, f"{name}: sequence {i}")
        if s.ndim == 0 or s.shape[1:] != first.shape[1:]:  # (a different number of axes: a different *)
            raise ValueError(f"{name}: every sequence must be (L_i, *) with the same * (and at least one axis), but "
                             f"sequence 0 has shape {tuple(first.shape)} and sequence {i} {tuple(s.shape)}")
        if (s.dtype, s.device) != (first.dtype, first.device):
            raise TypeError(f"{name}: sequence 0 is {first.dtype} on '{first.device}' but sequence {i} is {s.dtype} "
                            f"on '{s.device}'; convert them first, s.to({first.device!r}, {first.dtype.name!r})")
    longest = max(s.shape[0] for s in sequences)
    padded = []
    for s in sequences:
        missing = longest - s.shape[0]
        widths = ((0, missing) if padding_side == "right" else (missing, 0),) + ((0, 0),) * (s.ndim - 1)
        padded.append(ag.Pad(widths, padding_value)(s))  # (L, *): L_i values, then padding (or padding first)
    return ag.stack(padded, axis=0 if batch_first else 1)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The inverse of ``pad_sequence`` (right padding): the list of sequences padded_sequences[:L_i, i]
    ([i, :L_i] with batch_first), L_i = lengths[i], as torch's (which transposes its input in place; not here).
    `lengths` may be a tensor or a list of ints."""
    name = "unpad_sequence"
    ag._expect_tensor(padded_sequences, name)
    if padded_sequences.ndim < 2:
        raise ValueError(f"{name}: expected padded sequences of shape (L, B, *), or (B, L, *) with batch_first, "
                         f"got shape {tuple(padded_sequences.shape)}")
    batch = padded_sequences if batch_first else ag.transpose(padded_sequences, 0, 1)  # (B, L, *)
    lengths = lengths.tolist() if isinstance(lengths, Tensor) else list(lengths)
    if len(lengths) != batch.shape[0] or not all(isinstance(n, numbers.Integral) and n >= 0 for n in lengths):
        raise ValueError(f"{name}: lengths must hold one int >= 0 per sequence ({batch.shape[0]}), got {lengths}")
    return [batch[i, :n] for i, n in enumerate(lengths)]
