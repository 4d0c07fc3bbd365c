"""`Module` and `Parameter`: the containers that hold a model's weights.

Modules register parameters, buffers (non-trained state such as batch-norm
running statistics) and child modules in *definition order*, so
``parameters()`` and ``state_dict()`` come out in the same order on every run,
with PyTorch's key names (``"0.weight"``, ``"block.1.bias"``, ...).
"""

import numbers
from collections import OrderedDict, namedtuple
from collections.abc import Mapping
from pathlib import PurePath

import numpy as np

from .. import backend
from ..autograd import _FLOAT_DTYPES, HookHandle, Tensor, device_and_dtype


def refuse_a_model_as_parameters(params, name):
    """A clear error for the usual slips in passing parameters: the model itself, or its method not called."""
    if hasattr(params, "parameters") and hasattr(params, "named_modules"):
        raise TypeError(f"{name}: got the module {type(params).__name__} itself; pass its parameters, "
                        f"{name}(model.parameters(), ...)")
    if callable(params):
        raise TypeError(f"{name}: got the method {getattr(params, '__name__', params)!r} itself; "
                        "call it, model.parameters() with the parentheses")


# what load_state_dict returns: the keys it did not find, and the keys it did not use (PyTorch's fields)
IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])


class Parameter(Tensor):
    """A Tensor that a Module registers as a trainable weight (requires_grad=True)."""

    __slots__ = ()

    def __init__(self, data, requires_grad=True):
        super().__init__(data.data if isinstance(data, Tensor) else data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Base class of every layer and model, with PyTorch's interface."""

    def __init__(self):
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent", set())  # names of buffers left out of state_dict
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "training", True)

    # -- registration -----------------------------------------------------
    def __setattr__(self, name, value):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"{type(self).__name__}.__init__ must call super().__init__() before setting attributes")
        if "parametrizations" in self.__dict__ and self._parametrization(name) is not None:
            return self._set_parametrized(name, value)
        if isinstance(value, Parameter):
            store = self._parameters
        elif name in self._parameters:  # None empties the slot (left out of parameters() and state_dict()), as in torch
            if value is not None:
                raise TypeError(
                    f"{type(self).__name__}.{name} is a parameter: cannot assign a {type(value).__name__} to it "
                    "(nn.Parameter or None expected): it would silently stop being trained and saved; for a new "
                    f"weight wrap it, module.{name} = nn.Parameter(t); to change this one's values, "
                    f"`with minigan.no_grad(): module.{name}.copy_(t)`"
                )
            store = self._parameters
        elif isinstance(value, Module) or (value is None and name in self._modules):
            store = self._modules  # None empties a child's slot, as in torch: skipped by children() and state_dict()
        elif name in self._modules:
            why = ("it holds no layer now (None), and keeps its place for one" if self._modules[name] is None
                   else "the layer would silently stop being trained and saved")
            raise TypeError(
                f"{type(self).__name__}.{name} is a child module: cannot assign a {type(value).__name__} to it "
                f"(nn.Module or None expected, as in torch): {why}; "
                f"to replace it assign another layer, or first `del module.{name}`"
            )
        elif name in self._buffers:  # a new tensor keeps it a buffer; None empties it (not saved), as in torch
            self._check_buffer(name, value)
            store = self._buffers
        else:
            store = None
            if isinstance(value, (list, tuple, dict)):
                self._refuse_unregistered(name, value)
        for other in (self._parameters, self._buffers, self._modules):
            if other is not store:
                other.pop(name, None)
        if store is not None:
            store[name] = value  # an existing name keeps its place: the order never changes
        object.__setattr__(self, name, value)

    def __getattr__(self, name):
        """Reached only when `name` is not found the usual way (so other attributes cost nothing more): a tensor
        parametrized by ``nn.utils.parametrize.register_parametrization`` is computed here, at each read, from its
        original(s) in ``self.parametrizations[name]`` (torch swaps in a subclass with a property instead)."""
        parametrization = self._parametrization(name)
        if parametrization is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}", name=name, obj=self)
        return parametrization()

    def _parametrization(self, name):
        """The ParametrizationList that computes the attribute `name`, or None where it is not parametrized."""
        parametrizations = self.__dict__.get("parametrizations")
        found = getattr(parametrizations, "_modules", {}).get(name)
        return found if hasattr(found, "right_inverse") and hasattr(found, "ntensors") else None  # (duck-typed:
        # nn/utils/parametrize.py's ParametrizationList, which imports this module)

    def _set_parametrized(self, name, value):
        """``module.weight = t`` on a parametrized tensor: its original(s) become right_inverse(t), as in torch."""
        if isinstance(value, Parameter):  # (torch's KeyError: "attribute 'weight' already exists")
            raise KeyError(f"{type(self).__name__}.{name} is parametrized (nn.utils.parametrize): a new Parameter "
                           "cannot replace it; assign a Tensor to set its value (through right_inverse), or first "
                           f"nn.utils.parametrize.remove_parametrizations(module, {name!r})")
        if not isinstance(value, Tensor):
            raise TypeError(f"{type(self).__name__}.{name} is parametrized (nn.utils.parametrize): assign a Tensor "
                            f"to set its value (through right_inverse), got {type(value).__name__}")
        self._parametrization(name).right_inverse(value)

    def _refuse_unregistered(self, name, items):
        """A plain list of new layers registers nothing: they would never be trained, saved or moved.

        torch accepts it silently; minigan points to ModuleList. A list of
        layers that are already children (a convenience view) is fine.
        """
        kind = type(items).__name__
        items = items.values() if isinstance(items, dict) else items
        children = [id(m) for m in self._modules.values()]
        if any(isinstance(m, Module) and id(m) not in children for m in items):
            raise TypeError(
                f"{type(self).__name__}.{name}: a plain {kind} of layers registers none of them, "
                "so their weights would be missing from parameters(), state_dict() and .to(); "
                f"use self.{name} = nn.ModuleList([...]) (or nn.Sequential(...))"
            )

    def _check_name(self, call, name, store):
        """torch's checks of a name to register: a string, not empty, no dot, and not another attribute's."""
        where = f"{type(self).__name__}.{call}({name!r})"
        if not isinstance(name, str):
            raise TypeError(f"{where}: the name must be a string, got {type(name).__name__}")
        if not name or "." in name:  # a dot would make a state_dict key and a get_submodule path ambiguous
            raise KeyError(f"{where}: a name can't be empty or contain '.' (dots separate the names of "
                           "submodules in state_dict() keys); choose a name such as 'conv1' or 'block_1'")
        if name in store:  # registered again: replaced, in its place
            return
        owner = ("parameter" if name in self._parameters else "buffer" if name in self._buffers
                 else "child module" if name in self._modules else None)
        value = getattr(self, name, None) if owner is None else None  # (read once: a spectral-normed weight
        if value is not None:  # refines its buffers at each read; a plain None, a layer left unset, is free)
            owner = type(value).__name__
        if owner is not None:
            raise KeyError(f"{where}: the module already has an attribute {name!r} (a {owner}); choose another name")

    def add_module(self, name, module):
        """Register `module` as a child called `name` (what Sequential and ModuleList do with their layers).

        `module` may be None, as in torch: an empty slot, skipped by children() and state_dict(), that a
        module assigned later fills in its place.
        """
        self._check_name("add_module", name, self._modules)
        if module is None:  # (_check_name refused a name taken by a parameter or buffer)
            self._modules[name] = None
            object.__setattr__(self, name, None)
            return
        if not isinstance(module, Module):
            raise TypeError(
                f"{type(self).__name__}: child {name!r} must be a Module, got {type(module).__name__} {module!r}; "
                "pass a layer object such as nn.ReLU(), not its name or a function"
            )
        setattr(self, name, module)

    def register_parameter(self, name, param):
        """Register `param` (a Parameter, or None for an empty slot) under `name`, as ``self.name = param`` does."""
        self._check_name("register_parameter", name, self._parameters)
        if param is None:  # an empty slot, as in torch (a layer built without a bias)
            self._parameters[name] = None
            object.__setattr__(self, name, None)
            return
        if not isinstance(param, Parameter):
            raise TypeError(f"{type(self).__name__}.register_parameter({name!r}): expected an nn.Parameter, got "
                            f"{type(param).__name__}; wrap a tensor as nn.Parameter(t)")
        setattr(self, name, param)

    def register_module(self, name, module):
        """Another name for ``add_module``, as in torch."""
        self.add_module(name, module)

    def register_buffer(self, name, tensor, persistent=True):
        """Keep a non-trained tensor: moved by .to(), and saved in state_dict unless persistent=False.

        `tensor` may be None, as in torch: the name is kept, and left out of state_dict(), buffers() and .to().
        """
        self._check_name("register_buffer", name, self._buffers)
        self._check_buffer(name, tensor)
        object.__setattr__(self, name, tensor)
        self._buffers[name] = tensor
        (self._non_persistent.discard if persistent else self._non_persistent.add)(name)

    def _check_buffer(self, name, value):
        """A buffer holds a minigan Tensor or None; anything else (a NumPy array: never moved) is refused."""
        if value is not None and not isinstance(value, Tensor):
            raise TypeError(f"{type(self).__name__}: buffer {name!r} must be a minigan Tensor or None, got "
                            f"{type(value).__module__}.{type(value).__name__}; wrap it with minigan.tensor(...)")

    def __delattr__(self, name):
        if self._parametrization(name) is not None:  # (torch: the property has no deleter)
            raise AttributeError(f"{type(self).__name__}.{name} is parametrized and cannot be deleted; first "
                                 f"nn.utils.parametrize.remove_parametrizations(module, {name!r})")
        registered = [store.pop(name) for store in (self._parameters, self._buffers, self._modules) if name in store]
        if name in self.__dict__ or not registered:  # a ModuleDict's key may be registered only
            object.__delattr__(self, name)

    # -- calling ----------------------------------------------------------
    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        # (`if ... else ()`: most layers have no hooks, and then no list is copied)
        for hook in list(self._forward_pre_hooks.values()) if self._forward_pre_hooks else ():
            changed = hook(self, args)  # may hand back new inputs
            if changed is not None:
                args = changed if isinstance(changed, tuple) else (changed,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()) if self._forward_hooks else ():
            changed = hook(self, args, output)  # may hand back a new output
            if changed is not None:
                output = changed
        return output

    def register_forward_pre_hook(self, hook):
        """Call hook(module, inputs) before every forward; it may return new inputs. Returns a handle with .remove()."""
        return HookHandle(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook):
        """Call hook(module, inputs, output) after every forward; it may return a new output. Returns a handle."""
        return HookHandle(self._forward_hooks, hook)

    # -- traversal --------------------------------------------------------
    def children(self):
        for _, child in self.named_children():
            yield child

    def named_children(self):
        """(name, child) pairs; a child registered under two names comes once, and an empty slot (None) not at all,
        as in torch."""
        seen = set()
        for name, child in self._modules.items():
            if child is not None and child not in seen:
                seen.add(child)
                yield name, child

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, module) for this module and all below it, depth first, each module once (as torch's:
        a layer used twice, tied weights, is visited once unless remove_duplicate=False)."""
        memo = set() if memo is None else memo
        if remove_duplicate:
            if self in memo:
                return
            memo.add(self)
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:  # an empty slot
                yield from child.named_modules(memo, f"{prefix}.{name}" if prefix else name, remove_duplicate)

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def _named_tensors(self, store, prefix, recurse, remove_duplicate):
        """(dotted name, tensor) of every parameter or buffer (`store`) in definition order, as torch's."""
        seen = set()
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) if recurse else [(prefix, self)]
        for mod_name, mod in modules:
            for name, t in getattr(mod, store).items():
                if t is not None and id(t) not in seen:  # else an optimizer would step a tied weight twice
                    if remove_duplicate:
                        seen.add(id(t))
                    yield (f"{mod_name}.{name}" if mod_name else name), t

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(name, parameter) pairs in definition order; a shared parameter comes once (like torch).

        recurse=False: this module's own parameters only, not its children's. remove_duplicate=False:
        a shared parameter under each of its names.
        """
        return self._named_tensors("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        """(name, buffer) pairs, as named_parameters gives the parameters (a shared buffer comes once)."""
        return self._named_tensors("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target):
        """The submodule at a dotted path such as "net.3" ("" is this module), as torch's ``get_submodule``."""
        module, walked = self, []
        for name in target.split(".") if target else []:
            if module._modules.get(name) is None:
                where = f"{'.'.join(walked)!r} ({type(module).__name__})" if walked else type(self).__name__
                why = (f"'s child {name!r} is None (an empty slot)" if name in module._modules
                       else f" has no child {name!r}")
                raise AttributeError(f"get_submodule({target!r}): {where}{why}; its children are "
                                     f"{', '.join(n for n, m in module._modules.items() if m is not None) or 'none'}")
            module = module._modules[name]
            walked.append(name)
        return module

    def get_parameter(self, target):
        """The parameter at a dotted path such as "net.0.weight"."""
        return self._get_tensor(target, "_parameters", "parameter")

    def get_buffer(self, target):
        """The buffer at a dotted path such as "net.1.running_mean"."""
        return self._get_tensor(target, "_buffers", "buffer")

    def _get_tensor(self, target, store, kind):
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        tensors = getattr(module, store)
        if tensors.get(name) is None:
            owner = type(module).__name__
            why = (f"{owner}'s {kind} {name!r} is None (an empty slot)" if name in tensors
                   else f"{owner} has no {kind} {name!r}")
            raise AttributeError(f"get_{kind}({target!r}): {why}; its {kind}s are "
                                 f"{', '.join(n for n, t in tensors.items() if t is not None) or 'none'}")
        return tensors[name]

    # -- modes and devices -------------------------------------------------
    def train(self, mode=True):
        """Training mode (batch norm uses batch statistics, dropout is on); train(False) is eval().

        As torch's, each child's own ``train`` is called, so a layer that overrides it is obeyed.
        """
        if not isinstance(mode, bool):  # train("False") or train(0) would silently mean something else
            raise ValueError(f"{type(self).__name__}.train: mode must be True or False, got {type(mode).__name__} "
                             f"{mode!r}; for evaluation mode call .eval()")
        object.__setattr__(self, "training", mode)
        for child in self.children():
            child.train(mode)
        return self

    def eval(self):
        """Evaluation mode (batch norm uses running statistics, dropout is off)."""
        return self.train(False)

    def to(self, device=None, dtype=None, non_blocking=False):
        """Move (and/or cast) every parameter and buffer in place; returns self (``model.to(minigan.float64)`` too).

        `dtype` must be a float dtype; integer buffers (batch norm's count) keep theirs, as in torch. A tensor
        given new memory counts an in-place change: a graph that used it can no longer backpropagate.
        """
        device, dtype = device_and_dtype(device, dtype)
        if isinstance(device, str) and device.startswith(("float", "int", "uint", "bool", "complex")):
            device, dtype = None, device  # a dtype minigan does not know ("float128"), refused below
        if dtype is not None:
            try:
                dtype = np.dtype(dtype)
            except TypeError:
                pass
            if getattr(dtype, "name", None) not in _FLOAT_DTYPES:
                raise TypeError(
                    f"{type(self).__name__}.to: a module only takes floating dtypes (minigan.float32, float64 or "
                    f"float16), got {dtype}; an integer or bool weight would be truncated and has no gradient "
                    "(torch refuses it too). To convert a tensor, use x.to(dtype) or x.long()"
                )
        if device is not None:
            device = backend.check_device(device)
        for m in self.modules():
            for t in [t for t in list(m._parameters.values()) + list(m._buffers.values()) if t is not None]:
                before = t.data
                if device is not None:
                    t.data = backend.to_device(t.data, device)
                if dtype is not None and t.data.dtype.kind == "f" and t.data.dtype != dtype:
                    t.data = t.data.astype(dtype)
                if t.data is not before:  # new memory (a no-op move or cast keeps the old)
                    t._version += 1
                if t.grad is not None:
                    t.grad = Tensor(backend.to_device(t.grad.data, t.device).astype(t.data.dtype))
        return self

    def cpu(self):
        """Move every parameter and buffer to the CPU; returns self."""
        return self.to("cpu")

    def cuda(self, device=None):
        """Move every parameter and buffer to the GPU; returns self."""
        return self.to("cuda" if device in (None, 0) else device)

    def float(self):
        """Cast every float parameter and buffer to float32; returns self."""
        return self.to(dtype="float32")

    def double(self):
        """Cast every float parameter and buffer to float64; returns self."""
        return self.to(dtype="float64")

    def half(self):
        """Cast every float parameter and buffer to float16; returns self."""
        return self.to(dtype="float16")

    def apply(self, fn):
        """Call fn(module) on every submodule, children before their parent, as torch's ``apply``; returns self.

        The PyTorch DCGAN tutorial's ``G.apply(weights_init)`` idiom (with ``nn.init``) works as written;
        the older ``m.weight.data.normal_(0.0, 0.02)`` gets an error that says what to write instead.
        """
        for child in self.children():
            child.apply(fn)
        try:
            fn(self)
        except AttributeError as error:
            if "ndarray' object has no attribute" not in str(error):
                raise
            raise AttributeError(
                f"{error} (applied to {type(self).__name__}): in minigan `.data` is the raw NumPy/CuPy array, not "
                "a tensor; use nn.init on the parameter (nn.init.normal_(m.weight, 0.0, 0.02), "
                "nn.init.zeros_(m.bias)), or its method inside `with minigan.no_grad():` (m.weight.normal_(0.0, 0.02))"
            ) from None
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None and (p.grad.grad_fn is not None or p.grad.requires_grad):
                # a grad from backward(create_graph=True) holds its graph: a fresh zero tensor lets it go
                # (as torch's zero_grad detaches it), where zeroing in place would keep it for ever
                p.grad = Tensor(backend.xp_of(p.grad.data).zeros_like(p.grad.data))
            elif p.grad is not None:
                p.grad.data[...] = 0

    def requires_grad_(self, requires_grad=True):
        """Make every parameter trainable or frozen (requires_grad_(False), as a GAN does for D in G's step)."""
        if not isinstance(requires_grad, bool):
            raise TypeError(f"{type(self).__name__}.requires_grad_: expected True or False, got "
                            f"{type(requires_grad).__name__} {requires_grad!r}")
        for p in self.parameters():
            p.requires_grad = requires_grad
        return self

    # -- saving -----------------------------------------------------------
    def _saved(self):
        """Ordered dotted name -> the tensor itself, for every parameter and persistent buffer.

        A layer used twice is saved under both its names, as torch saves it.
        """
        out = OrderedDict()
        for mod_name, mod in self.named_modules(remove_duplicate=False):
            buffers = [(n, b) for n, b in mod._buffers.items() if n not in mod._non_persistent]
            for name, t in list(mod._parameters.items()) + buffers:
                if t is not None:  # an empty slot is not saved, as in torch
                    out[f"{mod_name}.{name}" if mod_name else name] = t
        return out

    def state_dict(self, *, prefix="", keep_vars=False):
        """Ordered name -> Tensor of every parameter and persistent buffer (shares memory, like torch).

        Each is ``t.detach()``: it shares the count of in-place changes too, so a change made through it is seen.
        As torch's: keep_vars=True gives the Parameters themselves, and `prefix` starts every key.
        """
        return OrderedDict((prefix + k, t if keep_vars else t.detach()) for k, t in self._saved().items())

    def _fill_state_dict(self, state_dict, prefix):
        """Add to `state_dict` (in place) what an older checkpoint of this layer lacks; its keys start with `prefix`.

        Called by load_state_dict for every submodule before the keys are checked (torch's
        ``_load_from_state_dict`` upgrades old checkpoints there too). Nothing to add by default.
        """

    def load_state_dict(self, state_dict, strict=True):
        """Copy values into this module's parameters and buffers (on their current device).

        Accepts Tensors or arrays (NumPy or CuPy). Every missing, unexpected
        and mis-shaped key is named in one error; nothing is changed then.
        With strict=False, missing and unexpected keys are allowed (mis-shaped
        ones are not). Returns (missing_keys, unexpected_keys), as PyTorch does.
        As torch's, it ignores the keys below a child set to None (``model.head = None``
        then loading a whole model's checkpoint: the head's keys are neither loaded nor unexpected).
        """
        if not isinstance(state_dict, Mapping):
            hint = ("as model.state_dict() or minigan.load(path) returns" if not isinstance(state_dict, (str, PurePath))
                    else f"load the file first, model.load_state_dict(minigan.load({str(state_dict)!r}))")
            raise TypeError(f"{type(self).__name__}.load_state_dict expects a dict of name -> tensor or array; "
                            f"got {type(state_dict).__name__}: {hint}")
        if {"state", "param_groups"} <= set(state_dict):
            raise TypeError(f"{type(self).__name__}.load_state_dict: got an optimizer's state_dict (keys 'state' and "
                            "'param_groups'); give it to optimizer.load_state_dict, and this model its own state_dict")
        state_dict = OrderedDict(state_dict)  # a copy: what _fill_state_dict adds stays out of the caller's dict
        for mod_name, mod in self.named_modules(remove_duplicate=False):
            mod._fill_state_dict(state_dict, f"{mod_name}." if mod_name else "")
        own = self._saved()
        empty = tuple(f"{mod_name}.{name}." if mod_name else f"{name}."  # below a child set to None: ignored
                      for mod_name, mod in self.named_modules(remove_duplicate=False)
                      for name, child in mod._modules.items() if child is None)
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own and not (isinstance(k, str) and k.startswith(empty))]
        wrong = []
        for k, t in own.items():
            if k in state_dict:
                v = state_dict[k]
                if not isinstance(v, (Tensor, numbers.Number)) and not hasattr(v, "shape"):  # None: np.shape says ()
                    wrong.append(f"{k}: checkpoint has a {type(v).__name__}, not a tensor or array")
                    continue
                shape = tuple(np.shape(v.data if isinstance(v, Tensor) else v))
                if shape != t.shape:
                    wrong.append(f"{k}: checkpoint has shape {shape}, this model has {t.shape}")
        problems = []
        if wrong:
            problems.append("mis-shaped keys: " + "; ".join(wrong))
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if problems:
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: the state dict does not fit this model — "
                + " | ".join(problems)
                + ". Was it saved from a different model or configuration?"
            )
        for k, t in own.items():
            if k in state_dict:
                v = state_dict[k]
                v = v.data if isinstance(v, Tensor) else v
                t.data[...] = backend.asarray(v, dtype=t.data.dtype, device=t.device)  # into the same memory, as torch
                t._version += 1  # an in-place change: a graph that used the old values can no longer backpropagate
        return IncompatibleKeys(missing, unexpected)

    # -- printing ---------------------------------------------------------
    def extra_repr(self):
        return ""

    def __repr__(self):
        """torch's layout: a one-line extra_repr alone stays on the first line; else each of its lines and each
        child on a line of its own."""
        names = getattr(self.__dict__.get("parametrizations"), "_modules", {})  # torch's class name when parametrized:
        parametrized = "Parametrized" if any(self._parametrization(n) is not None for n in names) else ""
        extra = self.extra_repr()
        lines = (extra.split("\n") if extra else []) + [f"({name}): " + repr(child).replace("\n", "\n  ")
                                                        for name, child in self._modules.items()]
        body = lines[0] if len(lines) == 1 and not self._modules else "".join(f"\n  {line}" for line in lines) + "\n"
        return f"{parametrized}{type(self).__name__}({body if lines else ''})"
