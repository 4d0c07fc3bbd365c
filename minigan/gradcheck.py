"""Check backward rules against finite differences — the way to trust an op.

`gradcheck(fn, inputs)` compares autograd's vector-Jacobian product with
central differences  (f(x + e) - f(x - e)) / 2e  in float64, contracted with a
*random* upstream gradient (an all-ones gradient can hide transposed or
mis-summed rules). `gradgradcheck` does the same for the gradient itself,
which is what double backprop (R1, WGAN-GP) relies on.
"""

import math
import numbers

import numpy as np

from . import backend
from .autograd import Tensor, enable_grad, grad, no_grad


class GradcheckError(AssertionError):
    """Autograd and finite differences disagree."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (tuple, list)) else (x,)


def _check_number(op, name, value, what, default, zero_ok):
    """eps, atol or rtol: a finite number > 0 (>= 0 for a tolerance, as torch's), not a bool (True would be 1.0)."""
    expected = f"{name} is {what}, a number {'>= 0' if zero_ok else '> 0'} (finite, such as {name}={default})"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{op}: {expected}, got {type(value).__name__} {value!r:.40}")
    if not (math.isfinite(value) and (value >= 0 if zero_ok else value > 0)):
        why = "; an infinite tolerance would pass any gradient" if value == math.inf and zero_ok else ""
        raise ValueError(f"{op}: {expected}, got {value!r}{why}")


def _check_call(fn, inputs, eps, atol, rtol, op):
    """Clear errors for what gradcheck is given: a function, float64 Tensors (some requiring grad), eps > 0,
    atol and rtol >= 0."""
    if not callable(fn):
        raise TypeError(f"{op}: fn must be a function of the inputs, got {type(fn).__name__}")
    for i, x in enumerate(inputs):
        if not isinstance(x, Tensor):
            raise TypeError(f"{op}: input {i} must be a Tensor, got {type(x).__name__}; make it with "
                            "minigan.tensor(..., dtype='float64', requires_grad=True)")
        if x.requires_grad and x.dtype != np.float64:
            raise TypeError(
                f"{op}: input {i} is {x.dtype}; finite differences need float64 "
                "(make inputs with dtype='float64' and the model with .to(dtype='float64'))"
            )
    if not any(x.requires_grad for x in inputs):
        raise ValueError(f"{op}: no input has requires_grad=True; make the inputs to check with requires_grad=True")
    _check_number(op, "eps", eps, "the finite-difference step", "1e-6", zero_ok=False)
    _check_number(op, "atol", atol, "the absolute tolerance", "1e-5", zero_ok=True)
    _check_number(op, "rtol", rtol, "the relative tolerance", "1e-3", zero_ok=True)


def _outputs(fn, inputs, op):
    """fn(*inputs) as a tuple of float64 Tensors, or a clear error about what fn returned."""
    outs = _as_tuple(fn(*inputs))
    for i, o in enumerate(outs):
        if o is None:
            raise TypeError(f"{op}: fn returned None; did it forget to `return` its result?")
        if not isinstance(o, Tensor):
            raise TypeError(f"{op}: output {i} of fn is of type {type(o).__name__}, not a Tensor; compute it with "
                            "minigan ops on the input Tensors (x.data and x.numpy() leave the graph)")
        if o.dtype != np.float64:
            raise TypeError(f"{op}: output {i} of fn is {o.dtype}; finite differences need float64 outputs "
                            "(a float32 layer or constant inside fn? convert it with .to(dtype='float64'); "
                            "an integer or bool output has no gradient: leave it out)")
    return outs


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, raise_exception=True):
    """Compare autograd gradients of `fn(*inputs)` with central differences.

    `inputs`: Tensors; those with ``requires_grad=True`` (float64) are checked.
    `fn` returns a float64 Tensor or a tuple (or list) of them. `eps`, the step, is a
    finite number > 0; `atol` and `rtol` finite numbers >= 0 (a bool is refused: True is not 1e-6).
    Returns True, or raises GradcheckError naming the input, the worst element
    and both values (returns False instead with ``raise_exception=False``).
    """
    inputs = _as_tuple(inputs)
    _check_call(fn, inputs, eps, atol, rtol, "gradcheck")
    rng = np.random.default_rng(seed)
    outs = _outputs(fn, inputs, "gradcheck")
    ups = [Tensor(backend.asarray(rng.standard_normal(o.shape), dtype=o.dtype, device=o.device)) for o in outs]
    checked = [x for x in inputs if x.requires_grad]
    # An output that does not depend on any checked input has no graph: it adds nothing.
    live = [(o, u) for o, u in zip(outs, ups) if o.requires_grad]
    analytic = (
        grad([o for o, _ in live], checked, grad_outputs=[u for _, u in live], allow_unused=True)
        if live else [None] * len(checked)
    )

    def objective():
        with no_grad():
            values = _as_tuple(fn(*inputs))
        return float(sum(float((v.data * u.data).sum()) for v, u in zip(values, ups)))

    for k, (x, ga) in enumerate(zip(checked, analytic)):
        ga = np.zeros(x.shape) if ga is None else backend.to_numpy(ga.data)
        numeric = np.zeros(x.shape)
        if not x.data.flags.c_contiguous:  # else reshape below would copy, and perturb nothing
            x.data = backend.xp_of(x.data).ascontiguousarray(x.data)
        flat = x.data.reshape(-1)  # a view: writing into it perturbs x
        for i in range(flat.size):
            old = float(flat[i])
            flat[i] = old + eps
            plus = objective()
            flat[i] = old - eps
            minus = objective()
            flat[i] = old
            numeric.reshape(-1)[i] = (plus - minus) / (2 * eps)
        err = np.abs(ga - numeric)
        bad = ~(err <= atol + rtol * np.abs(numeric))  # a NaN on either side fails (NaN > tol is False)
        if bad.any():
            j = np.unravel_index(np.argmax(err), x.shape)
            msg = (
                f"gradcheck failed for input {k} (shape {x.shape}): at index {tuple(int(i) for i in j)} "
                f"autograd gives {ga[j]:.8g}, finite differences {numeric[j]:.8g} "
                f"({int(bad.sum())} of {bad.size} elements differ beyond atol={atol}, rtol={rtol})"
            )
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3, seed=0, raise_exception=True):
    """gradcheck applied to the gradient: checks second derivatives (double backprop).

    Builds g(x) = d/dx <fn(x), u> with ``create_graph=True`` for `grad_outputs` u (a fixed random
    u when None, as torch's), then gradchecks g.
    """
    inputs = _as_tuple(inputs)
    _check_call(fn, inputs, eps, atol, rtol, "gradgradcheck")
    rng = np.random.default_rng(seed + 1)
    outs = _outputs(fn, inputs, "gradgradcheck")
    ups = [Tensor(backend.asarray(rng.standard_normal(o.shape), dtype=o.dtype, device=o.device)) for o in outs]
    if grad_outputs is not None:
        ups = list(_as_tuple(grad_outputs))
        if len(ups) != len(outs) or any(not isinstance(u, Tensor) or u.shape != o.shape for u, o in zip(ups, outs)):
            raise ValueError(f"gradgradcheck: grad_outputs must be one tensor per output of fn, shaped as it: shapes "
                             f"{[tuple(o.shape) for o in outs]}, got "
                             f"{[tuple(u.shape) if isinstance(u, Tensor) else type(u).__name__ for u in ups]}")

    def first_grads(*xs):
        with enable_grad():  # gradcheck evaluates under no_grad; this needs a graph
            # as in gradcheck, an output that depends on no checked input adds nothing
            live = [(v, u) for v, u in zip(_as_tuple(fn(*xs)), ups) if v.requires_grad]
            wrt = [x for x in xs if x.requires_grad]
            gs = [None] * len(wrt)
            if live:
                gs = grad([v for v, _ in live], wrt, grad_outputs=[u for _, u in live], create_graph=True,
                          allow_unused=True)
            # an unused input has gradient 0; keep it in the graph as x * 0
            return tuple(g if g is not None else x * 0.0 for g, x in zip(gs, wrt))

    return gradcheck(first_grads, inputs, eps=eps, atol=atol, rtol=rtol, seed=seed + 2, raise_exception=raise_exception)
