"""Attention, as torch has it: ``F.scaled_dot_product_attention`` and ``nn.MultiheadAttention``.

Attention lets every position of a sequence look at every position of another
(or of itself) and take what it needs from there. Three tensors go in: queries
Q (L, E), keys K (S, E) and values V (S, Ev). Each query is compared with each key
by a dot product, and the scores of a query are turned into weights that sum to 1:

    weights = softmax(Q K^T / sqrt(E))      (L, S): how much query i takes from position j
    output  = weights V                     (L, Ev): for each query, an average of the values

Dividing by sqrt(E) keeps the scores' spread about 1 whatever the width E (a dot
product of E independent terms of variance 1 has variance E), so the softmax does
not saturate at the start of training, where its gradients would vanish. A mask
takes positions out (a padding token, or the future, for a causal model).

SAGAN's self-attention (Zhang et al. 2019) is this over the pixels of a feature
map: an (N, C, H, W) map is a sequence of L = H*W pixels of C features, so every
pixel can draw on any other, however far apart (a convolution sees only its
neighbourhood). Its 1x1 convolutions are the projections of Q, K and V:

    pixels = lambda t: t.flatten(2).transpose(1, 2)     # (N, C', H, W) -> (N, L = H*W, C')
    q, k, v = pixels(query_conv(x)), pixels(key_conv(x)), pixels(value_conv(x))   # C/8, C/8 and C channels
    o = F.scaled_dot_product_attention(q, k, v, scale=1.0)   # (N, L, C); SAGAN does not divide by sqrt(E)
    out = gamma * o.transpose(1, 2).reshape(N, C, H, W) + x  # gamma, a learned number, starts at 0

Multi-head attention (Vaswani et al. 2017) runs several such attentions side by
side, each on its own slice of E // num_heads features, and mixes their outputs
with a final linear layer. Both are composed of differentiable ops (matmul,
softmax, where), so their gradients of gradients (a gradient penalty) come free.
"""

import math
import numbers

import numpy as np

from .. import autograd as ag
from .. import backend
from ..conv import _is_int
from . import init
from .layers import Linear, _place
from .misc import check_fraction, dropout, pad
from .module import Module, Parameter


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                                 enable_gqa=False):
    """softmax(query key^T * scale + mask) value, as torch's ``F.scaled_dot_product_attention``.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); the leading axes
    (batch, heads) broadcast. `scale` is 1/sqrt(E) unless given. `attn_mask` broadcasts to
    (..., L, S): a boolean mask says which keys each query may attend to (True: take part),
    a float mask is added to the scores (-inf takes a key out). `is_causal` lets query i see
    keys 0..i only (the mask tril(ones(L, S)), aligned at the top left, as torch's). A query
    whose keys are all masked out gets zeros (torch's too), not NaN. `dropout_p` zeroes
    weights with that probability (scaling the rest by 1/(1 - p)), whether or not the model
    is training, as in torch: pass 0.0 in eval mode. `enable_gqa` (grouped-query attention):
    key and value may have fewer heads (axis -3) than query, each used by a group of them.
    """
    name = "scaled_dot_product_attention"
    _check_qkv(name, query, key, value)
    p = check_fraction(dropout_p, name, "dropout_p", " (the probability of zeroing an attention weight)")
    if enable_gqa:
        key, value = _repeat_heads(name, query, key), _repeat_heads(name, query, value)
    _check_leading_axes(name, query, key, value)
    if scale is None:
        scale = 1.0 / math.sqrt(query.shape[-1]) if query.shape[-1] else 1.0  # (E = 0: every score is 0)
    elif not isinstance(scale, numbers.Real) or isinstance(scale, bool):
        raise TypeError(f"{name}: scale must be a number (None: 1/sqrt(E)), got {type(scale).__name__} {scale!r}")
    scores = ag.matmul(query, ag.transpose(key, -2, -1)) * float(scale)  # (..., L, S)
    if is_causal:
        if attn_mask is not None:  # (torch refuses both too)
            raise ValueError(f"{name}: give attn_mask or is_causal=True, not both; for a causal mask with more "
                             "keys masked out, combine them into one boolean attn_mask (mask & causal)")
        length, keys = scores.shape[-2:]
        attn_mask = ag.Tensor(backend.xp_of(scores.data).tri(length, keys, dtype=bool))  # query i sees keys 0..i
    if attn_mask is None:
        weights = ag.softmax(scores, -1)
    else:
        weights = _softmax_of_live_rows(_masked(name, scores, attn_mask, query.dtype))
    if p > 0.0:
        weights = dropout(weights, p)
    return ag.matmul(weights, value)


def _check_qkv(name, query, key, value):
    """Clear errors for what the attention's matrix products would otherwise refuse deep inside."""
    for what, x in (("query", query), ("key", key), ("value", value)):
        ag._expect_tensor(x, f"{name} ({what})")
        if x.ndim < 2:
            raise ValueError(f"{name}: expected query (..., L, E), key (..., S, E) and value (..., S, Ev) of at "
                             f"least 2 axes, got {what} of shape {tuple(x.shape)}; for a single query write "
                             f"{what}.unsqueeze(0)")
    if query.dtype.kind != "f" or not query.dtype == key.dtype == value.dtype:
        raise TypeError(f"{name}: query, key and value must share one float dtype, got {query.dtype}, {key.dtype} "
                        f"and {value.dtype}; convert them with .to(minigan.float32) (or float64)")
    if not query.device == key.device == value.device:
        raise RuntimeError(f"{name}: query, key and value must be on one device, got '{query.device}', "
                           f"'{key.device}' and '{value.device}'; move them with .to('{query.device}')")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(f"{name}: query (..., L, E), key (..., S, E) and value (..., S, Ev) must share E and S, "
                         f"got shapes {tuple(query.shape)}, {tuple(key.shape)} and {tuple(value.shape)}")


def _check_leading_axes(name, query, key, value):
    """A clear error unless the leading axes (batch, heads) of query, key and value broadcast together."""
    try:
        np.broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    except ValueError:
        raise ValueError(f"{name}: the leading axes (batch, heads) of query, key and value, shapes "
                         f"{tuple(query.shape)}, {tuple(key.shape)} and {tuple(value.shape)}, do not broadcast; "
                         "for fewer key and value heads than query heads pass enable_gqa=True") from None


def _repeat_heads(name, query, x):
    """key or value with each of its heads (axis -3) repeated for its group of query heads, as torch's
    ``x.repeat_interleave(Hq // Hk, -3)``: heads k0, k1 serve query heads 0, 1 and 2, 3 of four."""
    if query.ndim < 3 or x.ndim < 3 or query.shape[-3] % max(x.shape[-3], 1):
        raise ValueError(f"{name}: enable_gqa=True needs heads at axis -3, the query's a multiple of the key's "
                         f"and value's, got shapes {tuple(query.shape)} and {tuple(x.shape)}")
    heads, group = x.shape[-3], query.shape[-3] // x.shape[-3]
    lead = tuple(x.shape[:-3])
    grouped = ag.broadcast_to(ag.unsqueeze(x, -3), lead + (heads, group) + tuple(x.shape[-2:]))
    return ag.reshape(grouped, *lead, heads * group, *x.shape[-2:])


def _masked(name, scores, mask, dtype):
    """The scores with a boolean mask applied (-inf where False) or a float mask added, as torch's."""
    ag._expect_tensor(mask, f"{name} (attn_mask)")
    if mask.dtype != np.bool_ and mask.dtype not in (dtype, np.float32):  # (torch also takes float32 with float64)
        raise TypeError(f"{name}: attn_mask must be boolean (True: take part) or of the query's dtype {dtype} "
                        f"(added to the scores), got {mask.dtype}")
    if mask.device != scores.device:
        raise RuntimeError(f"{name}: attn_mask is on '{mask.device}' and the query on '{scores.device}'; move the "
                           f"mask with .to('{scores.device}')")
    if not ag._broadcasts_to(tuple(mask.shape), tuple(scores.shape)):
        raise ValueError(f"{name}: attn_mask of shape {tuple(mask.shape)} does not broadcast to the scores' shape "
                         f"(..., L, S) = {tuple(scores.shape)}")
    if mask.dtype == np.bool_:
        return ag.where(mask.data, scores, -math.inf)
    return scores + mask.to(dtype=scores.dtype)  # (a float32 mask with float64 scores: cast, as torch)


def _softmax_of_live_rows(scores):
    """softmax along the keys, except that a row all -inf (every key masked out) gives zeros, as torch's.

    Such a row is set to 0 before the softmax, so that neither the values nor the gradients see a NaN.
    """
    dead = (scores.data == -math.inf).all(axis=-1, keepdims=True)
    weights = ag.softmax(ag.where(dead, 0.0, scores), -1)
    return ag.where(dead, 0.0, weights)


class NonDynamicallyQuantizableLinear(Linear):
    """A plain Linear: torch's name for MultiheadAttention's output layer (it tells torch's quantization tools to
    leave it alone), kept so that the layer prints as torch's."""


class MultiheadAttention(Module):
    """Multi-head attention (Vaswani et al. 2017), torch's ``nn.MultiheadAttention``.

    Queries, keys and values are projected by learned weights (``in_proj_weight``, (3E, E), the
    three stacked; or ``q_proj_weight``, ``k_proj_weight``, ``v_proj_weight`` when keys or values
    have other widths, `kdim` and `vdim`), split into `num_heads` heads of E // num_heads features,
    attended (``scaled_dot_product_attention``) head by head, joined again and mixed by
    ``out_proj``. forward(query, key, value) takes (L, N, E), (S, N, kdim), (S, N, vdim) (or batch
    first, with batch_first=True, or one unbatched sequence (L, E)) and returns (output,
    weights): the output as the query, and the attention weights (N, L, S), averaged over the
    heads (per head, (N, num_heads, L, S), with average_attn_weights=False), or None with
    need_weights=False.

    The masks take torch's other convention: True (or -inf) means *do not* attend.
    `key_padding_mask` (N, S) leaves out padding keys; `attn_mask` is (L, S), or (N * num_heads,
    L, S); a float mask is added to the scores. `is_causal` is a hint that attn_mask is the
    causal mask (torch requires the mask too). As in torch, a query with every key masked out
    gives NaN with need_weights=True (a plain softmax) and zeros without. `dropout` applies to
    the weights in training mode. `add_bias_kv` appends a learned key and value (``bias_k``,
    ``bias_v``) to the sequence, `add_zero_attn` a key and value of zeros.
    Initialised as torch's: xavier_uniform_ projections, zero biases, xavier_normal_ bias_k and bias_v.
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False, add_zero_attn=False,
                 kdim=None, vdim=None, batch_first=False, device=None, dtype=None):
        super().__init__()
        name = "MultiheadAttention"
        for what, value in (("embed_dim", embed_dim), ("num_heads", num_heads), ("kdim", kdim), ("vdim", vdim)):
            if value is not None and (not _is_int(value) or value < 1):
                raise ValueError(f"{name}: {what} must be a positive int, got {value!r}")
        if embed_dim % num_heads:
            raise ValueError(f"{name}: embed_dim must be divisible by num_heads (each head takes embed_dim // "
                             f"num_heads features), got embed_dim={embed_dim}, num_heads={num_heads}")
        self.embed_dim, self.num_heads, self.head_dim = embed_dim, num_heads, embed_dim // num_heads
        self.kdim = embed_dim if kdim is None else kdim
        self.vdim = embed_dim if vdim is None else vdim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout = check_fraction(dropout, name, "dropout", " (the probability of zeroing an attention weight)")
        self.batch_first, self.add_zero_attn = bool(batch_first), bool(add_zero_attn)
        if self._qkv_same_embed_dim:  # (registered in torch's order: its state_dict keys come in the same order)
            self.in_proj_weight = Parameter(ag.empty(3 * embed_dim, embed_dim))
            for p in ("q_proj_weight", "k_proj_weight", "v_proj_weight"):
                self.register_parameter(p, None)
        else:
            self.q_proj_weight = Parameter(ag.empty(embed_dim, embed_dim))
            self.k_proj_weight = Parameter(ag.empty(embed_dim, self.kdim))
            self.v_proj_weight = Parameter(ag.empty(embed_dim, self.vdim))
            self.register_parameter("in_proj_weight", None)
        self.register_parameter("in_proj_bias", Parameter(ag.empty(3 * embed_dim)) if bias else None)
        self.out_proj = NonDynamicallyQuantizableLinear(embed_dim, embed_dim, bias=bias)
        for p in ("bias_k", "bias_v"):
            self.register_parameter(p, Parameter(ag.empty(1, 1, embed_dim)) if add_bias_kv else None)
        self._reset_parameters()
        _place(self, device, dtype)

    def _reset_parameters(self):
        """torch's initialisation: xavier_uniform_ projections, zero biases, xavier_normal_ bias_k and bias_v."""
        for w in (self.in_proj_weight, self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
            if w is not None:
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.constant_(self.in_proj_bias, 0.0)
            init.constant_(self.out_proj.bias, 0.0)
        for b in (self.bias_k, self.bias_v):
            if b is not None:
                init.xavier_normal_(b)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
                average_attn_weights=True, is_causal=False):
        batched = self._check(query, key, value, key_padding_mask, attn_mask, is_causal)
        if not batched:  # one sequence: a batch of one
            query, key, value = (ag.unsqueeze(x, 0) for x in (query, key, value))
            key_padding_mask = None if key_padding_mask is None else ag.unsqueeze(key_padding_mask, 0)
        elif not self.batch_first:  # torch's default layout (L, N, E): batch first inside
            query, key, value = (ag.transpose(x, 0, 1) for x in (query, key, value))
        n, length, heads = query.shape[0], query.shape[1], self.num_heads
        key_padding_mask = _additive(key_padding_mask, query.dtype)
        attn_mask = _additive(attn_mask, query.dtype)
        if is_causal and key_padding_mask is None and not need_weights:
            attn_mask = None  # torch's: the hint stands for the mask (add_bias_kv's key is then causal too)
        else:
            is_causal = False

        q, k, v = self._in_projection(query, key, value)  # (N, L, E), (N, S, E), (N, S, E)
        if self.bias_k is not None:  # a learned key and value at the end of the sequence
            k = ag.cat([k, ag.broadcast_to(self.bias_k, (n, 1, self.embed_dim))], dim=1)
            v = ag.cat([v, ag.broadcast_to(self.bias_v, (n, 1, self.embed_dim))], dim=1)
            attn_mask, key_padding_mask = _one_more_key(attn_mask), _one_more_key(key_padding_mask)
        q, k, v = (ag.transpose(ag.reshape(x, n, x.shape[1], heads, self.head_dim), 1, 2) for x in (q, k, v))
        if self.add_zero_attn:  # a key and value of zeros at the end, (N, heads, S + 1, head_dim)
            zeros = ag.zeros(n, heads, 1, self.head_dim, dtype=k.dtype, device=k.device)
            k, v = ag.cat([k, zeros], dim=2), ag.cat([v, zeros], dim=2)
            attn_mask, key_padding_mask = _one_more_key(attn_mask), _one_more_key(key_padding_mask)
        mask = self._merged_mask(attn_mask, key_padding_mask, n, length, k.shape[2])
        p = self.dropout if self.training else 0.0

        if need_weights:  # torch's own path: a plain softmax (NaN for a query with every key masked out)
            scores = ag.matmul(q * math.sqrt(1.0 / self.head_dim), ag.transpose(k, -2, -1))
            weights = ag.softmax(scores if mask is None else scores + mask, -1)  # (N, heads, L, S)
            if p > 0.0:
                weights = dropout(weights, p)
            out = ag.matmul(weights, v)
            weights = ag.mean(weights, dim=1) if average_attn_weights else weights
        else:
            out = scaled_dot_product_attention(q, k, v, mask, p, is_causal)
            weights = None
        out = self.out_proj(ag.reshape(ag.transpose(out, 1, 2), n, length, self.embed_dim))
        if not batched:
            return ag.squeeze(out, 0), None if weights is None else ag.squeeze(weights, 0)
        return out if self.batch_first else ag.transpose(out, 0, 1), weights

    def _in_projection(self, query, key, value):
        """query W_q^T + b_q, key W_k^T + b_k, value W_v^T + b_v (the three stacked in in_proj_weight and bias)."""
        if self._qkv_same_embed_dim:
            w_q, w_k, w_v = ag.chunk(self.in_proj_weight, 3)
        else:
            w_q, w_k, w_v = self.q_proj_weight, self.k_proj_weight, self.v_proj_weight
        b_q, b_k, b_v = (None,) * 3 if self.in_proj_bias is None else ag.chunk(self.in_proj_bias, 3)
        return ag.linear(query, w_q, b_q), ag.linear(key, w_k, b_k), ag.linear(value, w_v, b_v)

    def _merged_mask(self, attn_mask, key_padding_mask, n, length, keys):
        """attn_mask (L, S) or (N * heads, L, S) plus key_padding_mask (N, S), to add to scores (N, heads, L, S)."""
        mask = attn_mask
        if mask is not None and mask.ndim == 3:
            mask = ag.reshape(mask, n, self.num_heads, length, keys)
        if key_padding_mask is not None:
            padding = ag.reshape(key_padding_mask, n, 1, 1, keys)
            mask = padding if mask is None else mask + padding
        return mask

    def _check(self, query, key, value, key_padding_mask, attn_mask, is_causal):
        """Clear errors for the inputs torch's checks refuse; whether the input is batched."""
        name = f"MultiheadAttention({self.embed_dim}, {self.num_heads})"
        for what, x in (("query", query), ("key", key), ("value", value)):
            ag._expect_tensor(x, f"{name} ({what})")
        if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
            raise ValueError(f"{name}: expected query, key and value of 3 axes, (L, N, E) (batch_first=True: "
                             f"(N, L, E)), or of 2 for one sequence, (L, E); got shapes {tuple(query.shape)}, "
                             f"{tuple(key.shape)} and {tuple(value.shape)}")
        batched = query.ndim == 3
        for what, x, width in (("query", query, self.embed_dim), ("key", key, self.kdim), ("value", value, self.vdim)):
            if x.shape[-1] != width:
                raise ValueError(f"{name}: expected {what} with {width} features in its last axis, got shape "
                                 f"{tuple(x.shape)}" + ("; keys and values of other widths need kdim= and vdim="
                                                        if what != "query" else ""))
        weight = self.out_proj.weight
        if not query.dtype == key.dtype == value.dtype == weight.dtype or query.device != weight.device:
            raise TypeError(f"{name}: query, key and value must have the layer's dtype {weight.dtype} and device "
                            f"'{weight.device}', got {query.dtype}, {key.dtype}, {value.dtype} on '{query.device}'; "
                            f"convert them with .to(...) (or the layer with .to(...))")
        seq, batch = (1, 0) if self.batch_first else (0, 1)
        if batched and not query.shape[batch] == key.shape[batch] == value.shape[batch]:
            raise ValueError(f"{name}: query, key and value must hold the same number of sequences, got shapes "
                             f"{tuple(query.shape)}, {tuple(key.shape)} and {tuple(value.shape)} "
                             f"(batch_first={self.batch_first})")
        keys = key.shape[seq] if batched else key.shape[0]
        if (value.shape[seq] if batched else value.shape[0]) != keys:
            raise ValueError(f"{name}: key and value must have the same length S, got shapes {tuple(key.shape)} "
                             f"and {tuple(value.shape)}")
        n, length = (query.shape[batch], query.shape[seq]) if batched else (1, query.shape[0])
        if key_padding_mask is not None:
            expected = (n, keys) if batched else (keys,)
            _check_mask(name, "key_padding_mask", key_padding_mask, expected, query)
        if attn_mask is not None:
            expected = (n * self.num_heads, length, keys) if attn_mask.ndim == 3 else (length, keys)
            _check_mask(name, "attn_mask", attn_mask, expected, query)
        if is_causal and attn_mask is None:
            raise ValueError(f"{name}: is_causal=True is a hint that attn_mask is the causal mask: pass the mask "
                             "too (as torch requires), e.g. attn_mask=minigan.ones(L, L).triu(1).bool()")
        return batched


def _check_mask(name, what, mask, shape, query):
    ag._expect_tensor(mask, f"{name} ({what})")
    if mask.dtype != np.bool_ and mask.dtype != query.dtype:
        raise TypeError(f"{name}: {what} must be boolean (True: leave out) or of the query's dtype {query.dtype} "
                        f"(added to the scores), got {mask.dtype}")
    if mask.device != query.device:
        raise RuntimeError(f"{name}: {what} is on '{mask.device}' and the query on '{query.device}'; move it with "
                           f".to('{query.device}')")
    if tuple(mask.shape) != shape:
        raise ValueError(f"{name}: expected {what} of shape {shape}, got {tuple(mask.shape)}")


def _additive(mask, dtype):
    """A boolean mask (True: leave out) as the scores' addend, -inf there and 0 elsewhere; a float mask as it is."""
    if mask is None or mask.dtype != np.bool_:
        return mask
    xp = backend.xp_of(mask.data)
    return ag.Tensor(xp.where(mask.data, -np.inf, 0.0).astype(dtype))


def _one_more_key(mask):
    """A mask with a column of zeros for one more key at the end (add_bias_kv and add_zero_attn), as torch's."""
    return None if mask is None else pad(mask, (0, 1))
