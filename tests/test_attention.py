"""F.scaled_dot_product_attention and nn.MultiheadAttention (minigan/nn/attention.py), against PyTorch.

Both are composed of differentiable ops (matmul, softmax, where), so their first and second
derivatives come from those. Checked here: values and gradients against torch in float64 over
masks, causal attention, grouped-query heads, layouts and options; what a query with every key
masked out gives (torch's zeros, or NaN where torch gives NaN); dropout; finite differences of
first and second order; parameters, initialisation, state_dict keys and printing as torch's;
float32 kept; clear errors.
"""

import math

import numpy as np
import pytest

import minigan as mg
from minigan import nn
from minigan.nn import functional as F

F64 = dict(rtol=1e-10, atol=1e-12)


def _on(array, device, grad=True):
    """A float64 (or bool) array as a minigan tensor on `device`."""
    return mg.tensor(array, device=device, requires_grad=grad and array.dtype != np.bool_)


def _compare(torch, ours, theirs, arrays, device, rng, what):
    """ours(*tensors) and theirs(*tensors) agree in float64: the output and the gradient of every float input."""
    ts = [torch.tensor(a, requires_grad=a.dtype != np.bool_) for a in arrays]
    ms = [_on(a, device) for a in arrays]
    y_t, y = theirs(*ts), ours(*ms)
    gy = rng.standard_normal(tuple(y_t.shape))
    (y_t * torch.tensor(gy)).sum().backward()
    (y * mg.tensor(gy, device=device)).sum().backward()
    assert y.shape == tuple(y_t.shape) and y.dtype == np.float64, what
    np.testing.assert_allclose(y.numpy(), y_t.detach().numpy(), **F64, err_msg=f"output, {what}")
    for i, (m, t) in enumerate(zip(ms, ts)):
        if t.requires_grad:
            np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), **F64, err_msg=f"gradient {i}, {what}")


# ---------------------------------------------------------------- scaled_dot_product_attention
def _mask(rng, shape, dead_row=False):
    mask = rng.random(shape) < 0.7
    mask[..., 0, :] = not dead_row and mask[..., 0, :]  # row 0: every key masked out (dead_row) or as drawn
    return mask


SDPA_CASES = {  # name -> (query, key, value shapes, keyword arguments built from an rng)
    "plain": ((2, 3, 4), (2, 5, 4), (2, 5, 6), lambda r: {}),
    "heads_broadcast_batch": ((2, 3, 4, 4), (1, 3, 5, 4), (3, 5, 2), lambda r: {}),
    "one_sequence": ((3, 4), (5, 4), (5, 6), lambda r: {}),
    "bool_mask": ((2, 3, 4), (2, 5, 4), (2, 5, 6), lambda r: {"attn_mask": _mask(r, (2, 3, 5))}),
    "bool_mask_broadcast_with_dead_row": ((2, 2, 3, 4), (2, 2, 5, 4), (2, 2, 5, 6),
                                          lambda r: {"attn_mask": _mask(r, (3, 5), dead_row=True)}),
    "float_mask": ((2, 3, 4), (2, 5, 4), (2, 5, 6), lambda r: {"attn_mask": r.standard_normal((3, 5))}),
    "float_mask_with_minus_inf_row": ((2, 3, 4), (2, 5, 4), (2, 5, 6), lambda r: {
        "attn_mask": np.where(_mask(r, (2, 3, 5), dead_row=True), r.standard_normal((2, 3, 5)), -np.inf)}),
    "causal_fewer_queries": ((2, 3, 4), (2, 5, 4), (2, 5, 6), lambda r: {"is_causal": True}),
    "causal_more_queries": ((2, 5, 4), (2, 3, 4), (2, 3, 6), lambda r: {"is_causal": True}),
    "scale": ((2, 3, 4), (2, 5, 4), (2, 5, 6), lambda r: {"scale": 0.3}),
    "grouped_query_heads": ((2, 4, 3, 4), (2, 2, 5, 4), (2, 1, 5, 6), lambda r: {"enable_gqa": True}),
}


@pytest.mark.parametrize("name", list(SDPA_CASES))
def test_sdpa_values_and_gradients_match_torch(name, device):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    q_shape, k_shape, v_shape, make = SDPA_CASES[name]
    kwargs = make(rng)
    mask = kwargs.pop("attn_mask", None)
    arrays = [rng.standard_normal(s) for s in (q_shape, k_shape, v_shape)] + ([] if mask is None else [mask])

    def call(f):  # the mask (a float one is differentiated too) after q, k, v
        return lambda q, k, v, *m: f(q, k, v, *m, **kwargs)

    _compare(torch, call(F.scaled_dot_product_attention), call(torch.nn.functional.scaled_dot_product_attention),
             arrays, device, rng, name)


def test_sdpa_gives_a_query_with_every_key_masked_out_zeros_and_zero_gradients_as_torch():
    rng = np.random.default_rng(1)
    q, k, v = (mg.tensor(rng.standard_normal(s), requires_grad=True) for s in ((3, 4), (5, 4), (5, 2)))
    mask = np.ones((3, 5), dtype=bool)
    mask[1] = False
    out = F.scaled_dot_product_attention(q, k, v, attn_mask=mg.tensor(mask))
    out.sum().backward()
    assert np.all(out.numpy()[1] == 0) and np.all(q.grad.numpy()[1] == 0)
    assert np.isfinite(out.numpy()).all() and all(np.isfinite(t.grad.numpy()).all() for t in (q, k, v))
    np.testing.assert_allclose(out.numpy()[0], F.scaled_dot_product_attention(q[:1], k, v).numpy()[0], **F64)


def test_sdpa_keeps_float32_and_agrees_with_torch():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal(s).astype(np.float32) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 6))]
    mask = rng.standard_normal((3, 5)).astype(np.float32)
    ours = F.scaled_dot_product_attention(*map(mg.tensor, arrays), attn_mask=mg.tensor(mask))
    theirs = torch.nn.functional.scaled_dot_product_attention(*map(torch.tensor, arrays), torch.tensor(mask))
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-5, atol=1e-6)
    causal = F.scaled_dot_product_attention(*map(mg.tensor, arrays), is_causal=True)
    assert causal.dtype == np.float32


def test_sdpa_adds_a_float32_mask_to_float64_scores_as_torch(device):
    """The dtype check let a float32 mask through with float64 queries (as torch does), then the sum refused it."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(10)
    arrays = [rng.standard_normal(s) for s in ((2, 3, 4), (2, 5, 4), (2, 5, 6))]
    mask = rng.standard_normal((3, 5)).astype(np.float32)
    ms, ts = [_on(a, device) for a in arrays + [mask]], [torch.tensor(a, requires_grad=True) for a in arrays + [mask]]
    y, y_t = F.scaled_dot_product_attention(*ms[:3], attn_mask=ms[3]), torch.nn.functional.scaled_dot_product_attention(
        *ts[:3], attn_mask=ts[3])
    assert y.dtype == np.float64
    np.testing.assert_allclose(y.numpy(), y_t.detach().numpy(), **F64)
    y.sum().backward()
    y_t.sum().backward()
    assert ms[3].grad.dtype == np.float32
    np.testing.assert_allclose(ms[3].grad.numpy(), ts[3].grad.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(ms[0].grad.numpy(), ts[0].grad.numpy(), **F64)


@pytest.mark.parametrize("kwargs", [{"attn_mask": "bool"}, {"is_causal": True}, {"attn_mask": "float"}],
                         ids=["bool_mask", "causal", "float_mask"])
def test_sdpa_gradcheck_and_gradgradcheck(kwargs, device):
    rng = np.random.default_rng(3)
    inputs = [_on(rng.standard_normal(s), device) for s in ((2, 3, 4), (2, 4, 4), (2, 4, 3))]
    if kwargs.get("attn_mask") == "bool":
        kwargs = {"attn_mask": _on(_mask(rng, (2, 3, 4), dead_row=True), device)}
    elif kwargs.get("attn_mask") == "float":  # differentiated as well
        inputs.append(_on(rng.standard_normal((3, 4)), device))
        kwargs = {}
    fn = lambda *xs: F.scaled_dot_product_attention(*xs, **kwargs)  # noqa: E731
    assert mg.gradcheck(fn, inputs)
    assert mg.gradgradcheck(fn, inputs)


def test_sdpa_dropout_zeroes_weights_and_scales_the_rest():
    # with the identity as values the output is the attention weights themselves
    rng = np.random.default_rng(4)
    q, k = mg.tensor(rng.standard_normal((40, 8))), mg.tensor(rng.standard_normal((50, 8)))
    eye = mg.eye(50, dtype="float64")
    weights = F.scaled_dot_product_attention(q, k, eye).numpy()
    mg.manual_seed(7)
    dropped = F.scaled_dot_product_attention(q, k, eye, dropout_p=0.25).numpy()
    kept = dropped != 0
    np.testing.assert_allclose(dropped[kept], weights[kept] / 0.75, **F64)
    assert 0.7 < kept.mean() < 0.8  # 2000 weights, each kept with probability 0.75
    mg.manual_seed(7)
    np.testing.assert_array_equal(F.scaled_dot_product_attention(q, k, eye, dropout_p=0.25).numpy(), dropped)
    assert not F.scaled_dot_product_attention(q, k, eye, dropout_p=1.0).numpy().any()


def test_sdpa_bad_input_gets_a_clear_error():
    q, k, v = mg.randn(2, 3, 4), mg.randn(2, 5, 4), mg.randn(2, 5, 6)
    cases = [
        (lambda: F.scaled_dot_product_attention(q[0, 0], k[0, 0], v[0, 0]), ValueError, "at least 2 axes"),
        (lambda: F.scaled_dot_product_attention(q, mg.randn(2, 5, 3), v), ValueError, "must share E and S"),
        (lambda: F.scaled_dot_product_attention(q, k, mg.randn(2, 4, 6)), ValueError, "must share E and S"),
        (lambda: F.scaled_dot_product_attention(mg.randn(2, 4, 3, 4), mg.randn(2, 2, 5, 4), mg.randn(2, 2, 5, 6)),
         ValueError, r"leading axes .* do not broadcast.*enable_gqa=True"),  # (torch refuses too)
        (lambda: F.scaled_dot_product_attention(q, k.double(), v), TypeError, "share one float dtype"),
        (lambda: F.scaled_dot_product_attention(q.long(), k.long(), v.long()), TypeError, "share one float dtype"),
        (lambda: F.scaled_dot_product_attention(q.numpy(), k, v), TypeError, r"\(query\): expected a minigan"),
        (lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=mg.ones(3, 5, dtype="bool"), is_causal=True),
         ValueError, "attn_mask or is_causal=True, not both"),
        (lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=mg.ones(3, 5, dtype="int64")), TypeError,
         "attn_mask must be boolean"),
        (lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=mg.ones(3, 5, dtype="float64")), TypeError,
         "attn_mask must be boolean"),
        (lambda: F.scaled_dot_product_attention(q, k, v, attn_mask=mg.ones(4, 5, dtype="bool")), ValueError,
         r"attn_mask of shape \(4, 5\) does not broadcast to the scores' shape \(..., L, S\) = \(2, 3, 5\)"),
        (lambda: F.scaled_dot_product_attention(q, k, v, dropout_p=1.5), ValueError, "dropout_p must be between"),
        (lambda: F.scaled_dot_product_attention(q, k, v, scale="0.5"), TypeError, "scale must be a number"),
        (lambda: F.scaled_dot_product_attention(mg.randn(1, 3, 3, 4), mg.randn(1, 2, 5, 4), mg.randn(1, 2, 5, 6),
                                                enable_gqa=True), ValueError, "a multiple of the key's"),
        (lambda: F.scaled_dot_product_attention(q[0], k[0], v[0], enable_gqa=True), ValueError,
         r"enable_gqa=True needs heads at axis -3.*got shapes \(3, 4\) and \(5, 4\)"),  # (torch refuses too)
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message) as info:
            call()
        assert "scaled_dot_product_attention" in str(info.value), message


# ---------------------------------------------------------------- MultiheadAttention
def _pair_of_layers(torch, seed=0, **kwargs):
    """torch's MultiheadAttention in float64 and minigan's with torch's state_dict loaded."""
    torch.manual_seed(seed)
    theirs = torch.nn.MultiheadAttention(**kwargs, dtype=torch.float64)
    ours = nn.MultiheadAttention(**kwargs, dtype="float64")
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


MHA_CASES = {  # name -> (constructor arguments, (L, S, N or None: unbatched), forward arguments)
    "self_attention": ({}, (3, 3, 2), {"self": True}),
    "cross_attention": ({}, (3, 5, 2), {}),
    "batch_first": ({"batch_first": True}, (3, 5, 2), {}),
    "unbatched": ({"batch_first": True}, (3, 5, None), {}),
    "kdim_vdim_no_bias": ({"kdim": 3, "vdim": 5, "bias": False}, (3, 4, 2), {}),
    "per_head_weights": ({}, (3, 5, 2), {"average_attn_weights": False}),
    "bool_masks": ({}, (3, 5, 2), {"attn_mask": "bool", "key_padding_mask": "bool"}),
    "float_masks_3d": ({}, (3, 5, 2), {"attn_mask": "float3d", "key_padding_mask": "float"}),
    "unbatched_3d_mask": ({}, (3, 5, None), {"attn_mask": "bool3d", "key_padding_mask": "bool"}),
    "no_weights_masks": ({}, (3, 5, 2), {"attn_mask": "bool", "key_padding_mask": "bool", "need_weights": False}),
    "causal_hint": ({"batch_first": True}, (4, 4, 2), {"attn_mask": "causal", "is_causal": True,
                                                       "need_weights": False}),
    "causal_with_weights": ({}, (4, 4, 2), {"attn_mask": "causal", "is_causal": True}),
    "causal_hint_bias_kv": ({"add_bias_kv": True}, (4, 4, 2), {"attn_mask": "causal", "is_causal": True,
                                                                "need_weights": False}),  # the learned key: causal too
    "causal_hint_key_padding": ({"batch_first": True}, (4, 4, 2), {"attn_mask": "causal", "is_causal": True,
                                                                   "key_padding_mask": "bool", "need_weights": False}),
    "bias_kv_zero_attn": ({"add_bias_kv": True, "add_zero_attn": True}, (3, 5, 2),
                          {"attn_mask": "bool", "key_padding_mask": "bool"}),
    "bias_kv_no_weights": ({"add_bias_kv": True, "kdim": 3, "vdim": 2}, (3, 5, 2), {"need_weights": False}),
}


def _mha_inputs(rng, ctor, sizes, options):
    """The arrays of query, key, value (and masks, None where not given) for one case."""
    embed, heads = 4, 2
    length, keys, n = sizes
    batch_first = ctor.get("batch_first", False)

    def seq(steps, width):
        shape = (steps, width) if n is None else (n, steps, width) if batch_first else (steps, n, width)
        return rng.standard_normal(shape)

    query = seq(length, embed)
    key = query if options.get("self") else seq(keys, ctor.get("kdim", embed))
    value = query if options.get("self") else seq(keys, ctor.get("vdim", embed))
    kinds = {"bool": lambda s: rng.random(s) < 0.3, "float": rng.standard_normal,
             "causal": lambda s: np.triu(np.ones(s, dtype=bool), 1)}
    masks = {}
    for what in ("attn_mask", "key_padding_mask"):
        kind = options.get(what)
        if kind is None:
            continue
        shape = ((length, keys) if what == "attn_mask" else (keys,) if n is None else (n, keys))
        if kind.endswith("3d"):
            kind, shape = kind[:-2], ((n or 1) * heads, length, keys)
        masks[what] = kinds[kind](shape)
    return query, key, value, masks


@pytest.mark.parametrize("name", list(MHA_CASES))
def test_multihead_attention_matches_torch_with_its_state_dict(name, device):
    torch = pytest.importorskip("torch")
    ctor, sizes, options = MHA_CASES[name]
    ours, theirs = _pair_of_layers(torch, embed_dim=4, num_heads=2, **ctor)
    ours.to(device)
    rng = np.random.default_rng(5)
    query, key, value, masks = _mha_inputs(rng, ctor, sizes, options)
    flags = {k: v for k, v in options.items() if k in ("need_weights", "average_attn_weights", "is_causal")}
    ts = [torch.tensor(a, requires_grad=True) for a in (query, key, value)]
    ms = [_on(a, device) for a in (query, key, value)]
    if options.get("self"):
        ts[1] = ts[2] = ts[0]  # torch's self-attention: the same tensor three times
        ms[1] = ms[2] = ms[0]
    out_t, w_t = theirs(*ts, **{k: torch.tensor(v) for k, v in masks.items()}, **flags)
    out, w = ours(*ms, **{k: _on(v, device, grad=False) for k, v in masks.items()}, **flags)
    assert out.shape == tuple(out_t.shape) and out.dtype == np.float64
    np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), **F64)
    assert (w is None) == (w_t is None)
    if w is not None:
        assert w.shape == tuple(w_t.shape)
        np.testing.assert_allclose(w.numpy(), w_t.detach().numpy(), **F64)
    gy = rng.standard_normal(tuple(out_t.shape))
    loss_t = (out_t * torch.tensor(gy)).sum() + (0 if w_t is None else (w_t ** 2).sum())
    loss = (out * mg.tensor(gy, device=device)).sum() + (0 if w is None else (w ** 2).sum())
    loss_t.backward()
    loss.backward()
    for i in range(1 if options.get("self") else 3):
        np.testing.assert_allclose(ms[i].grad.numpy(), ts[i].grad.numpy(), **F64, err_msg=f"input {i}")
    params_t = dict(theirs.named_parameters())
    for key_name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), params_t[key_name].grad.numpy(), **F64, err_msg=key_name)


def test_multihead_attention_with_every_key_masked_gives_what_torch_gives():
    # torch's need_weights=True path is a plain softmax (NaN for such a query), need_weights=False is
    # scaled_dot_product_attention (zeros, so the output is out_proj's bias)
    torch = pytest.importorskip("torch")
    ours, theirs = _pair_of_layers(torch, embed_dim=4, num_heads=2)
    x = np.random.default_rng(6).standard_normal((3, 2, 4))
    mask = np.zeros((3, 3), dtype=bool)
    mask[0] = True  # True: left out, in MultiheadAttention's masks
    for need_weights in (True, False):
        out_t, _ = theirs(*[torch.tensor(x)] * 3, attn_mask=torch.tensor(mask), need_weights=need_weights)
        out, _ = ours(*[mg.tensor(x)] * 3, attn_mask=mg.tensor(mask), need_weights=need_weights)
        assert np.isnan(out.numpy()[0]).all() == need_weights
        np.testing.assert_allclose(out.numpy(), out_t.detach().numpy(), **F64)


def test_multihead_attention_parameters_state_dict_and_repr_are_torchs():
    torch = pytest.importorskip("torch")
    for kwargs in ({}, {"kdim": 3, "vdim": 5, "bias": False, "add_bias_kv": True}):
        ours, theirs = nn.MultiheadAttention(8, 2, **kwargs), torch.nn.MultiheadAttention(8, 2, **kwargs)
        assert repr(ours) == repr(theirs)
        assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
               [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()]
        assert all(p.dtype == np.float32 for p in ours.parameters())
    m = nn.MultiheadAttention(8, 4, dropout=0.1, batch_first=True)
    assert (m.embed_dim, m.num_heads, m.head_dim, m.kdim, m.vdim, m.dropout, m.batch_first) == \
           (8, 4, 2, 8, 8, 0.1, True)
    assert nn.MultiheadAttention(4, 2, dtype="float64").in_proj_weight.dtype == np.float64


def test_multihead_attention_is_initialised_as_torchs():
    mg.manual_seed(0)
    m = nn.MultiheadAttention(64, 4, add_bias_kv=True)
    w = m.in_proj_weight.numpy()  # xavier_uniform_ of (3E, E): U(-b, b), b = sqrt(6 / (E + 3E))
    bound = math.sqrt(6.0 / (64 + 3 * 64))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.99 * bound
    assert abs(w.std() - bound / math.sqrt(3)) < 0.03 * bound / math.sqrt(3)  # 12288 draws
    assert not m.in_proj_bias.numpy().any() and not m.out_proj.bias.numpy().any()
    out_bound = 1 / math.sqrt(64)  # out_proj's weight: a Linear's U(-1/sqrt(in), 1/sqrt(in))
    assert np.abs(m.out_proj.weight.numpy()).max() <= out_bound < 1.02 * np.abs(m.out_proj.weight.numpy()).max()
    bias_k = np.concatenate([m.bias_k.numpy().ravel(), m.bias_v.numpy().ravel()])  # xavier_normal_: std 1/sqrt(E)
    assert 0.75 < bias_k.std() * math.sqrt(64) < 1.25
    assert np.abs(bias_k).max() > math.sqrt(3) / math.sqrt(64)  # normal tails: a uniform of that std stays inside
    separate = nn.MultiheadAttention(64, 4, kdim=32, vdim=16)
    k_bound = math.sqrt(6.0 / (32 + 64))
    assert separate.in_proj_weight is None and np.abs(separate.k_proj_weight.numpy()).max() <= k_bound


@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_gradcheck_and_gradgradcheck(need_weights, device):
    mg.manual_seed(1)
    m = nn.MultiheadAttention(4, 2, kdim=3, dtype="float64").to(device)
    rng = np.random.default_rng(7)
    query, key, value = (_on(rng.standard_normal(s), device) for s in ((3, 2, 4), (2, 2, 3), (2, 2, 4)))
    padding = _on(np.array([[False, True], [False, False]]), device)

    def fn(q, k, v, w):  # w, the layer's own k_proj_weight, is perturbed in place by the checks
        out, weights = m(q, k, v, key_padding_mask=padding, need_weights=need_weights)
        return out if weights is None else (out, weights)

    inputs = [query, key, value, m.k_proj_weight]
    assert mg.gradcheck(fn, inputs)
    assert mg.gradgradcheck(fn, inputs)


def test_multihead_attention_dropout_only_in_training():
    mg.manual_seed(2)
    m = nn.MultiheadAttention(4, 2, dropout=1.0, dtype="float64")
    x = mg.tensor(np.random.default_rng(8).standard_normal((3, 2, 4)))
    out, weights = m(x, x, x)  # training: every weight dropped, the output is out_proj's bias (zeros)
    assert not weights.numpy().any() and not out.numpy().any()
    m.eval()
    out, weights = m(x, x, x)
    np.testing.assert_allclose(weights.numpy().sum(-1), np.ones((2, 3)), **F64)
    assert out.numpy().any()


def test_multihead_attention_keeps_float32():
    m = nn.MultiheadAttention(4, 2, batch_first=True)
    x = mg.randn(2, 3, 4)
    out, weights = m(x, x, x, key_padding_mask=mg.tensor([[False, False, True]] * 2))
    assert out.dtype == weights.dtype == np.float32 and out.shape == (2, 3, 4) and weights.shape == (2, 3, 3)


def test_multihead_attention_bad_input_gets_a_clear_error():
    m = nn.MultiheadAttention(4, 2)
    x = mg.randn(3, 2, 4)
    cases = [
        (lambda: m(x[0, 0], x[0, 0], x[0, 0]), ValueError, "of 3 axes, .L, N, E."),
        (lambda: m(x, mg.randn(3, 2, 5), x), ValueError, "key with 4 features .*need kdim= and vdim="),
        (lambda: m(x, mg.randn(3, 1, 4), mg.randn(3, 1, 4)), ValueError, "the same number of sequences"),
        (lambda: m(x, mg.randn(5, 2, 4), x), ValueError, "key and value must have the same length"),
        (lambda: m(x.double(), x.double(), x.double()), TypeError, "the layer's dtype float32"),
        (lambda: m(x, x, x, key_padding_mask=mg.ones(3, 2, dtype="bool")), ValueError,
         r"key_padding_mask of shape \(2, 3\), got \(3, 2\)"),
        (lambda: m(x, x, x, attn_mask=mg.ones(3, 3, 3, dtype="bool")), ValueError,
         r"attn_mask of shape \(4, 3, 3\), got \(3, 3, 3\)"),
        (lambda: m(x, x, x, attn_mask=mg.ones(3, 3, dtype="int64")), TypeError, "attn_mask must be boolean"),
        (lambda: m(x, x, x, is_causal=True), ValueError, "pass the mask too"),
        (lambda: m(x.numpy(), x, x), TypeError, r"\(query\): expected a minigan"),
        (lambda: nn.MultiheadAttention(6, 4), ValueError, "embed_dim must be divisible by num_heads"),
        (lambda: nn.MultiheadAttention(0, 1), ValueError, "embed_dim must be a positive int"),
        (lambda: nn.MultiheadAttention(4, 2, kdim=2.0), ValueError, "kdim must be a positive int"),
        (lambda: nn.MultiheadAttention(4, 2, dropout=2), ValueError, "dropout must be between 0 and 1"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message) as info:
            call()
        assert "MultiheadAttention" in str(info.value), message


def test_sagan_self_attention_recipe_of_the_docstring():
    # attention over the H*W pixels of a feature map: the docstring's recipe against the sums written out
    rng = np.random.default_rng(9)
    x = rng.standard_normal((2, 8, 3, 3))
    convs = [nn.Conv2d(8, c, 1).to(dtype="float64") for c in (1, 1, 8)]
    n, c, h, w = x.shape
    pixels = lambda t: t.flatten(2).transpose(1, 2)  # noqa: E731
    q, k, v = (pixels(conv(mg.tensor(x))) for conv in convs)
    o = F.scaled_dot_product_attention(q, k, v, scale=1.0)
    out = (0.5 * o.transpose(1, 2).reshape(n, c, h, w) + mg.tensor(x)).numpy()
    qn, kn, vn = (t.numpy() for t in (q, k, v))  # (N, 9, C')
    scores = np.einsum("nic,njc->nij", qn, kn)
    attention = np.exp(scores - scores.max(-1, keepdims=True))
    attention /= attention.sum(-1, keepdims=True)
    expected = 0.5 * np.einsum("nij,njc->nci", attention, vn).reshape(n, c, h, w) + x
    np.testing.assert_allclose(out, expected, **F64)
