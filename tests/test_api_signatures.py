"""minigan's public API has PyTorch's signatures: names, order, kinds and defaults of the parameters.

Every public callable of minigan, minigan.nn (the layers' constructors and methods), nn.functional,
nn.init, nn.utils, optim, optim.lr_scheduler, minigan.data (against torch.utils.data), and the
methods of Tensor and nn.Module, is compared with the torch callable of the same name: with
``inspect.signature`` where torch's is inspectable, else with the signatures its docstring documents
(each overload a docstring lists). A difference fails the test unless ALLOWED gives it a reason.

What counts as a difference, and what does not (rules applied everywhere, see ``differences``):
- the parameters torch takes by position must be there at the same positions, with torch's names
  and defaults, so that positional calls mean the same. A required tensor operand may be named
  otherwise (torch's `input`, `other`, ...: minigan's `x`, `a`, `b`), as nobody passes those by name;
- torch's keyword arguments must exist here with torch's defaults, except the machinery minigan
  has none of (TORCH_ONLY: `out=`, `layout=`, `generator=`, ...), which Python refuses by name;
- minigan may take more than torch (a keyword-only argument torch has, also by position after all of
  torch's positional ones; an extra argument with a default; ``**kwargs``), never less.
"""

import ast
import functools
import inspect
import re
import warnings

import numpy as np
import pytest

import minigan
import minigan.data
import minigan.nn as nn
import minigan.nn.functional as F
import minigan.nn.init as init
import minigan.nn.utils as utils
import minigan.optim as optim
import minigan.optim.lr_scheduler as lr_scheduler
from torch_peer import needs_mirrored_torch

POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
REQUIRED = inspect.Parameter.empty

# torch's names for tensor operands, passed by position in practice: minigan's may differ (x, a, b, ...)
OPERAND_NAMES = {"input", "other", "tensor", "tensors", "condition", "mat2", "batch2", "tensor2", "obj", "ndarray",
                 "self", "data", "value", "divisor", "end", "src", "new_state", "f"}

# torch's keyword arguments for machinery minigan has none of: a call with one is Python's TypeError naming it
TORCH_ONLY = {
    "out": "no output buffers: results are new tensors",
    "layout": "dense (strided) tensors only",
    "pin_memory": "no pinned host memory (NumPy arrays)",
    "memory_format": "no channels-last layouts: NumPy arrays in C order",
    "generator": "no torch.Generator: minigan.manual_seed and the device's generator decide",
    "_stacklevel": "torch's internal warning depth",
    "prepend": "hooks run in the order they were registered",
    "with_kwargs": "hooks see positional inputs only",
    "always_call": "hooks do not run after an exception",
    "remove_duplicate": "a module shared twice is listed once, as torch's default",
    "assign": "load_state_dict copies into the existing tensors (torch's default)",
    "destination": "state_dict builds a new dict (torch's argument is deprecated)",
    "force": "numpy() of a CPU tensor without grad is the array itself",
    "out_dtype": "matrix products in the operands' dtype",
}

# torch's overloads its docstrings do not list (its older forms, still accepted there)
UNDOCUMENTED = {
    "minigan.std": ["std(input, dim, unbiased, keepdim=False)", "std(input, unbiased)"],
    "minigan.var": ["var(input, dim, unbiased, keepdim=False)", "var(input, unbiased)"],
    "Tensor.std": ["std(dim, unbiased, keepdim=False)", "std(unbiased)"],
    "Tensor.var": ["var(dim, unbiased, keepdim=False)", "var(unbiased)"],
    **{f"minigan.{name}": [f"{name}(size, *, dtype=None, device=None, requires_grad=False)"]  # torch.zeros(size=...)
       for name in ("zeros", "ones", "empty", "randn", "rand")},
}

# ------------------------------------------------ the differences a learner may meet, each with its reason
# A divergence a learner can hit is fixed, not listed; the entries below are deliberate or harmless.
NUMPY_AXIS = "NumPy's axis/keepdims at torch's dim/keepdim positions (same meaning by position), dim/keepdim by name"
SHAPE_VARARGS = "a shape (or dims) as separate ints or one tuple, by position, as torch's usual call"
BY_TYPE = "one signature dispatching on the argument's type covers torch's overloads (x.to(float64), max(a, b))"
SAME_DEFAULT = "a different default that computes the same"
NOT_THERE = "a feature docs/pytorch.md lists as not there (yet); using it is a TypeError naming the argument"
GRADCHECK = "minigan's own gradcheck (float64 only, raises GradcheckError); torch's checks of features minigan lacks"
NO_TORCH_GENERATOR = "no torch.Generator: generator= takes a NumPy Generator, None is minigan's seeded one"

ALLOWED = {
    **{f"minigan.{name}: *shape here, none in torch": SHAPE_VARARGS for name in ("zeros", "ones", "empty", "randn",
                                                                                 "rand", "reshape")},
    "minigan.randint: no requires_grad= here": "integers cannot require grad (torch refuses requires_grad=True too)",
    "minigan.randperm: no requires_grad= here": "integers cannot require grad (torch refuses requires_grad=True too)",
    # ---- deliberate or harmless
    **{f"Tensor.{name}: {arg} (position {i}) is not positional here": "torch's docs list it by position, but its "
       "Tensor method takes it only by keyword (x.round(2), x.cumsum(0, torch.float64): TypeErrors; test_more_ops)"
       for name, arg, i in (("cumsum", "dtype", 1), ("prod", "dtype", 2), ("round", "decimals", 0), ("round_", "decimals", 0),
                            ("cumprod", "dtype", 1))},
    **{f"{q}: position {i} is dim here, unbiased in torch": BY_TYPE + "; x.std(False): a bool is unbiased"
       for q, i in (("minigan.std", 1), ("minigan.var", 1), ("Tensor.std", 0), ("Tensor.var", 0))},
    "minigan.randint: low is required here, optional (0) in torch": BY_TYPE + "; randint(high, size) as torch's",
    "minigan.repeat_interleave: position 0 is x here, repeats in torch": BY_TYPE + "; repeat_interleave(counts) "
                                                                         "alone is torch's second overload",
    "minigan.randperm: dtype=None here, 'torch.int64' in torch": SAME_DEFAULT + " (None: int64)",
    **{f"minigan.{name}: {arg}=None here, '{text}' in torch": SAME_DEFAULT + f" (None: {meaning})"
       for name in ("tril_indices", "triu_indices")
       for arg, text, meaning in (("dtype", "torch.long", "int64"), ("device", "cpu", "the CPU"))},
    **{f"minigan.tensor_split: position 1 is indices_or_sections here, {theirs} in torch": BY_TYPE
       for theirs in ("sections", "indices")},
    **{f"{where}.rrelu_: {name}={value!r} here, '{text}' in torch": SAME_DEFAULT + " (torch's docstring writes "
       f"{text}, which this parser reads as text)" for where in ("minigan", "F")
       for name, value, text in (("lower", 1.0 / 8, "1./8"), ("upper", 1.0 / 3, "1./3"))},
    **{f"{q}: position {i} is {ours} here, {theirs} in torch": NUMPY_AXIS
       for q, i in (("minigan.sum", 1), ("minigan.mean", 1), ("minigan.argmax", 1), ("minigan.argmin", 1),
                    ("Tensor.sum", 0), ("Tensor.mean", 0), ("Tensor.argmax", 0), ("Tensor.argmin", 0))
       for ours, theirs, i in (("axis", "dim", i), ("keepdims", "keepdim", i + 1))},
    "Tensor.sum: position 2 is dim here, dtype in torch": NUMPY_AXIS + "; x.sum(0, False, float64) is refused",
    "minigan.cat: position 1 is axis here, dim in torch": NUMPY_AXIS,
    "minigan.stack: position 1 is axis here, dim in torch": NUMPY_AXIS,
    "minigan.std: keepdim=None here, False in torch": "None: not given (then NumPy's keepdims decides), else False",
    "minigan.var: keepdim=None here, False in torch": "None: not given (then NumPy's keepdims decides), else False",
    "Tensor.std: keepdim=None here, False in torch": "None: not given (then NumPy's keepdims decides), else False",
    "Tensor.var: keepdim=None here, False in torch": "None: not given (then NumPy's keepdims decides), else False",
    "minigan.arange: *args here, none in torch": "arange(end), arange(start, end[, step]), as torch's by position",
    **{f"minigan.arange: no {name}= here (*args takes it by position only)": "arange(end=5) by name: rare"
       for name in ("start", "end", "step")},
    "minigan.arange: no requires_grad= here": "a range is data: arange(...).requires_grad_() if ever needed",
    "minigan.permute: *dims here, none in torch": SHAPE_VARARGS,
    "minigan.permute: no dims= here (*dims takes it by position only)": SHAPE_VARARGS,
    "minigan.reshape: no shape= here (*shape takes it by position only)": SHAPE_VARARGS,
    "minigan.transpose: *dims here, none in torch": SHAPE_VARARGS,
    "minigan.transpose: no dim0= here (*dims takes it by position only)": SHAPE_VARARGS,
    "minigan.transpose: no dim1= here (*dims takes it by position only)": SHAPE_VARARGS,
    "Tensor.transpose: *dims here, none in torch": SHAPE_VARARGS,
    "Tensor.transpose: no dim0= here (*dims takes it by position only)": SHAPE_VARARGS,
    "Tensor.transpose: no dim1= here (*dims takes it by position only)": SHAPE_VARARGS,
    "Tensor.new_zeros: *size here, none in torch": SHAPE_VARARGS,
    "Tensor.new_zeros: no size= here (*size takes it by position only)": SHAPE_VARARGS,
    "Tensor.new_ones: *size here, none in torch": SHAPE_VARARGS,
    "Tensor.tile: *dims here, none in torch": SHAPE_VARARGS + " (torch's x.tile(2, 1) and x.tile((2, 1)) both work)",
    "Tensor.tile: no dims= here (*dims takes it by position only)": SHAPE_VARARGS,
    "Tensor.new_ones: no size= here (*size takes it by position only)": SHAPE_VARARGS,
    "Tensor.view: *shape here, none in torch": "view(dtype), a reinterpretation of the bits, is not there",
    "Tensor.view: no dtype= here (*shape takes it by position only)": "view(dtype) is not there",
    "minigan.max: position 1 is dim here, other in torch": BY_TYPE,
    "minigan.min: position 1 is dim here, other in torch": BY_TYPE,
    **{f"Tensor.to: position {i} is {ours} here, {theirs} in torch": BY_TYPE
       for i, ours, theirs in ((0, "device", "dtype"), (1, "dtype", "non_blocking"), (2, "non_blocking", "copy"),
                               (3, "copy", "memory_format"), (0, "device", "other"))},
    **{f"nn.Module.to: position {i} is {ours} here, {theirs} in torch": BY_TYPE
       for i, ours, theirs in ((0, "device", "dtype"), (1, "dtype", "non_blocking"), (0, "device", "tensor"),
                               (0, "device", "memory_format"))},
    "minigan.norm: p=2 here, 'fro' in torch": SAME_DEFAULT + " (the 2-norm of all the elements; 'fro' is accepted)",
    "Tensor.norm: p=2 here, 'fro' in torch": SAME_DEFAULT + " (the 2-norm of all the elements; 'fro' is accepted)",
    "minigan.norm: no dtype here": "the norm in the input's dtype",
    "Tensor.norm: no dtype here": "the norm in the input's dtype",
    "minigan.meshgrid: indexing='ij' here, None in torch": SAME_DEFAULT + " (torch's None is 'ij', with a warning)",
    "data.DataLoader: shuffle=False here, None in torch": SAME_DEFAULT + " (torch's None: no shuffling)",
    "minigan.load: weights_only=True here, None in torch": SAME_DEFAULT + " (torch's None means True since 2.6)",
    "minigan.load: position 2 is weights_only here, pickle_module in torch": "nothing is unpickled (docs/pytorch.md)",
    "minigan.load: no mmap= here": "arrays are read whole (docs/pytorch.md)",
    **{f"minigan.save: no {name} here": "minigan's own format, no pickle (docs/pytorch.md)"
       for name in ("pickle_module", "pickle_protocol", "_use_new_zipfile_serialization", "_disable_byteorder_record")},
    "minigan.add: no alpha= here": "documented: the functions add and sub without the methods' alpha",
    "minigan.sub: no alpha= here": "documented: the functions add and sub without the methods' alpha",
    "minigan.normal: mean is required here, optional (0.0) in torch": "normal(std=t) alone is rare: normal(0.0, t)",
    "minigan.enable_grad: position 0 is func here, orig_func in torch": "the decorated function, passed by position",
    "Tensor.uniform_: position 0 is a here, from in torch": "torch's `from` is a Python keyword: passed by position",
    "Tensor.scatter_: position 2 is src here, value in torch": BY_TYPE + " (a number as src is torch's value)",
    "Tensor.uniform_: position 1 is b here, to in torch": "uniform_(a, b) as nn.init.uniform_'s names",
    "Tensor.copy_: no non_blocking here": "rare in GAN code; x.to(device, non_blocking=True) is accepted",
    "Tensor.type: no non_blocking here": "rare in GAN code; x.to(device, non_blocking=True) is accepted",
    "nn.Module.state_dict: *args in torch": "torch's positional destination/prefix are deprecated: by name here",
    "nn.Parameter: data is required here, optional (None) in torch": "an empty parameter has nothing to train",
    "data.DataLoader: position 3 is drop_last here, sampler in torch":
        "docs/pytorch.md: torch's positional sampler, batch_sampler and num_workers are refused with what to do",
    "data.DataLoader: position 4 is seed here, batch_sampler in torch": "docs/pytorch.md (as drop_last's)",
    "data.DataLoader: position 5 is device here, num_workers in torch": "docs/pytorch.md (as drop_last's)",
    "data.random_split: generator=None here, <Generator> in torch": NO_TORCH_GENERATOR,
    "minigan.grad: position 7 is materialize_grads here, is_grads_batched in torch": "no batched (vmap) gradients",
    "minigan.grad: materialize_grads (position 8) is not positional here": "no batched (vmap) gradients",
    "minigan.gradcheck: position 0 is fn here, func in torch": GRADCHECK,
    "minigan.gradgradcheck: position 0 is fn here, func in torch": GRADCHECK,
    **{f"minigan.gradcheck: no {name}= here": GRADCHECK
       for name in ("nondet_tol", "check_undefined_grad", "check_grad_dtypes", "check_batched_grad",
                    "check_batched_forward_grad", "check_forward_ad", "check_backward_ad", "fast_mode", "masked")},
    **{f"minigan.gradgradcheck: no {name}= here": GRADCHECK
       for name in ("gen_non_contig_grad_outputs", "nondet_tol", "check_undefined_grad", "check_grad_dtypes",
                    "check_batched_grad", "check_fwd_over_rev", "check_rev_over_rev", "fast_mode", "masked")},
    "minigan.median: dim=None here, -1 in torch": "median(x) without dim is torch's other overload (the median of "
                                                  "all of x, one value): None stands for it",
    **{f"Tensor.{name}: other is required here, not in torch": f"torch's docstring says {name}() without its "
       f"`other` (a slip: its method needs one; torch.{name}'s is compared)" for name in ("logical_and", "logical_or",
                                                                                          "logical_xor")},
}

# torch callables with no signature to compare: C functions without a documented one, or (*args, **kwargs)
UNCOMPARED = {
    "minigan.binary_cross_entropy_with_logits": "torch's is an undocumented C function (F's is compared)",
    "minigan.relu": "torch's is an undocumented C function (F's is compared)",
    "minigan.log_softmax": "torch's is an undocumented C function (F's is compared)",
    "minigan.detach": "torch's is an undocumented C function",
    "minigan.index_fill": "torch's is an undocumented C function (Tensor.index_fill's is compared)",
    "minigan.device": "torch.device is a C class",
    "Tensor.detach": "torch's docstring documents no signature (it takes none)",
    "Tensor.detach_": "torch's docstring documents no signature (it takes none)",
    "Tensor.log_softmax": "torch's docstring documents no signature",
    "Tensor.relu": "torch's docstring documents no signature",
    "Tensor.relu_": "torch's docstring documents no signature",
    "nn.Module": "torch's takes (*args, **kwargs) and refuses any",
    "nn.Identity": "torch's takes (*args, **kwargs) and ignores them",
    "nn.Sigmoid": "torch's takes (*args, **kwargs) and refuses any",
    "nn.Tanh": "torch's takes (*args, **kwargs) and refuses any",
    "nn.Softsign": "torch's takes (*args, **kwargs) and refuses any",
    "nn.LogSigmoid": "torch's takes (*args, **kwargs) and refuses any",
    **{f"nn.{name}": "torch's takes (*args, **kwargs); its docstring's __init__(...) line is compared in test_rnn.py"
       for name in ("RNN", "LSTM", "GRU")},
    "nn.Tanhshrink": "torch's takes (*args, **kwargs) and refuses any",
    "minigan.rrelu": "torch's is an undocumented C function (F's is compared)",
    "nn.Softmax2d": "torch's takes (*args, **kwargs) and refuses any",
    "minigan.celu": "torch's is an undocumented C function (F's is compared)",
    "minigan.selu": "torch's is an undocumented C function (F's is compared)",
    "minigan.threshold": "torch's is an undocumented C function (F's is compared)",
    "Tensor.prelu": "torch's docstring documents no signature (F.prelu's is compared)",
    **{f"{where}.{name}": "torch's documents no signature (clamp's is compared)"
       for where in ("minigan", "Tensor") for name in ("clamp_min", "clamp_max")},
    "Tensor.arccosh": "torch's docstring documents no signature (acosh's, the same function, is compared)",
}


# ---------------------------------------------------------------- reading signatures
class Param:
    def __init__(self, name, kind, default):
        self.name, self.kind, self.default = name, kind, default

    def __repr__(self):
        return self.name if self.default is REQUIRED else f"{self.name}={self.default!r}"


def _from_inspect(sig, drop_self):
    params = [Param(p.name, p.kind, p.default) for p in sig.parameters.values()]
    return params[1:] if drop_self and params and params[0].name == "self" else params


def _parse_doc_line(text):
    """torch's documented signature `name(a, b=1, *, c=None) -> T` as Params (torch's C functions have no other)."""
    params, kind, depth, part, parts = [], inspect.Parameter.POSITIONAL_OR_KEYWORD, 0, "", []
    for ch in text.replace("\\*", "*"):  # split at the commas outside brackets
        depth += (ch in "([{") - (ch in ")]}")
        if ch == "," and depth == 0:
            parts.append(part)
            part = ""
        else:
            part += ch
    parts.append(part)
    for part in (p.strip() for p in parts if p.strip()):
        if part == "*":
            kind = inspect.Parameter.KEYWORD_ONLY
            continue
        if part.startswith("**"):
            params.append(Param(part[2:], inspect.Parameter.VAR_KEYWORD, REQUIRED))
            continue
        if part.startswith("*"):
            params.append(Param(part[1:].split(":")[0].strip(), inspect.Parameter.VAR_POSITIONAL, REQUIRED))
            kind = inspect.Parameter.KEYWORD_ONLY
            continue
        name, has_default, text = part.partition("=")
        default = REQUIRED
        if has_default:
            try:
                default = ast.literal_eval(text.strip())
            except (ValueError, SyntaxError):
                default = text.strip()  # torch.strided and the like: compared as text
        params.append(Param(name.split(":")[0].strip(), kind, default))
    return params


def _only_varargs(params):
    """(*args, **kwargs): a signature that says nothing."""
    return [p.kind for p in params] == [inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD]


def torch_signatures(theirs, name, drop_self):
    """Every signature torch gives for `theirs`: inspect's, else those its docstring documents (its first
    line, and each overload listed as `.. function::` or `.. method::`); (*args, **kwargs) says nothing."""
    try:
        params = _from_inspect(inspect.signature(theirs), drop_self)
        if not _only_varargs(params):
            return [params]
    except (TypeError, ValueError):
        pass
    doc = (theirs.__doc__ or "").strip()
    lines = doc.splitlines()[:1] + re.findall(r"^\s*\.\. (?:function|method):: (.*)$", doc, re.MULTILINE)
    overloads = []
    for line in lines:
        if not line.startswith(name + "("):
            continue
        depth = 0
        for end, ch in enumerate(line):  # the text up to the bracket that closes the parameter list
            depth += 1 if ch == "(" else -1 if ch == ")" else 0
            if ch == ")" and depth == 0:
                break
        params = [p for p in _parse_doc_line(line[len(name) + 1:end]) if not (drop_self and p.name == "self")]
        if not _only_varargs(params):
            overloads.append(params)
    return overloads


# ---------------------------------------------------------------- comparing
def _show(value):
    """A default as the failure message shows it: an object by its type (its address changes from run to run)."""
    return f"<{type(value).__name__}>" if " at 0x" in repr(value) else repr(value)


def differences(ours, theirs):
    """What a call written for torch's signature `theirs` would find different in `ours` (see the module doc)."""
    found = []
    by_name = {p.name: p for p in ours}
    ours_pos = [p for p in ours if p.kind in POSITIONAL]
    theirs_pos = [p for p in theirs if p.kind in POSITIONAL]
    ours_var = [p for p in ours if p.kind == inspect.Parameter.VAR_POSITIONAL]
    theirs_var = [p for p in theirs if p.kind == inspect.Parameter.VAR_POSITIONAL]
    ours_kw = any(p.kind == inspect.Parameter.VAR_KEYWORD for p in ours)
    if bool(ours_var) != bool(theirs_var):
        found.append(f"*{theirs_var[0].name} in torch" if theirs_var else f"*{ours_var[0].name} here, none in torch")
    for i, t in enumerate(theirs_pos):
        if i >= len(ours_pos):
            taken_by_name = t.name in by_name and by_name[t.name].kind != inspect.Parameter.VAR_POSITIONAL
            if ours_var and not taken_by_name and t.kind != inspect.Parameter.POSITIONAL_ONLY:
                found.append(f"no {t.name}= here (*{ours_var[0].name} takes it by position only)")
            if ours_var or ours_kw or t.name in TORCH_ONLY:
                continue  # taken by *args, by **kwargs (checked by value), or machinery minigan lacks
            if t.name not in by_name:
                found.append(f"no {t.name} here")
            else:
                found.append(f"{t.name} (position {i}) is not positional here")
            continue
        o = ours_pos[i]
        if o.name != t.name and not (t.default is REQUIRED and o.default is REQUIRED and t.name in OPERAND_NAMES):
            found.append(f"position {i} is {o.name} here, {t.name} in torch")
        elif o.default is REQUIRED and t.default is not REQUIRED:
            found.append(f"{t.name} is required here, optional ({_show(t.default)}) in torch")
        elif t.default is not REQUIRED and o.default != t.default:
            found.append(f"{t.name}={_show(o.default)} here, {_show(t.default)} in torch")
    for t in theirs:
        if t.kind.name != "KEYWORD_ONLY":
            continue
        o = by_name.get(t.name)
        if o is None:
            if t.name not in TORCH_ONLY and not ours_kw:
                found.append(f"no {t.name}= here")
        elif t.default is not REQUIRED and o.default != t.default:
            found.append(f"{t.name}={_show(o.default)} here, {_show(t.default)} in torch")
    names = {t.name for t in theirs}
    for i, o in enumerate(ours):
        if o.name not in names and o.default is REQUIRED and o.kind.name not in ("VAR_POSITIONAL", "VAR_KEYWORD") \
                and i >= len(theirs_pos):
            found.append(f"{o.name} is required here, not in torch")
    return found


def _pairs():
    """(qualified name, ours, theirs, is a method) for every public callable with a torch counterpart."""
    torch = pytest.importorskip("torch")
    namespaces = [
        ("minigan", minigan, torch, minigan.__all__),
        ("nn", nn, torch.nn, None),
        ("F", F, torch.nn.functional, None),
        ("init", init, torch.nn.init, None),
        ("utils", utils, torch.nn.utils, None),
        ("parametrize", utils.parametrize, torch.nn.utils.parametrize, utils.parametrize.__all__),
        ("parametrizations", utils.parametrizations, torch.nn.utils.parametrizations, utils.parametrizations.__all__),
        ("rnn", utils.rnn, torch.nn.utils.rnn, utils.rnn.__all__),
        ("optim", optim, torch.optim, None),
        ("lr_scheduler", lr_scheduler, torch.optim.lr_scheduler, None),
        ("data", minigan.data, torch.utils.data, None),
    ]
    pairs = []
    for label, ours_ns, theirs_ns, names in namespaces:
        for name in names or dir(ours_ns):
            ours = getattr(ours_ns, name)
            if name.startswith("_") or not callable(ours) or not hasattr(theirs_ns, name):
                continue
            if not getattr(ours, "__module__", "").startswith("minigan") or ours is minigan.Tensor:
                continue  # NumPy's and the like, and Tensor (imported by several namespaces), walked below
            theirs = getattr(theirs_ns, name)
            if inspect.isclass(ours):  # the constructor, and the methods
                pairs.append((f"{label}.{name}", ours, theirs, False))
                pairs += _methods(f"{label}.{name}", ours, theirs)
            else:
                pairs.append((f"{label}.{name}", ours, theirs, False))
    pairs += _methods("Tensor", minigan.Tensor, torch.Tensor)
    pairs.append(("minigan.grad", minigan.grad, torch.autograd.grad, False))
    pairs.append(("autograd.backward", minigan.autograd.backward, torch.autograd.backward, False))
    pairs.append(("minigan.gradcheck", minigan.gradcheck, torch.autograd.gradcheck, False))
    pairs.append(("minigan.gradgradcheck", minigan.gradgradcheck, torch.autograd.gradgradcheck, False))
    return pairs


def _methods(label, ours_cls, theirs_cls):
    """The public methods a minigan class shares with torch's, those it defines itself (inherited ones once)."""
    pairs = []
    for name, ours in vars(ours_cls).items():
        if name.startswith("_") or not callable(ours) or not hasattr(theirs_cls, name):
            continue
        pairs.append((f"{label}.{name}", getattr(ours_cls, name), getattr(theirs_cls, name), True))
    return pairs


@functools.lru_cache(maxsize=None)
def all_differences():
    """{"qualname: difference": torch's signature} over the whole API, and the callables not compared."""
    found, uncompared = {}, []
    for qualname, ours, theirs, is_method in _pairs():
        ours_params = _from_inspect(inspect.signature(ours), is_method)
        name = qualname.rsplit(".", 1)[-1]
        overloads = torch_signatures(theirs, name, is_method)
        overloads += [_parse_doc_line(line[len(name) + 1:-1]) for line in UNDOCUMENTED.get(qualname, [])]
        if not overloads:
            uncompared.append(qualname)
        for theirs_params in overloads:
            for problem in differences(ours_params, theirs_params):
                found[f"{qualname}: {problem}"] = theirs_params
    return found, uncompared


# ---------------------------------------------------------------- the tests
def test_every_difference_from_torchs_signatures_has_a_reason():
    found, _ = all_differences()
    new = [f"{key}    (torch: {found[key]})" for key in found if key not in ALLOWED]
    assert not new, ("signatures that differ from torch's: make them torch's, or add each to ALLOWED with the "
                     "reason:\n" + "\n".join(new))


def test_every_allowed_difference_is_still_there():
    needs_mirrored_torch("signatures (ALLOWED lists the differences from them)")
    found, _ = all_differences()
    stale = [key for key in ALLOWED if key not in found]
    assert not stale, "these now match torch (or are gone): remove them from ALLOWED:\n" + "\n".join(stale)


def test_the_callables_left_uncompared_are_the_known_ones():
    _, uncompared = all_differences()
    assert set(uncompared) == set(UNCOMPARED), "torch gives no signature for these: add them to UNCOMPARED, " \
                                               "with the reason, or remove them from it"


def test_the_walk_reaches_every_namespace():
    compared = {qualname for qualname, *_ in _pairs()}
    for qualname in ("minigan.zeros", "minigan.randint", "minigan.no_grad", "Tensor.sum", "Tensor.backward",
                     "Tensor.view", "nn.Linear", "nn.Conv2d", "nn.BCELoss", "nn.Module.load_state_dict",
                     "nn.Sequential.append", "F.softmax", "F.cross_entropy", "F.interpolate", "init.kaiming_normal_",
                     "utils.clip_grad_norm_", "parametrize.register_parametrization", "parametrizations.spectral_norm",
                     "rnn.pad_sequence",
                     "optim.Adam", "optim.Optimizer.zero_grad", "lr_scheduler.StepLR",
                     "data.DataLoader", "data.random_split", "minigan.grad", "autograd.backward"):
        assert qualname in compared
    assert len(compared) > 300


def _sig(text):
    return _parse_doc_line(text)


@pytest.mark.parametrize("ours, theirs, expected", [
    ("input, dim=None", "input, dim=None", []),
    ("x, dim=None", "input, dim=None", []),  # an operand's name may differ
    ("x, axis=None", "input, dim=None", ["position 1 is axis here, dim in torch"]),
    ("x, dim=-1", "input, dim=None", ["dim=-1 here, None in torch"]),
    ("x, dim", "input, dim=None", ["dim is required here, optional (None) in torch"]),
    ("x, keepdim=False, dim=None", "input, dim=None, keepdim=False", ["position 1 is keepdim here, dim in torch",
                                                                        "position 2 is dim here, keepdim in torch"]),
    ("x", "input, dim=None", ["no dim here"]),
    ("x, *, dim=None", "input, dim=None", ["dim (position 1) is not positional here"]),
    ("x", "input, *, dtype=None", ["no dtype= here"]),
    ("x, dtype=None", "input, *, dtype=None", []),  # by position as well: more than torch takes
    ("x, *, dtype='int64'", "input, *, dtype=None", ["dtype='int64' here, None in torch"]),
    ("x", "input, *, out=None, generator=None", []),  # torch's machinery minigan lacks
    ("x, name='op'", "input", []),  # a minigan-only argument with a default
    ("x, y", "input", ["y is required here, not in torch"]),
    ("*shape, dtype=None", "*size, dtype=None", []),
    ("*shape", "size", ["*shape here, none in torch", "no size= here (*shape takes it by position only)"]),
    ("params, lr=0.1, **switches", "params, lr=0.1, foreach=None", []),
])
def test_differences_names_each_kind_of_mismatch(ours, theirs, expected):
    assert differences(_sig(ours), _sig(theirs)) == expected


def test_torchs_documented_signatures_are_read_with_kinds_and_defaults():
    torch = pytest.importorskip("torch")
    (randint,) = torch_signatures(torch.randint, "randint", drop_self=False)
    assert [(p.name, p.kind.name, p.default) for p in randint[:3]] == [
        ("low", "POSITIONAL_OR_KEYWORD", 0), ("high", "POSITIONAL_OR_KEYWORD", REQUIRED),
        ("size", "POSITIONAL_OR_KEYWORD", REQUIRED)]
    assert {p.name: p.default for p in randint if p.kind.name == "KEYWORD_ONLY"}["dtype"] is None
    overloads = torch_signatures(torch.Tensor.max, "max", drop_self=True)  # "-> Tensor or (Tensor, Tensor)" after
    assert [[repr(p) for p in o] for o in overloads] == [["dim=None", "keepdim=False"]]
    assert len(torch_signatures(torch.sum, "sum", drop_self=False)) == 2  # and the `.. function::` overload


# ---------------------------------------------------------------- what the comparison found and fixed
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape", [(5,), (3, 5), (2, 3, 5), (2, 3, 4, 5)])
def test_functional_softmax_without_dim_takes_torchs_dim(name, shape):
    # F.softmax(x) took dim=-1; torch takes dim 0 of 1-d and 3-d inputs and dim 1 of others (as nn.Softmax() here)
    torch = pytest.importorskip("torch")
    x = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # torch's "implicit dimension choice" deprecation
        expected = getattr(torch.nn.functional, name)(torch.tensor(x)).numpy()
    ours = getattr(F, name)(minigan.tensor(x))
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours.data, expected, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(getattr(nn, "Softmax" if name == "softmax" else "LogSoftmax")()(minigan.tensor(x)).data,
                               expected, rtol=1e-5, atol=1e-6)


def test_functional_softmax_takes_torchs_dtype():
    x = minigan.tensor([[1.0, 2.0, 4.0]])
    p = F.softmax(x, 1, dtype=minigan.float64)  # converted first, as torch's
    assert p.dtype == np.float64 and x.dtype == np.float32
    np.testing.assert_allclose(p.data, np.exp([[1.0, 2.0, 4.0]]) / np.exp([1.0, 2.0, 4.0]).sum(), rtol=1e-12)
    assert F.log_softmax(x, dim=1, dtype="float64").dtype == np.float64
    with pytest.raises(TypeError, match=r"log_softmax: dtype must be a float dtype .*got int64"):
        F.log_softmax(x, 1, dtype=minigan.int64)
    with pytest.raises(TypeError, match="softmax: expected a minigan Tensor, got a numpy.ndarray"):
        F.softmax(np.ones(3))


def test_containers_take_torchs_argument_names():
    # ModuleList(None) was an error ("should be called with an iterable"); torch's is empty
    assert len(nn.ModuleList(None)) == 0
    layers = nn.ModuleList(modules=None).append(module=nn.ReLU())
    layers.extend(modules=[nn.Tanh()])
    assert isinstance(layers.pop(key=0), nn.ReLU) and isinstance(layers[0], nn.Tanh)
    seq = nn.Sequential(nn.ReLU()).extend(sequential=[nn.Tanh(), nn.Sigmoid()])
    assert isinstance(seq.pop(key=-1), nn.Sigmoid) and list(seq.state_dict()) == [] and len(seq) == 2


def test_the_calls_written_torchs_way_give_torchs_results():
    torch = pytest.importorskip("torch")
    # each of these was a TypeError, or (std/var) silently another number, before the signatures matched torch's
    x = np.array([[1.0, 2.0, 4.0], [3.0, 7.0, 5.0]])
    t, m = torch.tensor(x), minigan.tensor(x, dtype="float64")
    for a, b in [(m.std(0, False), t.std(0, False)), (m.var(1, True, True), t.var(1, True, True)),
                 (m.var(False), t.var(False)), (minigan.std(m, 0, False), torch.std(t, 0, False))]:
        assert a.shape == tuple(b.shape)
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-12)
    assert minigan.zeros(size=(2, 3)).shape == (2, 3) and minigan.randn(size=(4,)).shape == (4,)
    with pytest.raises(TypeError, match="zeros: give the shape by position or as size=, not both"):
        minigan.zeros(2, size=(2, 3))
    assert minigan.full((2,), fill_value=0.5).tolist() == [0.5, 0.5]
    assert minigan.full_like(minigan.zeros(3), fill_value=2).tolist() == [2.0, 2.0, 2.0]
    draws = minigan.randint(3, (500,))  # torch's randint(high, size): [0, high)
    assert draws.dtype == np.int64 and set(draws.tolist()) == {0, 1, 2}
    assert minigan.randint(5, 7, size=(50,), dtype="int32").dtype == np.int32
    assert minigan.randperm(4, dtype="int32").dtype == np.int32 and sorted(minigan.randperm(4).tolist()) == [0, 1, 2, 3]


def test_every_factory_takes_size_by_name_and_cuda_a_device_as_torchs():
    # mutation testing: ones/empty/rand(size=), randint(high, size=) and randint(high) without a size, and
    # cuda(device) had no test; dropping any of them failed nothing
    for make in (minigan.zeros, minigan.ones, minigan.empty, minigan.rand, minigan.randn):
        assert make(size=(2, 3)).shape == (2, 3) and make(size=[4]).shape == (4,), make.__name__
        with pytest.raises(TypeError, match=f"{make.__name__}: give the shape by position or as size=, not both"):
            make(2, size=(2, 3))
    assert minigan.ones(size=(2,)).tolist() == [1.0, 1.0]
    assert set(minigan.randint(3, size=(200,)).tolist()) == {0, 1, 2}  # torch's randint(high, size=...)
    with pytest.raises(TypeError, match=r"randint: give the size: randint\(high, size\) or randint\(low, high, size\)"):
        minigan.randint(5)  # (torch: a TypeError too)

    def outcome(move):  # where it went, or why not (no usable GPU here)
        try:
            moved = move()
        except RuntimeError as error:
            return str(error)
        return (moved if isinstance(moved, minigan.Tensor) else moved.weight).device

    x = minigan.zeros(2)
    assert outcome(lambda: x.cuda(0)) == outcome(lambda: x.cuda()) == outcome(lambda: x.to("cuda"))
    assert outcome(lambda: nn.Linear(2, 1).cuda(0)) == outcome(lambda: nn.Linear(2, 1).cuda())
    for move in (lambda: x.cuda("cuda:1"), lambda: nn.Linear(2, 1).cuda("cuda:1")):  # not quietly cuda:0
        with pytest.raises(ValueError, match=r"unknown device 'cuda:1'"):
            move()
