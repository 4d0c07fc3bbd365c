"""``minigan.nn.utils.parametrize``: a module's tensor computed by small layers from other tensors, as
``torch.nn.utils.parametrize``.

``register_parametrization(layer, "weight", P)`` moves the parameter ``layer.weight`` into
``layer.parametrizations.weight.original`` (the same Parameter object: an optimizer made earlier still steps
it), and from then on reading ``layer.weight`` gives ``P(original)``, recomputed at every read, so gradients
flow into ``original``. Assigning ``layer.weight = t`` sets ``original = P.right_inverse(t)``. The keys in
``state_dict`` are torch's (``parametrizations.weight.original``, then P's own buffers as
``parametrizations.weight.0.<name>``).

torch makes this work by swapping the layer's class for a generated subclass with a property; minigan keeps the
class and computes the tensor in ``Module.__getattr__`` (reached only for names not found otherwise).
"""

from collections.abc import Sequence

from ...autograd import Tensor, no_grad
from ..layers import ModuleDict, ModuleList
from ..module import Module, Parameter

__all__ = ["ParametrizationList", "cached", "is_parametrized", "register_parametrization",
           "remove_parametrizations", "type_before_parametrizations"]

def cached():
    """torch's block in which each parametrized tensor is computed once and reused: not in minigan. Its cache
    would be global state (it takes no module to hold it), and minigan keeps that to no_grad and the device."""
    raise NotImplementedError("parametrize.cached() is not in minigan (its cache would be global state): each read "
                              "of a parametrized tensor computes it; read it once into a variable to reuse it")


def _set(dest, src):
    """dest takes src's values (and shape) and stays the same object, as torch's ``dest.set_(src)``."""
    if dest is not src:
        dest.data = src.data
        dest._version += 1  # new values: a graph that used the old ones can no longer backpropagate


def _register(module, name, tensor):
    """A Parameter registered as a parameter, any other tensor as a buffer (torch's rule)."""
    if isinstance(tensor, Parameter):
        module.register_parameter(name, tensor)
    else:
        module.register_buffer(name, tensor)


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, ``module.parametrizations[name]``: applied in order to its original.

    It holds ``original``, or ``original0``, ``original1``, ... where the first parametrization's right_inverse
    returns a sequence of tensors (weight_norm's g and v): that parametrization then takes them all.
    """

    def __init__(self, modules, original, unsafe=False):
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules (the parametrizations)")
        super().__init__(modules)
        self.unsafe = unsafe
        with no_grad():  # original -> right_inverse of the last parametrization, ..., of the first
            new = original
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    try:
                        new = module.right_inverse(new)
                    except NotImplementedError:
                        pass
        if not isinstance(new, (Tensor, Sequence)):
            raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...); got "
                             f"{type(new).__name__}")
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if self.is_tensor:
            if (new.dtype, new.device) != (original.dtype, original.device):
                raise ValueError(f"When `right_inverse` outputs one tensor, it may not change the dtype or device: "
                                 f"original is {original.dtype} on {original.device!r}, right_inverse(original) is "
                                 f"{new.dtype} on {new.device!r}")
            with no_grad():
                _set(original, new)
            _register(self, "original", original)  # the same object: an optimizer made earlier still steps it
        else:
            for i, tensor in enumerate(new):
                if not isinstance(tensor, Tensor):
                    raise ValueError("'right_inverse' must return a Tensor or a Sequence of tensors; got element "
                                     f"{i} of the sequence with type {type(tensor).__name__}")
                if isinstance(original, Parameter):
                    tensor = Parameter(tensor, original.requires_grad)
                tensor.requires_grad_(original.requires_grad)
                _register(self, f"original{i}", tensor)
        if not self.unsafe:
            value = self()
            if not isinstance(value, Tensor):
                raise ValueError(f"A parametrization must return a tensor, got {type(value).__name__}")
            if (value.dtype, value.shape) != (original.dtype, original.shape):
                raise ValueError(f"Registering a parametrization may not change the dtype or shape of the tensor "
                                 f"({original.dtype} {tuple(original.shape)} before, {value.dtype} "
                                 f"{tuple(value.shape)} parametrized), unless the `unsafe` flag is enabled")

    def right_inverse(self, value):
        """Set the original(s) to the right_inverse of `value`, through the parametrizations in reverse order
        (what ``module.weight = value`` does)."""
        with no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(module).__name__} does not implement right_inverse, "
                                       "so the parametrized tensor cannot be assigned; give it a right_inverse method")
                value = module.right_inverse(value)
            values = [value] if self.is_tensor else value
            if not self.is_tensor and (not isinstance(value, Sequence) or len(value) != self.ntensors):
                raise ValueError(f"'right_inverse' must return a sequence of {self.ntensors} tensors, got "
                                 f"{type(value).__name__} {value!r}")
            names = ["original"] if self.is_tensor else [f"original{i}" for i in range(self.ntensors)]
            for name, tensor in zip(names, values):
                if not isinstance(tensor, Tensor) or tensor.dtype != getattr(self, name).dtype:
                    got = tensor.dtype if isinstance(tensor, Tensor) else type(tensor).__name__
                    raise ValueError(f"`right_inverse` returned {got} for {name}, which is "
                                     f"{getattr(self, name).dtype}: it must return a tensor of that dtype")
                _set(getattr(self, name), tensor)

    def forward(self):
        """The parametrized tensor: original(s) -> parametrization 0 -> parametrization 1 -> ..."""
        first, *rest = list(self)
        originals = [self.original] if self.is_tensor else [getattr(self, f"original{i}") for i in range(self.ntensors)]
        x = first(*originals)
        for module in rest:
            x = module(x)
        return x

def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Make ``module.<tensor_name>`` be ``parametrization(original)``, recomputed at each read; returns `module`.

    A tensor that is parametrized already gets `parametrization` appended (applied after the others). Unless
    `unsafe`, the parametrization (and then its right_inverse too) must keep the tensor's shape and dtype
    (checked now). As torch's.
    """
    if not isinstance(module, Module) or not isinstance(parametrization, Module):
        bad, what = ("module", module) if not isinstance(module, Module) else ("parametrization", parametrization)
        raise TypeError(f"register_parametrization: {bad} must be an nn.Module, got {type(what).__name__}; a "
                        "parametrization is a Module whose forward(X) computes the tensor from X")
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            before = getattr(module, tensor_name)
            after = parametrization(before)
            if not isinstance(after, Tensor) or (after.dtype, after.shape) != (before.dtype, before.shape):
                got = f"{after.dtype} {tuple(after.shape)}" if isinstance(after, Tensor) else type(after).__name__
                raise ValueError(f"register_parametrization: the parametrization of module.{tensor_name} "
                                 f"({before.dtype} {tuple(before.shape)}) returned {got}; it may not change the "
                                 "dtype or shape unless the `unsafe` flag is enabled")
            try:  # its right_inverse too (assigning module.<tensor_name> will call it)
                back = parametrization.right_inverse(after) if hasattr(parametrization, "right_inverse") else before
            except NotImplementedError:
                back = before
            if not isinstance(back, Tensor) or (back.dtype, back.shape) != (before.dtype, before.shape):
                got = f"{back.dtype} {tuple(back.shape)}" if isinstance(back, Tensor) else type(back).__name__
                raise ValueError(f"register_parametrization: the parametrization's right_inverse of module."
                                 f"{tensor_name} ({before.dtype} {tuple(before.shape)}) returned {got}; it must "
                                 "return a tensor of that dtype and shape unless the `unsafe` flag is enabled")
        module.parametrizations[tensor_name].append(parametrization)
        module.parametrizations[tensor_name].unsafe |= unsafe
    elif module._parameters.get(tensor_name) is not None or module._buffers.get(tensor_name) is not None:
        original = getattr(module, tensor_name)
        parametrizations = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            module.parametrizations = ModuleDict()
        module.parametrizations[tensor_name] = parametrizations
    else:
        tensors = [n for n, t in list(module._parameters.items()) + list(module._buffers.items()) if t is not None]
        raise ValueError(f"register_parametrization: {type(module).__name__} does not have a parameter, a buffer, "
                         f"or a parametrized element with name {tensor_name!r}; it has {', '.join(tensors) or 'none'}")
    return module


def is_parametrized(module, tensor_name=None):
    """Whether `module` has a parametrization on `tensor_name` (on any tensor, for None)."""
    parametrizations = module.__dict__.get("parametrizations")
    if not isinstance(parametrizations, ModuleDict):
        return False
    return len(parametrizations) > 0 if tensor_name is None else tensor_name in parametrizations


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Make ``module.<tensor_name>`` a plain parameter (or buffer) again; returns `module`, as torch's.

    leave_parametrized=True: it keeps its current, parametrized value; False: it takes the original's value (only
    where there is one original). With one original, the same Parameter object comes back (an optimizer made
    earlier still steps it).
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"remove_parametrizations: {type(module).__name__} does not have a parametrization on "
                         f"{tensor_name!r}")
    parametrizations = module.parametrizations[tensor_name]
    if parametrizations.is_tensor:
        original = parametrizations.original
        if leave_parametrized:
            with no_grad():
                _set(original, getattr(module, tensor_name))
    elif leave_parametrized:
        value = getattr(module, tensor_name)
        original = Parameter(value) if value.requires_grad else value
    else:
        raise ValueError("remove_parametrizations: cannot leave unparametrized (`leave_parametrized=False`) a "
                         f"tensor that is parametrized in terms of a sequence of tensors ({tensor_name!r} has "
                         f"{parametrizations.ntensors} originals)")
    del module.parametrizations[tensor_name]
    _register(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
    return module


def type_before_parametrizations(module):
    """The module's class: minigan never changes it (torch's is the class before its Parametrized subclass)."""
    return type(module)
