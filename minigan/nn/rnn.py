"""Recurrent layers, as torch has them: ``nn.RNNCell``, ``LSTMCell``, ``GRUCell`` and ``nn.RNN``, ``LSTM``, ``GRU``.

A recurrent layer reads a sequence one step at a time and carries a hidden state h from
each step to the next, with the same weights at every step. A cell is one step; with the
input's part gi = W_ih x + b_ih (G gates of H features each, stacked in weight_ih):

    RNN   h' = tanh(gi + W_hh h + b_hh)                     (or relu)
    LSTM  i, f, g, o = gi + W_hh h + b_hh, split in four    input, forget, cell and output gates
          c' = sigmoid(f) * c + sigmoid(i) * tanh(g)        forget part of the cell c, write to it
          h' = sigmoid(o) * tanh(c')                        read from it
    GRU   r, z, n: gi and gh = W_hh h + b_hh, each split in three
          r = sigmoid(gi_r + gh_r), z = sigmoid(gi_z + gh_z)  reset and update gates
          n = tanh(gi_n + r * gh_n)                         the candidate (r scales gh_n, bias b_hn included)
          h' = (1 - z) * n + z * h

The cell c of an LSTM, and the GRU's h, change by gated sums rather than through a matrix
product at each step, so gradients can travel back many steps without vanishing.

The layers run a cell over a whole sequence (L, N, input_size) and give every step's h,
(L, N, H), and the last state. With num_layers > 1 each layer reads the outputs of the one
below; with bidirectional=True a second cell reads the sequence backwards and the two
outputs are joined along the features, forward first. The layers pass lists of steps, one
(N, features) tensor each, from layer to layer, and stack them only at the end: slicing a step
out of a sequence tensor would cost, in backward, a gradient the size of the whole sequence at
every step (time and memory growing as L^2). Everything is composed of differentiable ops
(linear, sigmoid, tanh, chunk, unbind, cat, stack), so backpropagation through time and
gradients of gradients come from those.
"""

import math
import warnings

from .. import autograd as ag
from ..conv import _is_int
from . import init
from .layers import _check_sizes, _place
from .misc import check_fraction, dropout
from .module import Module, Parameter

GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}  # gates per mode: weights of G * hidden_size rows


def _reset_uniform(module):
    """torch's initialisation of a cell or a recurrent layer: every parameter ~ U(-1/sqrt(H), 1/sqrt(H))."""
    bound = 1.0 / math.sqrt(module.hidden_size)
    for p in module.parameters():
        init.uniform_(p, -bound, bound)


# ------------------------------------------------------------------ one step of each cell
def _rnn_step(gi, h, w_hh, b_hh, nonlinearity):
    """h' = tanh(gi + W_hh h + b_hh) (or relu), gi = W_ih x + b_ih computed by the caller."""
    pre = gi + ag.linear(h, w_hh, b_hh)
    return ag.tanh(pre) if nonlinearity == "tanh" else ag.relu(pre)


def _lstm_step(gi, h, c, w_hh, b_hh, w_hr=None):
    """(h', c') of an LSTM from gi = W_ih x + b_ih (gates i, f, g, o, torch's order); w_hr projects h' (proj_size)."""
    i, f, g, o = ag.chunk(gi + ag.linear(h, w_hh, b_hh), 4, dim=-1)
    c = ag.sigmoid(f) * c + ag.sigmoid(i) * ag.tanh(g)
    h = ag.sigmoid(o) * ag.tanh(c)
    return (h if w_hr is None else ag.linear(h, w_hr)), c


def _gru_step(gi, h, w_hh, b_hh):
    """h' of a GRU from gi = W_ih x + b_ih (gates r, z, n, torch's order)."""
    gi_r, gi_z, gi_n = ag.chunk(gi, 3, dim=-1)
    gh_r, gh_z, gh_n = ag.chunk(ag.linear(h, w_hh, b_hh), 3, dim=-1)
    r, z = ag.sigmoid(gi_r + gh_r), ag.sigmoid(gi_z + gh_z)
    n = ag.tanh(gi_n + r * gh_n)
    return n + z * (h - n)  # (1 - z) n + z h


def _check_state(name, what, t, shape, weight, meaning):
    """A clear error unless `t` is a tensor of `shape` with the weights' dtype and device."""
    ag._expect_tensor(t, f"{name} ({what})")
    if tuple(t.shape) != shape:
        raise ValueError(f"{name}: expected {what} of shape {shape} {meaning}, got {tuple(t.shape)}")
    _check_like_weights(name, what, t, weight)


def _check_like_weights(name, what, t, weight):
    if t.dtype != weight.dtype:
        raise TypeError(f"{name}: {what} has dtype {t.dtype} but the weights {weight.dtype}; convert it with "
                        f".to(minigan.{weight.dtype}) (or the layer with .to(dtype=...))")
    if t.device != weight.device:
        raise RuntimeError(f"{name}: {what} is on '{t.device}' but the weights are on '{weight.device}'; move it "
                           f"with .to('{weight.device}') (or the layer with .to('{t.device}'))")


def _check_nonlinearity(name, nonlinearity):
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"{name}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")


# ------------------------------------------------------------------------------ the cells
class _RNNCellBase(Module):
    """What the cells share: weight_ih (G*H, input_size), weight_hh (G*H, H), bias_ih and bias_hh (G*H,), for
    G gates of H = hidden_size features, all ~ U(-1/sqrt(H), 1/sqrt(H)) (torch's RNNCellBase)."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        _check_sizes(type(self).__name__, input_size=input_size, hidden_size=hidden_size)
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bool(bias)
        self.weight_ih = Parameter(ag.empty(num_chunks * hidden_size, input_size))
        self.weight_hh = Parameter(ag.empty(num_chunks * hidden_size, hidden_size))
        self.register_parameter("bias_ih", Parameter(ag.empty(num_chunks * hidden_size)) if bias else None)
        self.register_parameter("bias_hh", Parameter(ag.empty(num_chunks * hidden_size)) if bias else None)
        self.reset_parameters()
        _place(self, device, dtype)

    def reset_parameters(self):
        """Draw every weight and bias again from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in place."""
        _reset_uniform(self)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _name(self):
        return f"{type(self).__name__}({self.extra_repr()})"

    def _input(self, input):
        """The input checked, as a batch (N, input_size), and whether it was one."""
        ag._expect_tensor(input, self._name())
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(f"{self._name()}: expected input of shape (N, {self.input_size}), or "
                             f"({self.input_size},) for one sample, got shape {tuple(input.shape)}")
        _check_like_weights(self._name(), "input", input, self.weight_ih)
        return (input if input.ndim == 2 else ag.unsqueeze(input, 0)), input.ndim == 2

    def _state(self, hx, what, x, batched):
        """A state (h, or an LSTM's c) checked, as (N, hidden_size); zeros when not given."""
        if hx is None:
            return ag.zeros(x.shape[0], self.hidden_size, dtype=x.dtype, device=x.device)
        shape, meaning = ((x.shape[0], self.hidden_size), "(batch, hidden_size)") if batched else \
            ((self.hidden_size,), "(hidden_size,), for an unbatched input")
        _check_state(self._name(), what, hx, shape, self.weight_ih, meaning)
        return hx if batched else ag.unsqueeze(hx, 0)


class RNNCell(_RNNCellBase):
    """One step of an Elman RNN, torch's ``nn.RNNCell``: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu).

    forward(input, hx=None): input (N, input_size), or (input_size,) for one sample; hx (N, hidden_size)
    (or (hidden_size,)), zeros when not given. Returns h', as hx.
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None, dtype=None):
        _check_nonlinearity("RNNCell", nonlinearity)
        super().__init__(input_size, hidden_size, bias, num_chunks=1, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, batched = self._input(input)
        h = self._state(hx, "hx", x, batched)
        h = _rnn_step(ag.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh, self.nonlinearity)
        return h if batched else ag.squeeze(h, 0)


class LSTMCell(_RNNCellBase):
    """One step of an LSTM, torch's ``nn.LSTMCell`` (the formulas at the top of this module).

    forward(input, hx=None): input (N, input_size), or (input_size,) for one sample; hx the pair (h, c),
    each (N, hidden_size) (or (hidden_size,)), zeros when not given. Returns the pair (h', c').
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=4, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        x, batched = self._input(input)
        if hx is None:
            hx = (None, None)
        elif not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError(f"{self._name()}: hx must be the pair (h, c), or None for zeros, got {ag._what(hx)}")
        h, c = self._state(hx[0], "h", x, batched), self._state(hx[1], "c", x, batched)
        h, c = _lstm_step(ag.linear(x, self.weight_ih, self.bias_ih), h, c, self.weight_hh, self.bias_hh)
        return (h, c) if batched else (ag.squeeze(h, 0), ag.squeeze(c, 0))


class GRUCell(_RNNCellBase):
    """One step of a GRU, torch's ``nn.GRUCell`` (the formulas at the top of this module).

    forward(input, hx=None): input (N, input_size), or (input_size,) for one sample; hx (N, hidden_size)
    (or (hidden_size,)), zeros when not given. Returns h', as hx.
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, num_chunks=3, device=device, dtype=dtype)

    def forward(self, input, hx=None):
        x, batched = self._input(input)
        h = self._state(hx, "hx", x, batched)
        h = _gru_step(ag.linear(x, self.weight_ih, self.bias_ih), h, self.weight_hh, self.bias_hh)
        return h if batched else ag.squeeze(h, 0)


# ----------------------------------------------------------------------------- the layers
class _RNNBase(Module):
    """What RNN, LSTM and GRU share (torch's RNNBase): the weights of each layer and direction, named and
    registered in torch's order (weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k}, bias_hh_l{k}, an LSTM's
    weight_hr_l{k}; ``_reverse`` for the backward direction), and the run over the sequence."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        name = "RNN" if mode.startswith("RNN") else mode
        _check_sizes(name, input_size=input_size, hidden_size=hidden_size, num_layers=num_layers)
        for what, value in (("bias", bias), ("batch_first", batch_first)):  # (torch refuses others too)
            if not isinstance(value, bool):
                raise TypeError(f"{name}: {what} must be True or False, got {type(value).__name__} {value!r}")
        if not _is_int(proj_size) or not 0 <= proj_size < hidden_size:
            raise ValueError(f"{name}: proj_size must be an int from 0 (no projection) to hidden_size - 1 = "
                             f"{hidden_size - 1}, got {proj_size!r}")
        self.mode, self.input_size, self.hidden_size, self.num_layers = mode, input_size, hidden_size, num_layers
        self.bias, self.batch_first, self.bidirectional = bias, batch_first, bool(bidirectional)
        self.proj_size = proj_size
        self.dropout = check_fraction(dropout, name, "dropout", " (the probability of zeroing an output of a "
                                                                 "layer below the last)")
        if self.dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout is applied to the outputs of every layer but the last, so dropout="
                          f"{dropout} does nothing with num_layers=1", stacklevel=3)
        directions, out_size = 2 if self.bidirectional else 1, proj_size or hidden_size
        gate_size = GATES[mode] * hidden_size
        self._all_weights = []  # the parameters' names, one list per layer and direction (torch's attribute)
        for layer in range(num_layers):
            for direction in range(directions):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = {"weight_ih": (gate_size, input_size if layer == 0 else out_size * directions),
                          "weight_hh": (gate_size, out_size)}
                if bias:
                    shapes.update(bias_ih=(gate_size,), bias_hh=(gate_size,))
                if proj_size:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                for kind, shape in shapes.items():
                    self.register_parameter(kind + suffix, Parameter(ag.empty(*shape)))
                self._all_weights.append([kind + suffix for kind in shapes])
        self.reset_parameters()
        _place(self, device, dtype)

    def reset_parameters(self):
        """Draw every weight and bias again from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), in place."""
        _reset_uniform(self)

    def flatten_parameters(self):
        """Nothing to do: torch packs the weights into one block for cuDNN here; minigan has no cuDNN."""

    @property
    def all_weights(self):
        """The parameters, one list per layer and direction, as torch's ``all_weights``."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def extra_repr(self):  # (torch's: an RNN's nonlinearity is not shown)
        s = f"{self.input_size}, {self.hidden_size}"
        for what, value, default in (("proj_size", self.proj_size, 0), ("num_layers", self.num_layers, 1),
                                     ("bias", self.bias, True), ("batch_first", self.batch_first, False),
                                     ("dropout", self.dropout, 0), ("bidirectional", self.bidirectional, False)):
            if value != default:
                s += f", {what}={value}"
        return s

    def _name(self):
        return f"{type(self).__name__}({self.extra_repr()})"

    def forward(self, input, hx=None):
        """(output, h_n) ((output, (h_n, c_n)) for an LSTM); see the class's docstring."""
        x, batched = self._input(input)
        states = self._initial_states(hx, x, batched)
        xs = x.unbind(0)  # the steps, (N, features) each: a layer reads them one by one
        directions, finals = 2 if self.bidirectional else 1, []
        for layer in range(self.num_layers):
            outputs = []
            for direction in range(directions):
                w_ih, w_hh, b_ih, b_hh, w_hr = self._weights(layer, direction)
                state, hs = states[layer * directions + direction], [None] * len(xs)
                for t in (reversed(range(len(xs))) if direction else range(len(xs))):  # (backward: last step first)
                    state = self._step(ag.linear(xs[t], w_ih, b_ih), state, w_hh, b_hh, w_hr)
                    hs[t] = state[0]  # the output at step t: h
                outputs.append(hs)
                finals.append(state)
            xs = outputs[0] if directions == 1 else [ag.cat(h, dim=-1) for h in zip(*outputs)]  # forward features first
            if self.training and self.dropout > 0 and layer < self.num_layers - 1:
                xs = [dropout(h, self.dropout) for h in xs]
        x = ag.stack(xs)  # (L, N, directions * H)
        last = [ag.stack([state[i] for state in finals]) for i in range(len(finals[0]))]  # (layers*directions, N, H)
        if not batched:
            x, last = ag.squeeze(x, 1), [ag.squeeze(s, 1) for s in last]
        elif self.batch_first:  # (the states stay (layers*directions, N, H), as in torch)
            x = ag.transpose(x, 0, 1)
        return x, (tuple(last) if self.mode == "LSTM" else last[0])

    def _weights(self, layer, direction):
        """(w_ih, w_hh, b_ih, b_hh, w_hr) of one layer and direction (backward: 1); None where there is none."""
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        return [getattr(self, kind + suffix, None) for kind in ("weight_ih", "weight_hh", "bias_ih", "bias_hh",
                                                                "weight_hr")]

    def _input(self, input):
        """The input checked, as (L, N, input_size), and whether it was batched."""
        name, size = self._name(), self.input_size
        ag._expect_tensor(input, name)
        if input.ndim not in (2, 3):
            layout = f"(N, L, {size}) with batch_first=True" if self.batch_first else f"(L, N, {size})"
            raise ValueError(f"{name}: expected input of 3 axes, {layout}, or of 2 for one sequence, (L, {size}); "
                             f"got shape {tuple(input.shape)}")
        if input.shape[-1] != size:
            raise ValueError(f"{name}: expected input with {size} features in its last axis (input_size), got shape "
                             f"{tuple(input.shape)}; check input_size or the previous layer's output size")
        _check_like_weights(name, "input", input, self.weight_ih_l0)
        batched = input.ndim == 3
        x = ag.transpose(input, 0, 1) if batched and self.batch_first else input if batched else ag.unsqueeze(input, 1)
        if x.shape[0] == 0:
            raise ValueError(f"{name}: expected a sequence of at least one step, got shape {tuple(input.shape)} "
                             "(length 0)")
        return x, batched

    def _initial_states(self, hx, x, batched):
        """For each layer and direction, its first state: (h,), or an LSTM's (h, c); from hx, else zeros."""
        count, n = self.num_layers * (2 if self.bidirectional else 1), x.shape[1]
        sizes = {"h0": self.proj_size or self.hidden_size, "c0": self.hidden_size}
        if self.mode != "LSTM":
            sizes, given = {"hx": self.hidden_size}, [hx]
        elif hx is None:
            given = [None, None]
        elif isinstance(hx, (tuple, list)) and len(hx) == 2:
            given = list(hx)
        else:
            raise TypeError(f"{self._name()}: hx must be the pair (h0, c0), or None for zeros, got {ag._what(hx)}")
        states = []
        for (what, size), h in zip(sizes.items(), given):
            if h is None:
                h = ag.zeros(count, n, size, dtype=x.dtype, device=x.device)
            else:
                features = "proj_size" if what == "h0" and self.proj_size else "hidden_size"
                shape, meaning = ((count, n, size), f"(num_layers * num_directions, N, {features})") if batched else \
                    ((count, size), f"(num_layers * num_directions, {features}), for an unbatched input")
                _check_state(self._name(), what, h, shape, self.weight_ih_l0, meaning)
                h = h if batched else ag.unsqueeze(h, 1)
            states.append(h)
        return [tuple(s[k] for s in states) for k in range(count)]


class RNN(_RNNBase):
    """A multi-layer Elman RNN, torch's ``nn.RNN``: at each step, each layer h_t = tanh(W_ih x_t + b_ih + W_hh
    h_(t-1) + b_hh) (or relu), x_t the input (layer 0) or the outputs of the layer below.

    forward(input, hx=None): input (L, N, input_size) ((N, L, input_size) with batch_first=True), or
    (L, input_size) for one sequence; hx (num_layers * num_directions, N, hidden_size) (without N for one
    sequence), zeros when not given. Returns (output, h_n): output (L, N, num_directions * hidden_size)
    (batch first with batch_first=True) holds the last layer's h at every step, both directions joined;
    h_n the last step's h of every layer and direction. `dropout` zeroes outputs of every layer but the
    last, in training mode only. Weights ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as torch's.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        _check_nonlinearity("RNN", nonlinearity)
        super().__init__("RNN_" + nonlinearity.upper(), input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)
        self.nonlinearity = nonlinearity

    def _step(self, gi, state, w_hh, b_hh, w_hr):
        return (_rnn_step(gi, state[0], w_hh, b_hh, self.nonlinearity),)


class LSTM(_RNNBase):
    """A multi-layer LSTM, torch's ``nn.LSTM`` (each layer's step: the formulas at the top of this module).

    forward(input, hx=None) as ``RNN``'s, with hx the pair (h0, c0) and the result (output, (h_n, c_n)).
    proj_size > 0 projects each h' to proj_size features, h' = W_hr (sigmoid(o) * tanh(c')) (weight_hr_l{k},
    (proj_size, hidden_size)): h0, h_n and the output then have proj_size features where hidden_size was.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         proj_size, device, dtype)

    def _step(self, gi, state, w_hh, b_hh, w_hr):
        return _lstm_step(gi, state[0], state[1], w_hh, b_hh, w_hr)


class GRU(_RNNBase):
    """A multi-layer GRU, torch's ``nn.GRU`` (each layer's step: the formulas at the top of this module).

    forward(input, hx=None) as ``RNN``'s: (output, h_n).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
                 bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional,
                         device=device, dtype=dtype)

    def _step(self, gi, state, w_hh, b_hh, w_hr):
        return (_gru_step(gi, state[0], w_hh, b_hh),)
