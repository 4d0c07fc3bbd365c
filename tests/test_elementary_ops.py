"""torch's elementary functions a learner reaches for: sin, cos, floor, ceil, trunc, round, clamp_min/max,
sort, argsort, topk, cumprod, repeat_interleave, nonzero, bernoulli, multinomial, x.where and masked_fill_:
torch's values, dtypes and gradients (float64, a random upstream gradient), gradcheck, and clear errors.
"""

import numpy as np
import pytest

import minigan as mg

torch = pytest.importorskip("torch")
from test_more_ops import both  # noqa: E402  (torch is needed)
from test_more_ops import same as _same  # noqa: E402


def same(ours, theirs, rtol=1e-12):
    """test_more_ops's comparison (dtype, shape, values), tighter by default: these are float64 results."""
    _same(ours, theirs, rtol)


def check_with_torch(ours_fn, torch_fn, array, device, seed=0):
    """Values and the gradient for a random upstream gradient agree with torch's, in float64."""
    (x, tx) = both(array, device, requires_grad=True)
    y, ty = ours_fn(x), torch_fn(tx)
    same(y, ty)
    g = np.random.default_rng(seed).normal(size=ty.shape)
    y.backward(mg.tensor(g, device=device))
    ty.backward(torch.tensor(g))
    same(x.grad, tx.grad)


SPECIALS = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, -0.7, 0.7, 3.0, np.inf, -np.inf, np.nan])


# ---------------------------------------------------------------- sin, cos and the rounding functions
@pytest.mark.parametrize("name", ["sin", "cos", "floor", "ceil", "trunc", "round"])
def test_elementwise_values_and_gradients_are_torchs(name, device):
    x = np.random.default_rng(1).uniform(-4, 4, size=(3, 4))
    check_with_torch(getattr(mg, name), getattr(torch, name), x, device)
    check_with_torch(lambda t: getattr(t, name)(), lambda t: getattr(t, name)(), x, device)  # the Tensor method
    with np.errstate(invalid="ignore"):
        same(getattr(mg, name)(mg.tensor(SPECIALS, device=device)), getattr(torch, name)(torch.tensor(SPECIALS)))


@pytest.mark.parametrize("name", ["sin", "cos", "floor", "ceil", "trunc", "round"])
def test_float32_stays_float32_and_integers_follow_torch(name, device):
    assert getattr(mg, name)(mg.tensor([0.5, 1.5], device=device)).dtype == np.float32
    ints = np.array([-3, 0, 7], dtype=np.int32)
    same(getattr(mg, name)(mg.tensor(ints, device=device)), getattr(torch, name)(torch.tensor(ints)), rtol=1e-6)


@pytest.mark.parametrize("name", ["floor", "ceil", "trunc", "round"])
def test_rounding_an_integer_tensor_gives_a_new_tensor_as_torchs(name, device):
    x = mg.tensor([-3, 0, 7], device=device)
    y = getattr(mg, name)(x)
    assert y is not x  # torch's floor of an integer tensor is a copy: changing it leaves x alone
    y.data[...] = 5
    np.testing.assert_array_equal(x.cpu().numpy(), [-3, 0, 7])


def test_fix_is_torchs_trunc_not_floor(device):
    x = np.array([-1.5, -0.5, 0.5, 1.5])
    check_with_torch(mg.fix, torch.fix, x, device)
    check_with_torch(lambda t: t.fix(), lambda t: t.fix(), x, device)


def test_sin_and_cos_pass_gradcheck_and_gradgradcheck(device):
    x = mg.tensor(np.random.default_rng(2).normal(size=(2, 3)), dtype="float64", device=device, requires_grad=True)
    for f in (mg.sin, mg.cos):
        assert mg.gradcheck(f, (x,))
        assert mg.gradgradcheck(f, (x,))


def test_round_with_decimals_is_torchs(device):
    x = np.array([1234.5678, -0.125, 0.135, 2.5, 1250.0])
    for decimals in (2, 1, 0, -2):
        check_with_torch(lambda t: mg.round(t, decimals=decimals), lambda t: torch.round(t, decimals=decimals), x,
                         device)
        same(mg.tensor(x, device=device).round(decimals=decimals), torch.tensor(x).round(decimals=decimals))


def test_rounding_errors_are_clear():
    with pytest.raises(TypeError, match="round: decimals=1 needs a float x, got int64"):
        mg.round(mg.tensor([1, 2]), decimals=1)
    with pytest.raises(TypeError, match="round: decimals must be an int, got float"):
        mg.round(mg.tensor([1.0]), decimals=0.5)
    with pytest.raises(TypeError, match="floor: booleans are not supported"):
        mg.floor(mg.tensor([True]))
    with pytest.raises(TypeError, match="sin: expected a minigan Tensor, got"):
        mg.sin([1.0])


def test_clamp_min_and_clamp_max_are_torchs(device):
    x = np.array([-2.0, -0.5, 0.5, 2.0])
    check_with_torch(lambda t: mg.clamp_min(t, -0.6), lambda t: torch.clamp_min(t, -0.6), x, device)
    check_with_torch(lambda t: t.clamp_max(0.6), lambda t: t.clamp_max(0.6), x, device)
    same(mg.tensor([1, 5, 9], device=device).clamp_max(4), torch.tensor([1, 5, 9]).clamp_max(4))
    with pytest.raises(TypeError, match="clamp_min: min must be a number, got None"):
        mg.clamp_min(mg.tensor([1.0]), None)
    with pytest.raises(TypeError, match="clamp_max: max must be a number, got Tensor; for a bound per element use"):
        mg.tensor([1.0]).clamp_max(mg.tensor([0.0]))


# ---------------------------------------------------------------- sort, argsort, topk
TIES = np.array([[3.0, 1.0, 2.0, 1.0, 3.0, np.nan], [0.0, -1.0, 5.0, 5.0, -1.0, 2.0]])


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_sort_and_argsort_are_torchs_stable_ones_with_ties_and_nan(dim, descending, device):
    x, tx = both(TIES, device)
    values, indices = mg.sort(x, dim, descending, stable=True)
    theirs = torch.sort(tx, stable=True, dim=dim, descending=descending)
    same(values, theirs.values)
    same(indices, theirs.indices)
    same(x.argsort(dim, descending), torch.argsort(tx, dim=dim, descending=descending, stable=True))
    same(x.sort(dim=dim, descending=descending).indices, theirs.indices)


def test_sort_and_topk_gradients_go_to_the_picked_positions(device):
    x = np.random.default_rng(3).normal(size=(3, 5))
    check_with_torch(lambda t: mg.sort(t, 0, True).values, lambda t: torch.sort(t, 0, True).values, x, device)
    check_with_torch(lambda t: t.topk(3).values, lambda t: t.topk(3).values, x, device)
    check_with_torch(lambda t: mg.topk(t, 2, 0, largest=False).values,
                     lambda t: torch.topk(t, 2, 0, largest=False).values, x, device)
    xt = mg.tensor(x, device=device, requires_grad=True)
    assert mg.gradcheck(lambda t: mg.sort(t, 1).values, (xt,))
    assert mg.gradcheck(lambda t: mg.topk(t, 2).values, (xt,))


def test_topk_indices_dtypes_and_a_0d_tensor_are_torchs(device):
    x, tx = both(np.array([[1.0, 3.0, 2.0, 9.0], [4.0, 0.0, 7.0, 5.0]], dtype=np.float32), device)
    ours, theirs = x.topk(2, dim=1), tx.topk(2, dim=1)
    same(ours.values, theirs.values)
    same(ours.indices, theirs.indices)
    same(x.topk(0).values, tx.topk(0).values)
    s, ts = both(np.array(2.5), device)
    same(mg.sort(s).values, torch.sort(ts).values)
    same(mg.sort(s).indices, torch.sort(ts).indices)
    same(s.argsort(), ts.argsort())
    same(s.topk(1).indices, ts.topk(1).indices)
    i, ti = both(np.array([3, -1, 2], dtype=np.int32), device)
    same(i.sort(descending=True).values, ti.sort(descending=True).values)


def test_sort_and_topk_errors_are_clear():
    x = mg.tensor([[1.0, 2.0]])
    with pytest.raises(ValueError, match=r"topk: k must be an int from 0 to 2 \(the size of dim 1\), got 3"):
        x.topk(3)
    with pytest.raises(ValueError, match="sort: axis 2 is out of range"):
        x.sort(2)
    with pytest.raises(TypeError, match="argsort: descending must be True or False, got str"):
        x.argsort(0, "yes")
    with pytest.raises(ValueError, match="sort: dim 1 is out of range for a 0-d tensor"):
        mg.tensor(2.5).sort(1)  # (torch: IndexError, dim out of range)


# ---------------------------------------------------------------- cumprod
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumprod_values_and_gradients_are_torchs_also_with_zeros(dim, device):
    x = np.random.default_rng(4).normal(size=(3, 4))
    x[1, 2] = x[2, 0] = 0.0
    x[0, 1] = x[0, 3] = 0.0  # two zeros in one row: the gradient is 0 before the second
    check_with_torch(lambda t: mg.cumprod(t, dim), lambda t: torch.cumprod(t, dim), x, device)
    assert mg.gradcheck(lambda t: t.cumprod(dim), (mg.tensor(x, device=device, requires_grad=True),))


@pytest.mark.parametrize("dim", [0, 2])
def test_cumprod_of_a_3d_tensor_and_a_conv_output_is_torchs(dim, device):
    x = np.random.default_rng(8).normal(size=(2, 3, 4))
    x[1, 1, 0] = 0.0
    check_with_torch(lambda t: mg.cumprod(t, dim), lambda t: torch.cumprod(t, dim), x, device)
    conv = mg.nn.Conv2d(1, 2, 2).to(device)  # on the CPU its output keeps the batch innermost in memory
    y = conv(mg.tensor(np.random.default_rng(9).normal(size=(3, 1, 3, 3)), dtype="float32", device=device)).detach()
    assert device != "cpu" or not y.data.flags.c_contiguous
    y.requires_grad = True
    ty = torch.tensor(y.detach().cpu().numpy(), requires_grad=True)
    ours, theirs = mg.cumprod(y, dim), torch.cumprod(ty, dim)
    same(ours, theirs, rtol=1e-5)
    g = np.random.default_rng(10).normal(size=ty.shape).astype(np.float32)
    ours.backward(mg.tensor(g, device=device))
    theirs.backward(torch.tensor(g))
    same(y.grad, ty.grad, rtol=1e-5)


def test_cumprod_of_a_0d_tensor_is_a_new_tensor_as_torchs(device):
    x = mg.tensor(2.5, device=device)
    y = mg.cumprod(x, 0)
    assert y is not x and y.shape == () and float(y.item()) == 2.5
    y.data[...] = 0.0
    assert float(x.item()) == 2.5
    same(mg.cumprod(mg.tensor(np.array(3, dtype=np.int32), device=device), -1),
         torch.cumprod(torch.tensor(3, dtype=torch.int32), -1))


def test_cumprod_second_derivative_and_dtypes(device):
    x = mg.tensor(np.random.default_rng(5).normal(size=(2, 3)), device=device, requires_grad=True)
    assert mg.gradgradcheck(lambda t: mg.cumprod(t, 1), (x,))
    for array in (np.array([1, 2, 3], dtype=np.int32), np.array([True, True, False]),
                  np.array([0.5, 2.0, 4.0], dtype=np.float32)):
        same(mg.cumprod(mg.tensor(array, device=device), 0), torch.cumprod(torch.tensor(array), 0), rtol=1e-6)
    same(mg.tensor([1, 2], device=device).cumprod(0, dtype=mg.float64),
         torch.tensor([1, 2]).cumprod(0, dtype=torch.float64))
    x32 = mg.tensor([[0.5, 2.0, 3.0]], device=device, requires_grad=True)
    y = x32.cumprod(1)
    y.sum().backward()
    assert y.dtype == np.float32 and x32.grad.dtype == np.float32
    np.testing.assert_allclose(x32.grad.cpu().numpy(), [[1 + 2 + 6, 0.5 + 1.5, 1.0]], rtol=1e-6)
    with pytest.raises(ValueError, match="cumprod: axis 1 is out of range"):
        mg.cumprod(mg.tensor([1.0]), 1)


# ---------------------------------------------------------------- repeat_interleave
def test_repeat_interleave_is_torchs(device):
    x = np.random.default_rng(6).normal(size=(3, 2))
    check_with_torch(lambda t: mg.repeat_interleave(t, 2), lambda t: torch.repeat_interleave(t, 2), x, device)
    counts = np.array([2, 0, 3])
    check_with_torch(lambda t: t.repeat_interleave(mg.tensor(counts, device=device), dim=0),
                     lambda t: t.repeat_interleave(torch.tensor(counts), dim=0), x, device)
    check_with_torch(lambda t: t.repeat_interleave(3, dim=-1), lambda t: t.repeat_interleave(3, dim=-1), x, device)
    same(mg.repeat_interleave(mg.tensor(counts, device=device)), torch.repeat_interleave(torch.tensor(counts)))


def test_repeat_interleave_errors_are_clear():
    x = mg.tensor([[1.0, 2.0]])
    with pytest.raises(ValueError, match="repeat_interleave: repeats has 3 counts and dim 1 of x has 2 entries"):
        x.repeat_interleave(mg.tensor([1, 2, 3]), dim=1)
    with pytest.raises(ValueError, match="repeat_interleave: repeats has 2 counts and dim 0 of x has 3 entries"):
        mg.ones(3).repeat_interleave(mg.tensor([1, 2]))  # too few counts too
    with pytest.raises(ValueError, match="repeat_interleave: repeats must be >= 0, got -1"):
        x.repeat_interleave(-1)
    with pytest.raises(TypeError, match="repeat_interleave: repeats must be an int or an integer tensor"):
        x.repeat_interleave(1.5)
    with pytest.raises(ValueError, match="repeat_interleave: output_size=5, but the repeats make 6 entries"):
        x.repeat_interleave(3, output_size=5)  # (torch: "Invalid output_size, expected 6 but got 5")
    with pytest.raises(ValueError, match="repeat_interleave: output_size=2, but the repeats make 3 entries"):
        mg.repeat_interleave(mg.tensor([2, 1]), output_size=2)
    same(x.repeat_interleave(3, output_size=6), torch.tensor([[1.0, 2.0]]).repeat_interleave(3, output_size=6))


def test_a_0d_tensor_repeats_along_dim_0_or_minus_1_only():
    # (found by tests/test_shape_ops_fuzz.py: any dim was taken, dim=4 too; torch refuses every dim of a 0-d tensor)
    x = mg.tensor(2.5)
    assert x.repeat_interleave(2, dim=0).tolist() == [2.5, 2.5] and x.repeat_interleave(1, dim=-1).tolist() == [2.5]
    with pytest.raises(ValueError, match="repeat_interleave: dim 1 is out of range for a 0-d tensor"):
        x.repeat_interleave(2, dim=1)
    with pytest.raises(ValueError, match="repeat_interleave: dim -2 is out of range for a 0-d tensor"):
        x.repeat_interleave(mg.tensor([2]), dim=-2)


def test_topk_of_nothing_from_a_0d_tensor_is_refused_clearly():
    # (found by tests/test_shape_ops_fuzz.py: a bare "reshape: cannot reshape" error; torch returns the one value)
    with pytest.raises(ValueError, match="topk: k=0 of a 0-d tensor would give no value"):
        mg.tensor(1.5).topk(0)
    assert mg.tensor([1.5]).topk(0).values.shape == (0,)


# ---------------------------------------------------------------- nonzero
def test_nonzero_is_torchs(device):
    array = np.array([[0.0, 1.5, 0.0], [-2.0, 0.0, np.nan]])
    x, tx = both(array, device)
    same(mg.nonzero(x), torch.nonzero(tx))
    for ours, theirs in zip(x.nonzero(as_tuple=True), tx.nonzero(as_tuple=True)):
        same(ours, theirs)
    for value in (3.0, 0.0):  # a 0-d tensor
        s, ts = both(np.array(value), device)
        same(s.nonzero(), ts.nonzero())
        assert len(s.nonzero(as_tuple=True)) == len(ts.nonzero(as_tuple=True))
        same(s.nonzero(as_tuple=True)[0], ts.nonzero(as_tuple=True)[0])
    same(mg.nonzero(mg.tensor([True, False, True], device=device)), torch.nonzero(torch.tensor([True, False, True])))


# ---------------------------------------------------------------- bernoulli and multinomial
def test_bernoulli_is_seeded_and_has_the_right_frequencies(device):
    p = mg.tensor(np.linspace(0.0, 1.0, 5), dtype="float32", device=device)
    mg.manual_seed(7)
    first = mg.bernoulli(p.expand(4000, 5))
    mg.manual_seed(7)
    again = p.expand(4000, 5).bernoulli()
    assert first.dtype == np.float32 and first.shape == (4000, 5)
    np.testing.assert_array_equal(first.cpu().numpy(), again.cpu().numpy())
    assert set(np.unique(first.cpu().numpy())) <= {0.0, 1.0}
    np.testing.assert_allclose(first.mean(0).cpu().numpy(), np.linspace(0.0, 1.0, 5), atol=0.04)
    assert first.cpu().numpy()[:, 0].max() == 0.0 and first.cpu().numpy()[:, 4].min() == 1.0


def test_multinomial_with_replacement_has_the_weights_frequencies(device):
    w = mg.tensor([[1.0, 0.0, 3.0, 4.0], [0.0, 0.0, 1.0, 0.0]], device=device)
    mg.manual_seed(3)
    draws = w.multinomial(4000, replacement=True)
    mg.manual_seed(3)
    np.testing.assert_array_equal(draws.cpu().numpy(), mg.multinomial(w, 4000, True).cpu().numpy())
    assert draws.dtype == np.int64 and draws.shape == (2, 4000)
    counts = np.bincount(draws.cpu().numpy()[0], minlength=4) / 4000
    np.testing.assert_allclose(counts, [1 / 8, 0.0, 3 / 8, 4 / 8], atol=0.03)
    assert (draws.cpu().numpy()[1] == 2).all()


def test_multinomial_without_replacement_draws_each_category_once_with_the_right_first_pick(device):
    w = mg.tensor(np.tile([1.0, 0.0, 2.0, 5.0], (3000, 1)), device=device)
    mg.manual_seed(4)
    draws = mg.multinomial(w, 3).cpu().numpy()
    mg.manual_seed(4)
    np.testing.assert_array_equal(w.multinomial(3).cpu().numpy(), draws)  # seeded by manual_seed
    assert draws.shape == (3000, 3)
    assert all(sorted(row) == [0, 2, 3] for row in draws[:50])  # the weight-0 category never, the others once
    np.testing.assert_allclose(np.bincount(draws[:, 0], minlength=4) / 3000, [1 / 8, 0.0, 2 / 8, 5 / 8], atol=0.03)
    assert mg.multinomial(mg.tensor([0.2, 0.8], device=device), 1).shape == (1,)


def test_sampling_errors_are_clear():
    with pytest.raises(ValueError, match=r"bernoulli: every probability must be in \[0, 1\]"):
        mg.bernoulli(mg.tensor([0.5, 1.5]))
    with pytest.raises(TypeError, match="bernoulli: the probabilities x must be a float tensor, got int64"):
        mg.bernoulli(mg.tensor([0, 1]))
    with pytest.raises(ValueError, match="multinomial: without replacement a row gives at most its 2 categories"):
        mg.multinomial(mg.tensor([0.5, 0.0, 0.5]), 3)
    with pytest.raises(ValueError, match="multinomial: the weights must be finite numbers >= 0"):
        mg.multinomial(mg.tensor([0.5, -0.1]), 1)
    with pytest.raises(ValueError, match="multinomial: every row of weights needs a weight > 0"):
        mg.multinomial(mg.tensor([[1.0, 1.0], [0.0, 0.0]]), 1, True)
    with pytest.raises(ValueError, match=r"multinomial: x must be 1-D or 2-D \(rows of weights\), got shape"):
        mg.multinomial(mg.ones(2, 2, 2), 1)
    with pytest.raises(ValueError, match=r"multinomial: x of shape \(2, 0\) has no categories to draw from"):
        mg.multinomial(mg.zeros(2, 0), 1, True)
    same(mg.multinomial(mg.zeros(0, 3), 2), torch.multinomial(torch.zeros(0, 3), 2))  # no rows: no draws


# ---------------------------------------------------------------- x.where and masked_fill_
def test_tensor_where_is_torchs(device):
    x = np.array([[-1.0, 2.0], [3.0, -4.0]])
    check_with_torch(lambda t: t.where(t > 0, 0.5), lambda t: t.where(t > 0, 0.5), x, device)


def test_masked_fill_in_place_is_torchs_and_refused_inside_a_graph(device):
    x, tx = both(np.arange(6.0).reshape(2, 3), device)
    mask = np.array([True, False, True])
    assert x.masked_fill_(mg.tensor(mask, device=device), -1.0) is x
    tx.masked_fill_(torch.tensor(mask), -1.0)
    same(x, tx)
    p = mg.ones(2, 3, device=device, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"x.masked_fill_\(...\) in place inside a graph is not supported"):
        p.masked_fill_(mg.tensor(mask, device=device), 0.0)
    with mg.no_grad():
        p.masked_fill_(mg.tensor(mask, device=device), 0.0)
    np.testing.assert_array_equal(p.detach().cpu().numpy(), [[0, 1, 0], [0, 1, 0]])
    with pytest.raises(ValueError, match=r"masked_fill_: the mask's shape \(2, 2, 3\) does not broadcast"):
        x.masked_fill_(mg.ones(2, 2, 3, device=device) > 0, 0.0)
    with pytest.raises(TypeError, match="masked_fill_: the mask must be a boolean tensor, got a float64 tensor"):
        x.masked_fill_(x, 0.0)
    with pytest.raises(ValueError, match=r"masked_fill_: value must be a number or a 0-d tensor, got a tensor of sh"):
        x.masked_fill_(x > 0, mg.ones(3, device=device))
    x.masked_fill_(x > 3, mg.tensor(9.0, device=device))  # a 0-d tensor value, as torch's
    tx.masked_fill_(tx > 3, torch.tensor(9.0))
    same(x, tx)


def test_masked_fill_takes_one_value_as_torchs(device):
    x, tx = both(np.arange(3.0), device)
    with pytest.raises(RuntimeError, match="only supports a 0-dimensional value tensor"):
        tx.masked_fill(tx > 0, torch.ones(2, 3))
    with pytest.raises(ValueError, match=r"masked_fill: value must be a number or a 0-d tensor, got a tensor of "
                                         r"shape \(2, 3\); for a value per element use minigan.where"):
        x.masked_fill(x > 0, mg.ones(2, 3, device=device))  # was a (2, 3) result, broadcast against the value
    same(x.masked_fill(x > 0, mg.tensor(7.0, device=device)), tx.masked_fill(tx > 0, torch.tensor(7.0)))


def test_masked_fill_under_no_grad_takes_a_value_that_requires_grad_in_xs_dtype(device):
    x = mg.tensor([1.0, 2.0, 3.0], device=device)  # float32, as a parameter
    tx = torch.tensor([1.0, 2.0, 3.0])
    value = mg.tensor(np.array(2.5), device=device, requires_grad=True)  # float64
    with mg.no_grad():
        x.masked_fill_(x > 1.5, value)
    with torch.no_grad():
        tx.masked_fill_(tx > 1.5, torch.tensor(2.5, dtype=torch.float64, requires_grad=True))
    same(x, tx)
