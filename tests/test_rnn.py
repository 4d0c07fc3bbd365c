"""nn.RNNCell, LSTMCell, GRUCell, RNN, LSTM and GRU (minigan/nn/rnn.py), against PyTorch.

The layers are composed of differentiable ops (linear, sigmoid, tanh, chunk, indexing, stack), so
backpropagation through time and second derivatives come from those. Checked here: outputs, final
states and the gradients of the input, the initial states and every parameter against torch in
float64, with torch's weights loaded through its state_dict (layers of one and two layers, both
directions, batch first or not, without biases, one unbatched sequence, LSTM's proj_size);
parameter names, shapes, order and printing as torch's; the seeded initialisation; dropout between
layers in training mode only; finite differences of first and second order; float32 kept; clear errors.
"""

import inspect
import math
import warnings

import numpy as np
import pytest

import minigan as mg
from minigan import nn

F64 = dict(rtol=1e-10, atol=1e-12)


def _on(array, device):
    return mg.tensor(array, device=device, requires_grad=True)


def _pair(torch, name, *args, **kwargs):
    """torch's layer in float64 and minigan's with torch's state_dict loaded."""
    torch.manual_seed(0)
    theirs = getattr(torch.nn, name)(*args, **kwargs, dtype=torch.float64)
    ours = getattr(nn, name)(*args, **kwargs, dtype="float64")
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def _flat(result):
    """The tensors of a result, nested tuples flattened: output, h_n (, c_n)."""
    if isinstance(result, (tuple, list)):
        return [t for r in result for t in _flat(r)]
    return [result]


def _nested(tensors):
    """The arguments of a forward: (input,), (input, hx) or, for an LSTM, (input, (h, c))."""
    if len(tensors) <= 2:
        return tuple(tensors)
    return tensors[0], tuple(tensors[1:])


def _compare(torch, ours, theirs, arrays, device, what):
    """ours(*inputs) and theirs(*inputs) (inputs: the input, then the initial states, nested as the layer takes
    them) agree in float64: every tensor of the result, and the gradients of the inputs and every parameter."""
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    ms = [_on(a, device) for a in arrays]
    ys_t, ys = _flat(theirs(*_nested(ts))), _flat(ours.to(device)(*_nested(ms)))
    assert len(ys) == len(ys_t), what
    rng = np.random.default_rng(11)
    loss_t, loss = 0, 0
    for y, y_t in zip(ys, ys_t):
        assert y.shape == tuple(y_t.shape) and y.dtype == np.float64, what
        np.testing.assert_allclose(y.numpy(), y_t.detach().numpy(), **F64, err_msg=f"result, {what}")
        g = rng.standard_normal(tuple(y_t.shape))
        loss_t, loss = loss_t + (y_t * torch.tensor(g)).sum(), loss + (y * mg.tensor(g, device=device)).sum()
    loss_t.backward()
    loss.backward()
    for i, (m, t) in enumerate(zip(ms, ts)):
        np.testing.assert_allclose(m.grad.numpy(), t.grad.numpy(), **F64, err_msg=f"gradient of input {i}, {what}")
    params_t = dict(theirs.named_parameters())
    assert [k for k, _ in ours.named_parameters()] == list(params_t), what
    for key, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), params_t[key].grad.numpy(), **F64, err_msg=f"{key}, {what}")


# ------------------------------------------------------------------------------ cells
CELL_CASES = {  # name -> (class, constructor keyword arguments, batch size (None: one sample), hx given)
    "rnn_tanh": ("RNNCell", {}, 3, True),
    "rnn_relu_no_bias": ("RNNCell", {"nonlinearity": "relu", "bias": False}, 3, True),
    "rnn_zeros_unbatched": ("RNNCell", {}, None, False),
    "lstm": ("LSTMCell", {}, 3, True),
    "lstm_zeros": ("LSTMCell", {"bias": False}, 3, False),
    "lstm_unbatched": ("LSTMCell", {}, None, True),
    "gru": ("GRUCell", {}, 3, True),
    "gru_unbatched_no_bias": ("GRUCell", {"bias": False}, None, True),
}


@pytest.mark.parametrize("name", list(CELL_CASES))
def test_cells_match_torch(name, device):
    torch = pytest.importorskip("torch")
    cls, kwargs, n, given = CELL_CASES[name]
    ours, theirs = _pair(torch, cls, 4, 5, **kwargs)
    rng = np.random.default_rng(1)
    lead = () if n is None else (n,)
    arrays = [rng.standard_normal(lead + (4,))]
    if given:
        arrays += [rng.standard_normal(lead + (5,)) for _ in range(2 if cls == "LSTMCell" else 1)]
    _compare(torch, ours, theirs, arrays, device, name)


# ----------------------------------------------------------------------------- layers
LAYER_CASES = {  # name -> (class, constructor keyword arguments, (L, N) (N None: one sequence), initial states given)
    "rnn": ("RNN", {}, (4, 3), True),
    "rnn_relu_two_layers_bidirectional": ("RNN", {"nonlinearity": "relu", "num_layers": 2, "bidirectional": True},
                                          (4, 3), True),
    "rnn_batch_first_no_bias": ("RNN", {"batch_first": True, "bias": False}, (4, 3), False),
    "lstm": ("LSTM", {}, (4, 3), True),
    "lstm_two_layers_bidirectional_batch_first": ("LSTM", {"num_layers": 2, "bidirectional": True,
                                                           "batch_first": True}, (3, 2), True),
    "lstm_two_layers_no_bias_zeros": ("LSTM", {"num_layers": 2, "bias": False}, (3, 2), False),
    "lstm_unbatched_bidirectional": ("LSTM", {"bidirectional": True}, (4, None), True),
    "lstm_proj_size": ("LSTM", {"num_layers": 2, "bidirectional": True, "proj_size": 2}, (3, 2), True),
    "lstm_proj_size_unbatched_zeros": ("LSTM", {"proj_size": 3, "batch_first": True}, (3, None), False),
    "gru": ("GRU", {}, (4, 3), True),
    "gru_two_layers_bidirectional_no_bias": ("GRU", {"num_layers": 2, "bidirectional": True, "bias": False},
                                             (3, 2), True),
    "gru_batch_first_unbatched": ("GRU", {"batch_first": True}, (4, None), False),
    "gru_dropout_in_eval_mode": ("GRU", {"num_layers": 2, "dropout": 0.5}, (3, 2), True),
}


@pytest.mark.parametrize("name", list(LAYER_CASES))
def test_layers_match_torch_with_its_state_dict(name, device):
    torch = pytest.importorskip("torch")
    cls, kwargs, (length, n), given = LAYER_CASES[name]
    ours, theirs = _pair(torch, cls, 4, 5, **kwargs)
    if kwargs.get("dropout"):
        ours.eval(), theirs.eval()
    rng = np.random.default_rng(2)
    count = kwargs.get("num_layers", 1) * (2 if kwargs.get("bidirectional") else 1)
    steps = (length,) if n is None else (n, length) if kwargs.get("batch_first") else (length, n)
    arrays = [rng.standard_normal(steps + (4,))]
    if given:
        state = (count,) + (() if n is None else (n,))
        arrays.append(rng.standard_normal(state + (kwargs.get("proj_size") or 5,)))
        if cls == "LSTM":
            arrays.append(rng.standard_normal(state + (5,)))
    _compare(torch, ours, theirs, arrays, device, name)


def test_parameters_state_dict_and_repr_are_torchs():
    torch = pytest.importorskip("torch")
    cases = [("RNNCell", (4, 3), {}), ("RNNCell", (4, 3, False, "relu"), {}), ("LSTMCell", (4, 3), {}),
             ("GRUCell", (4, 3), {"bias": False}), ("RNN", (4, 3), {}),
             ("RNN", (4, 3, 2, "relu", False, True, 0.5, True), {}), ("LSTM", (4, 3, 2), {"proj_size": 2,
                                                                                        "bidirectional": True}),
             ("LSTM", (4, 3, 1, False, True), {}), ("GRU", (4, 3, 3, True, False, 0.25, True), {})]
    for cls, args, kwargs in cases:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (dropout with one layer)
            ours, theirs = getattr(nn, cls)(*args, **kwargs), getattr(torch.nn, cls)(*args, **kwargs)
        assert repr(ours) == repr(theirs)
        assert [(k, tuple(v.shape)) for k, v in ours.state_dict().items()] == \
               [(k, tuple(v.shape)) for k, v in theirs.state_dict().items()], repr(ours)
        assert [tuple(p.shape) for p in ours.parameters()] == [tuple(p.shape) for p in theirs.parameters()]
        assert all(p.dtype == np.float32 for p in ours.parameters())
        for attr in ("input_size", "hidden_size", "bias", "nonlinearity", "num_layers", "batch_first", "dropout",
                     "bidirectional", "proj_size", "mode"):
            assert getattr(ours, attr, None) == getattr(theirs, attr, None), (cls, attr)
        if hasattr(theirs, "all_weights"):
            assert [[tuple(p.shape) for p in ws] for ws in ours.all_weights] == \
                   [[tuple(p.shape) for p in ws] for ws in theirs.all_weights]
    gru = nn.GRU(4, 3, bias=False)
    assert not hasattr(gru, "bias_ih_l0") and nn.GRUCell(4, 3, bias=False).bias_ih is None  # (as torch's)


def test_signatures_are_torchs_documented_ones():
    # torch's RNN, LSTM and GRU take (*args, **kwargs); their docstrings give the signatures (the first line)
    torch = pytest.importorskip("torch")
    for cls in ("RNN", "LSTM", "GRU"):
        documented = getattr(torch.nn, cls).__doc__.strip().splitlines()[0]
        assert documented.startswith("__init__(")
        ours = inspect.signature(getattr(nn, cls)).parameters.values()
        assert f"__init__({','.join(str(p) for p in ours)})" == documented.replace(" ", "")
    for cls in ("RNNCell", "LSTMCell", "GRUCell"):
        theirs = inspect.signature(getattr(torch.nn, cls)).parameters.values()
        ours = inspect.signature(getattr(nn, cls)).parameters.values()
        assert [(p.name, p.default) for p in ours] == [(p.name, p.default) for p in theirs]


def test_initialisation_is_seeded_and_within_torchs_bound():
    mg.manual_seed(3)
    first = nn.LSTM(8, 16, num_layers=2, bidirectional=True)
    mg.manual_seed(3)
    again = nn.LSTM(8, 16, num_layers=2, bidirectional=True)
    bound = 1 / math.sqrt(16)  # every parameter U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as torch's
    values = np.concatenate([p.numpy().ravel() for p in first.parameters()])
    assert np.abs(values).max() <= bound and np.abs(values).max() > 0.99 * bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.03 * bound / math.sqrt(3)  # 7000 draws
    for p, q in zip(first.parameters(), again.parameters()):
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert len({p.numpy().tobytes() for p in first.parameters()}) == len(list(first.parameters()))  # each drawn
    cell = nn.GRUCell(8, 4)
    assert all(np.abs(p.numpy()).max() <= 0.5 for p in cell.parameters())
    wide = np.concatenate([p.numpy().ravel() for p in nn.LSTMCell(4, 64).parameters()])  # bound 1/8, not 1/sqrt(4)
    assert 0.99 / 8 < np.abs(wide).max() <= 1 / 8
    before = cell.weight_hh.numpy().copy()
    cell.reset_parameters()
    assert not np.array_equal(before, cell.weight_hh.numpy()) and np.abs(cell.weight_hh.numpy()).max() <= 0.5
    assert nn.LSTM(4, 3, dtype="float64").weight_ih_l0.dtype == np.float64


def test_dropout_between_layers_only_in_training_mode():
    mg.manual_seed(4)
    x = mg.randn(5, 2, 3)
    full = nn.GRU(3, 4, num_layers=2, dropout=1.0)  # every output of layer 0 zeroed: layer 1 reads zeros
    out, h = full(x)
    layers = [nn.GRU(3, 4), nn.GRU(4, 4)]  # layer 0 and layer 1 of `full`, alone
    for k, layer in enumerate(layers):
        layer.load_state_dict({name[:-1] + "0": v for name, v in full.state_dict().items() if name.endswith(str(k))})
    np.testing.assert_allclose(out.numpy(), layers[1](mg.zeros(5, 2, 4))[0].numpy(), rtol=1e-6)
    np.testing.assert_allclose(h.numpy()[0], layers[0](x)[1].numpy()[0], rtol=1e-6)  # (its state is not dropped)
    full.eval()
    out_eval, _ = full(x)
    np.testing.assert_allclose(out_eval.numpy(), layers[1](layers[0](x)[0])[0].numpy(), rtol=1e-6)
    half = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    mg.manual_seed(5)
    a = half(x)[0].numpy()
    mg.manual_seed(5)
    np.testing.assert_array_equal(half(x)[0].numpy(), a)  # the masks come from the seeded generator
    assert not np.allclose(half(x)[0].numpy(), a)
    with pytest.warns(UserWarning, match="num_layers=1") as caught:
        nn.LSTM(3, 4, dropout=0.5)  # (torch warns too)
    assert caught[0].filename == __file__  # the warning names the line that built the layer
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.RNN(3, 4, num_layers=2, dropout=0.5)  # (a second layer reads the dropped outputs: no warning)


def test_gradcheck_of_small_lstm_and_gru_layers(device):
    mg.manual_seed(6)
    rng = np.random.default_rng(6)
    lstm = nn.LSTM(2, 2, num_layers=2, bidirectional=True, dtype="float64").to(device)
    x, h0, c0 = (_on(rng.standard_normal(s), device) for s in ((3, 1, 2), (4, 1, 2), (4, 1, 2)))

    def run_lstm(x, h0, c0, w):  # w, the layer's own weight_hh_l1_reverse, is perturbed in place by the check
        out, (h, c) = lstm(x, (h0, c0))
        return out, h, c

    assert mg.gradcheck(run_lstm, [x, h0, c0, lstm.weight_hh_l1_reverse])
    gru = nn.GRU(2, 3, batch_first=True, dtype="float64").to(device)
    x = _on(rng.standard_normal((2, 3, 2)), device)
    assert mg.gradcheck(lambda x, b: gru(x)[0], [x, gru.bias_hh_l0])


@pytest.mark.parametrize("cls", ["LSTMCell", "GRUCell"])
def test_gradgradcheck_of_a_cell(cls, device):
    mg.manual_seed(7)
    rng = np.random.default_rng(7)
    cell = getattr(nn, cls)(3, 2, dtype="float64").to(device)
    x, h = _on(rng.standard_normal((2, 3)), device), _on(rng.standard_normal((2, 2)), device)
    if cls == "LSTMCell":
        c = _on(rng.standard_normal((2, 2)), device)
        fn, inputs = (lambda x, h, c, w: cell(x, (h, c))), [x, h, c, cell.weight_hh]
    else:
        fn, inputs = (lambda x, h, w: cell(x, h)), [x, h, cell.weight_hh]
    assert mg.gradgradcheck(fn, inputs)


def test_float32_stays_float32():
    x = mg.randn(4, 2, 3, requires_grad=True)
    for layer in (nn.RNN(3, 4, 2, bidirectional=True), nn.LSTM(3, 4, proj_size=2), nn.GRU(3, 4, batch_first=True)):
        out, h = layer(x)
        h = h if isinstance(h, tuple) else (h,)
        (out.sum() + sum(s.sum() for s in h)).backward()
        assert out.dtype == np.float32 and all(s.dtype == np.float32 for s in h), layer
        assert all(p.grad.dtype == np.float32 for p in layer.parameters()), layer
    assert x.grad.dtype == np.float32
    for cell in (nn.RNNCell(3, 4), nn.GRUCell(3, 4)):
        assert cell(x[0]).dtype == np.float32
    assert all(s.dtype == np.float32 for s in nn.LSTMCell(3, 4)(x[0, 0]))


def test_a_batch_of_zero_sequences_gives_empty_results_as_torch():
    out, (h, c) = nn.LSTM(3, 4, 2)(mg.randn(5, 0, 3))
    assert out.shape == (5, 0, 4) and h.shape == c.shape == (2, 0, 4)
    assert nn.GRUCell(3, 4)(mg.randn(0, 3)).shape == (0, 4)


def test_bad_input_gets_a_clear_error():
    lstm, gru, cell = nn.LSTM(4, 3), nn.GRU(4, 3, num_layers=2), nn.LSTMCell(4, 3)
    x = mg.randn(5, 2, 4)
    cases = [
        (lambda: lstm(mg.randn(5, 2, 6)), ValueError, r"^LSTM\(4, 3\): expected input with 4 features .* got shape "
                                                      r"\(5, 2, 6\)"),
        (lambda: lstm(mg.randn(1, 5, 2, 4)), ValueError, r"LSTM\(4, 3\): expected input of 3 axes, \(L, N, 4\), or "
                                                         r"of 2 .* got shape \(1, 5, 2, 4\)"),
        (lambda: lstm(mg.randn(0, 2, 4)), ValueError, "at least one step"),
        (lambda: lstm(x.double()), TypeError, "input has dtype float64 but the weights float32"),
        (lambda: lstm(x.numpy()), TypeError, r"LSTM\(4, 3\): expected a minigan Tensor"),
        (lambda: lstm(x, mg.zeros(1, 2, 3)), TypeError, r"hx must be the pair \(h0, c0\)"),
        (lambda: lstm(x, (mg.zeros(1, 2, 3),) * 3), TypeError, r"hx must be the pair \(h0, c0\)"),
        (lambda: lstm(x, (mg.zeros(2, 2, 3), mg.zeros(1, 2, 3))), ValueError,
         r"expected h0 of shape \(1, 2, 3\) \(num_layers \* num_directions, N, hidden_size\), got \(2, 2, 3\)"),
        (lambda: lstm(x[:, 0], (mg.zeros(1, 2, 3), mg.zeros(1, 2, 3))), ValueError,
         r"expected h0 of shape \(1, 3\) .*unbatched input, got \(1, 2, 3\)"),
        (lambda: lstm(x, (mg.zeros(1, 2, 3), mg.zeros(1, 2, 3).double())), TypeError, "c0 has dtype float64"),
        (lambda: gru(x, mg.zeros(1, 2, 3)), ValueError, r"^GRU\(4, 3, num_layers=2\): expected hx of shape "
                                                        r"\(2, 2, 3\)"),
        (lambda: cell(mg.randn(2, 5)), ValueError, r"LSTMCell\(4, 3\): expected input of shape \(N, 4\)"),
        (lambda: cell(mg.randn(2, 4), (mg.zeros(3, 3), mg.zeros(3, 3))), ValueError,
         r"expected h of shape \(2, 3\) \(batch, hidden_size\), got \(3, 3\)"),
        (lambda: cell(mg.randn(2, 4), mg.zeros(2, 3)), TypeError, r"hx must be the pair \(h, c\)"),
        (lambda: nn.GRUCell(4, 3)(mg.randn(4), mg.zeros(1, 3)), ValueError, r"expected hx of shape \(3,\)"),
        (lambda: nn.RNN(4, 3, dropout=1.5), ValueError, "RNN: dropout must be between 0 and 1"),
        (lambda: nn.LSTM(4, 3, dropout="0.1"), TypeError, "LSTM: dropout must be a number"),
        (lambda: nn.RNN(4, 3, nonlinearity="sigmoid"), ValueError, "RNN: nonlinearity must be 'tanh' or 'relu'"),
        (lambda: nn.RNNCell(4, 3, nonlinearity="gelu"), ValueError, "RNNCell: nonlinearity must be"),
        (lambda: nn.GRU(4, 0), ValueError, "GRU: hidden_size must be a positive int"),
        (lambda: nn.LSTM(4, 3, num_layers=1.5), ValueError, "LSTM: num_layers must be a positive int"),
        (lambda: nn.LSTMCell(4.0, 3), ValueError, "LSTMCell: input_size must be a positive int"),
        (lambda: nn.RNN(4, 3, 1, "tanh", 1), TypeError, "RNN: bias must be True or False"),
        (lambda: nn.LSTM(4, 3, proj_size=3), ValueError, "LSTM: proj_size must be an int from 0"),
        (lambda: nn.LSTM(4, 3, proj_size=-1), ValueError, "LSTM: proj_size must be an int from 0"),
        (lambda: nn.LSTM(4, 3, 2, proj_size=2)(x, (mg.zeros(2, 2, 3), mg.zeros(2, 2, 3))), ValueError,
         r"expected h0 of shape \(2, 2, 2\) \(num_layers \* num_directions, N, proj_size\), got \(2, 2, 3\)"),
        (lambda: nn.LSTM(4, 3, proj_size=2)(x[:, 0], (mg.zeros(1, 2), mg.zeros(1, 2))), ValueError,
         r"expected c0 of shape \(1, 3\) \(num_layers \* num_directions, hidden_size\), for an unbatched"),
        (lambda: nn.GRUCell(4, 3)(mg.randn(5, 2, 4)), ValueError, r"GRUCell\(4, 3\): expected input of shape \(N, 4\), "
                                                                  r"or \(4,\) for one sample, got shape \(5, 2, 4\)"),
        (lambda: cell(mg.randn(2, 4), (mg.zeros(2, 3),) * 3), TypeError, r"hx must be the pair \(h, c\)"),
    ]
    for call, error, message in cases:
        with pytest.raises(error, match=message):
            call()


def test_tensors_on_two_devices_are_named(device):
    if device == "cpu":
        pytest.skip("needs a second device: runs as the cuda case (on a GPU, or through tests/fake_cupy)")
    lstm = nn.LSTM(3, 2).to(device)
    with pytest.raises(RuntimeError, match=r"LSTM\(3, 2\): input is on 'cpu' but the weights are on 'cuda"):
        lstm(mg.randn(4, 1, 3))
    with pytest.raises(RuntimeError, match=r"LSTMCell\(3, 2\): c is on 'cpu'"):
        nn.LSTMCell(3, 2).to(device)(mg.randn(1, 3, device=device), (mg.zeros(1, 2, device=device), mg.zeros(1, 2)))
    out, h = nn.GRU(3, 2, bidirectional=True).to(device)(mg.randn(4, 3, device=device))
    assert out.device == h.device == lstm.weight_ih_l0.device and out.shape == (4, 4) and h.shape == (2, 2)
