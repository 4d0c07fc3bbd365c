"""nn.Module's interface against torch.nn.Module's, by a small random differential fuzzer and by hand.

The fuzzer builds the same random tree of modules (containers, custom modules, shared layers and
parameters) with minigan and with torch, applies the same random sequence of API calls to both
(assigning, deleting and registering attributes, container edits, train/eval, requires_grad_,
dtype casts, state_dict and load_state_dict) and, after each call, compares what a learner can
observe: whether the call raised, the names, order, values, dtypes and flags that the traversals
and ``state_dict`` give. Fixed seeds: the same calls on every run.

Left out on purpose, where minigan differs knowingly or torch's own behaviour is a quirk: attributes set on
containers and ModuleList
inserts outside 0..len (torch's containers then misnumber), a refused load_state_dict (torch has loaded
the keys that fitted, minigan none), and a
checkpoint without a batch norm's ``num_batches_tracked`` for a layer shared under two names (torch fills
the count from the value it loaded under the other name, minigan keeps the layer's own). Among the leaves are
parametrized Linears; calls inside their ``parametrizations`` are left out (torch's class property outlives edits
there), and so are a module, a Parameter or a register_* under a parametrized name (see _attribute_calls).

Below it, one test per divergence the fuzzer (or a hand-picked case) found, each failing without its fix.
"""

from collections import OrderedDict

import numpy as np
import pytest

import minigan as mg
from minigan import nn
from torch_peer import needs_mirrored_torch

torch = pytest.importorskip("torch")

NAMES = ["w", "v", "layer", "body", "weight", "bias"]  # few, so that calls meet each other's attributes


class _Side:
    """One library's view: its nn, how to make a tensor from a NumPy array, and how to read one back."""

    def __init__(self, lib):
        self.is_torch = lib == "torch"
        self.nn = torch.nn if self.is_torch else nn
        self.Custom = type("Custom", (self.nn.Module,), {"forward": lambda self, x: x})
        self.Doubled = type("Doubled", (self.nn.Module,), {"forward": lambda self, x: 2 * x,  # a parametrization
                                                           "right_inverse": lambda self, x: x / 2})

    def tensor(self, a):
        a = np.array(a)  # a copy (and an array, also of one number)
        return torch.from_numpy(a) if self.is_torch else mg.tensor(a)

    def numpy(self, t):
        return t.detach().numpy() if self.is_torch else t.numpy()

    def no_grad(self):
        return torch.no_grad() if self.is_torch else mg.no_grad()


SIDES = (_Side("minigan"), _Side("torch"))


def _leaf(side, spec):
    """A layer from a spec (kind, values): the same weights and buffers in both libraries."""
    kind, values = spec
    layer = {
        "Linear": lambda: side.nn.Linear(2, 3),
        "LinearNoBias": lambda: side.nn.Linear(2, 3, bias=False),
        "BatchNorm1d": lambda: side.nn.BatchNorm1d(3),
        "BatchNorm1dPlain": lambda: side.nn.BatchNorm1d(3, affine=False, track_running_stats=False),
        "ReLU": side.nn.ReLU, "Tanh": side.nn.Tanh, "Identity": side.nn.Identity,
        "Flatten": side.nn.Flatten, "Dropout": side.nn.Dropout,
        "SpectralNormLinear": lambda: side.nn.utils.parametrizations.spectral_norm(side.nn.Linear(2, 3)),
        "WeightNormLinear": lambda: side.nn.utils.parametrizations.weight_norm(side.nn.Linear(2, 3)),
        "DoubledLinear": lambda: side.nn.utils.parametrize.register_parametrization(side.nn.Linear(2, 3), "weight",
                                                                                    side.Doubled()),
    }[kind]()
    with side.no_grad():
        for (name, t), a in zip(layer.state_dict().items(), values):
            t.copy_(side.tensor(a.astype(side.numpy(t).dtype)))  # the state_dict's tensors are the layer's own
    return layer


def _random_leaf(rng):
    kind = rng.choice(["Linear", "LinearNoBias", "BatchNorm1d", "BatchNorm1dPlain", "ReLU", "Tanh", "Identity",
                       "Flatten", "Dropout", "SpectralNormLinear", "WeightNormLinear", "DoubledLinear"])
    shapes = {"Linear": [(3, 2), (3,)], "LinearNoBias": [(3, 2)],
              "BatchNorm1d": [(3,), (3,), (3,), (3,), ()],  # (state_dict's order: bias, then the parametrized weight)
              "SpectralNormLinear": [(3,), (3, 2), (3,), (2,)], "WeightNormLinear": [(3,), (3, 1), (3, 2)],
              "DoubledLinear": [(3,), (3, 2)]}.get(kind, [])
    return str(kind), [rng.integers(-9, 9, size=s).astype(np.float32) / 4 for s in shapes]


def _random_tree(rng, depth=0):
    """A spec of a random module tree: ("leaf", spec) or (container kind, [(name, subtree), ...])."""
    if depth == 2 or rng.random() < 0.35:
        return ("leaf", _random_leaf(rng))
    kind = str(rng.choice(["Sequential", "SequentialDict", "ModuleList", "ModuleDict", "Custom"]))
    names = [str(name) for name in rng.choice(NAMES, size=3, replace=False)]
    return (kind, [(names[i], _random_tree(rng, depth + 1)) for i in range(int(rng.integers(1, 4)))])


def _build(side, spec):
    kind, body = spec
    if kind == "leaf":
        return _leaf(side, body)
    children = [(name, _build(side, sub)) for name, sub in body]
    if kind == "Sequential":
        return side.nn.Sequential(*[m for _, m in children])
    if kind == "SequentialDict":
        return side.nn.Sequential(OrderedDict(children))
    if kind == "ModuleList":
        return side.nn.ModuleList([m for _, m in children])
    if kind == "ModuleDict":
        return side.nn.ModuleDict(OrderedDict(children))
    module = side.Custom()
    for name, m in children:
        setattr(module, name, m)
    return module


def _kind(m):
    """A module's class name; torch's parametrized Linear has a class of its own, ParametrizedLinear."""
    return type(m).__name__.removeprefix("Parametrized")


def _observe(side, root):
    """Everything a learner sees of a module tree, as plain Python values (comparable across libraries)."""
    seen = {}
    for rd in (True, False):
        seen[f"modules{rd}"] = [(n, _kind(m), m.training, [c for c, _ in m.named_children()])
                                for n, m in root.named_modules(remove_duplicate=rd)]
        seen[f"parameters{rd}"] = [(n, side.numpy(p).tolist(), str(side.numpy(p).dtype), p.requires_grad)
                                   for n, p in root.named_parameters(remove_duplicate=rd)]
        seen[f"buffers{rd}"] = [(n, side.numpy(b).tolist(), str(side.numpy(b).dtype))
                                for n, b in root.named_buffers(remove_duplicate=rd)]
    seen["apply"] = []
    root.apply(lambda m: seen["apply"].append(_kind(m)))  # children before their parent
    seen["parameters(recurse=False)"] = [n for n, _ in root.named_parameters(prefix="p", recurse=False)]
    seen["state_dict"] = [(k, side.numpy(t).tolist(), str(side.numpy(t).dtype)) for k, t in root.state_dict().items()]
    seen["keep_vars"] = [(k, isinstance(t, side.nn.Parameter)) for k, t in root.state_dict(keep_vars=True).items()]
    seen["prefix"] = list(root.state_dict(prefix="net."))
    seen["containers"] = [(n, len(m), [_kind(c) for c in m]) for n, m in root.named_modules()
                          if isinstance(m, (side.nn.Sequential, side.nn.ModuleList, side.nn.ModuleDict))]
    try:  # the text is not compared; but it must not crash where torch's does not
        repr(root)
        seen["repr"] = "printed"
    except AttributeError:  # an attribute that extra_repr reads was deleted: torch's Linear fails too
        seen["repr"] = "AttributeError"
    return seen


def _internal(path):
    """Whether `path` is inside a parametrization's machinery (torch's class property outlives edits there)."""
    return "parametrizations" in path.split(".")


def _random_call(rng, root):
    """A random API call on a module of `root`, as (description, function of (side, its root))."""
    path = str(rng.choice([n for n, _ in root.named_modules() if not _internal(n)]))
    target = root.get_submodule(path)
    leaf = _random_leaf(rng)
    at = lambda s, r: r.get_submodule(path)  # noqa: E731
    calls = [
        (f"{path}.train(False)", lambda s, r: at(s, r).train(False)),
        (f"{path}.train()", lambda s, r: at(s, r).train()),
        (f"{path}.requires_grad_(False)", lambda s, r: at(s, r).requires_grad_(False)),
        (f"{path}.requires_grad_()", lambda s, r: at(s, r).requires_grad_()),
        (f"{path}.double()", lambda s, r: at(s, r).double()),
        (f"{path}.float()", lambda s, r: at(s, r).float()),
        (f"{path}.half()", lambda s, r: at(s, r).half()),
    ]
    if isinstance(target, (nn.Sequential, nn.ModuleList, nn.ModuleDict)):  # torch's containers assume their own names
        calls += _container_calls(rng, path, target, leaf)
    else:
        calls += _attribute_calls(rng, root, path, target, leaf)
    calls += _loading_calls(rng, root)
    return calls[int(rng.integers(len(calls)))]


def _attribute_calls(rng, root, path, target, leaf):
    """Assigning, deleting and registering attributes of the module at `path` (not a container)."""
    at = lambda s, r: r.get_submodule(path)  # noqa: E731
    name = str(rng.choice(NAMES))
    value = rng.integers(-9, 9, size=int(rng.integers(1, 4))).astype(np.float32) / 4
    calls = [
        (f"{path}.{name} = Parameter", lambda s, r: setattr(at(s, r), name, s.nn.Parameter(s.tensor(value)))),
        (f"{path}.{name} = {leaf[0]}()", lambda s, r: setattr(at(s, r), name, _leaf(s, leaf))),
        (f"{path}.{name} = 3", lambda s, r: setattr(at(s, r), name, 3)),
        (f"{path}.{name} = tensor", lambda s, r: setattr(at(s, r), name, s.tensor(value))),
        (f"del {path}.{name}", lambda s, r: delattr(at(s, r), name)),
    ]
    if name in getattr(target, "parametrizations", {}):  # a parametrized tensor: set through right_inverse, or
        return calls[2:]  # refused (torch registers a module assigned to it as a child its property hides, and its
        # refusals of a Parameter or a register_* read the property: power iteration, whose rounding differs)
    if name in target._parameters or name in target._buffers:  # None empties the slot, in both libraries
        calls.append((f"{path}.{name} = None", lambda s, r: setattr(at(s, r), name, None)))
    for persistent in (True, False):
        calls.append((f"{path}.register_buffer({name!r}, persistent={persistent})",
                      lambda s, r, p=persistent: at(s, r).register_buffer(name, s.tensor(value), persistent=p)))
    for bad in (name, "a.b", ""):
        calls.append((f"{path}.register_parameter({bad!r})",
                      lambda s, r, b=bad: at(s, r).register_parameter(b, s.nn.Parameter(s.tensor(value)))))
        calls.append((f"{path}.add_module({bad!r}, {leaf[0]}())",
                      lambda s, r, b=bad: at(s, r).add_module(b, _leaf(s, leaf))))
    leaves = [n for n, m in root.named_modules() if not list(m.children()) and n != path and not _internal(n)]
    if leaves:  # (never a cycle)
        shared = str(rng.choice(leaves))
        calls.append((f"{path}.{name} = the layer at {shared!r}",
                      lambda s, r: setattr(at(s, r), name, r.get_submodule(shared))))
    params = [n for n, _ in root.named_parameters()]
    if params:
        tied = str(rng.choice(params))
        calls.append((f"{path}.{name} = the parameter {tied!r}",
                      lambda s, r: setattr(at(s, r), name, r.get_parameter(tied))))
    return calls


def _container_calls(rng, path, target, leaf):
    """Editing the Sequential, ModuleList or ModuleDict at `path` (none for another module)."""
    at = lambda s, r: r.get_submodule(path)  # noqa: E731
    new = lambda s: _leaf(s, leaf)  # noqa: E731
    if isinstance(target, nn.ModuleDict):
        key = str(rng.choice(NAMES + ["extra"]))
        return [(f"{path}[{key!r}] = {leaf[0]}()", lambda s, r: at(s, r).__setitem__(key, new(s))),
                (f"{path}.pop({key!r})", lambda s, r: at(s, r).pop(key)),
                (f"del {path}[{key!r}]", lambda s, r: at(s, r).__delitem__(key)),
                (f"{path}.update({key!r}: {leaf[0]}())", lambda s, r: at(s, r).update({key: new(s)})),
                (f"{path}.clear()", lambda s, r: at(s, r).clear())]
    if not isinstance(target, (nn.Sequential, nn.ModuleList)):
        return []
    n = len(target)
    i = int(rng.integers(-n - 1, n + 1))
    calls = [(f"{path}.append({leaf[0]}())", lambda s, r: at(s, r).append(new(s))),
             (f"{path}.extend([{leaf[0]}()])", lambda s, r: at(s, r).extend([new(s)])),
             (f"{path}[{i}] = {leaf[0]}()", lambda s, r: at(s, r).__setitem__(i, new(s))),
             (f"del {path}[{i}]", lambda s, r: at(s, r).__delitem__(i)),
             (f"{path}.pop({i})", lambda s, r: at(s, r).pop(i)),
             (f"del {path}[::2]", lambda s, r: at(s, r).__delitem__(slice(None, None, 2)))]
    numbered = [name for name, _ in target.named_children()] == [str(k) for k in range(n)]  # as torch's insert assumes
    if numbered and (isinstance(target, nn.Sequential) or 0 <= i <= n):  # torch's ModuleList.insert: 0..len only
        calls.append((f"{path}.insert({i}, {leaf[0]}())", lambda s, r: at(s, r).insert(i, new(s))))
    if isinstance(target, nn.Sequential):
        calls.append((f"{path} += Sequential({leaf[0]}())",
                      lambda s, r: at(s, r).__iadd__(s.nn.Sequential(new(s)))))
    return calls


def _loading_calls(rng, root):
    """load_state_dict of new values, with a key left out, one unexpected, one cast or one mis-shaped."""
    state = root.state_dict()
    values = OrderedDict((k, rng.integers(-9, 9, size=t.shape).astype(t.numpy().dtype)) for k, t in state.items())
    keys = list(values)
    change = str(rng.choice(["none", "drop", "extra", "float64", "shape"])) if keys else "extra"
    key = str(rng.choice(keys)) if keys else None
    if change == "drop" and not key.endswith("num_batches_tracked"):  # an old checkpoint: see the module docstring
        del values[key]
    elif change == "extra":
        values["extra.weight"] = np.zeros(2, np.float32)
    elif change == "float64":
        values[key] = values[key].astype(np.float64)  # torch casts to the target's dtype
    elif change == "shape":
        values[key] = np.zeros((7,), np.float32)
    strict = bool(rng.integers(2))

    def load(side, root):
        before = OrderedDict((k, t.clone()) for k, t in root.state_dict().items())
        try:
            return tuple(root.load_state_dict(OrderedDict((k, side.tensor(v)) for k, v in values.items()), strict))
        except Exception:
            root.load_state_dict(before)  # torch loads the keys that fit before it raises; minigan loads none
            raise

    def add_one(side, root):  # the state_dict's tensors share the module's memory
        with side.no_grad():
            root.state_dict()[key] += 1

    calls = [(f"load_state_dict({change} {key}, strict={strict})", load)]
    if key is not None and change != "extra":
        calls.append((f"state_dict()[{key!r}] += 1", add_one))
    return calls


def _fuzz(seed, steps):
    rng = np.random.default_rng(seed)
    spec = _random_tree(rng)
    roots = [_build(side, spec) for side in SIDES]
    log = [f"tree {spec[0]}"]
    for _ in range(steps):
        what, call = _random_call(rng, roots[0])
        results = []
        for side, root in zip(SIDES, roots):
            try:
                out = call(side, root)
                results.append(("returned", repr(out) if what.startswith("load") else ""))
            except Exception as error:  # noqa: BLE001 -- compared: both libraries must refuse the same calls
                results.append(("raised", f"{type(error).__name__}: {error}"))
        log.append(f"{what} -> {results[0][0]}")
        ours, theirs = (_observe(side, root) for side, root in zip(SIDES, roots))
        assert results[0][0] == results[1][0], f"seed {seed}: {' / '.join(log)}: minigan {results[0]}, " \
                                               f"torch {results[1]}"
        if what.startswith("load") and results[0][0] == "returned":  # the same missing and unexpected keys
            assert results[0][1] == results[1][1], f"seed {seed}: {' / '.join(log)}: {results}"
        for key in theirs:
            assert ours[key] == theirs[key], f"seed {seed}: after {' / '.join(log)}: {key} differs"


@pytest.mark.parametrize("seed", range(8))
def test_random_module_api_calls_match_torch(seed):
    needs_mirrored_torch("Module API (its answers to odd calls changed between versions)")
    _fuzz(seed, steps=40)


# ------------------------------------------------------------------ what the fuzzer and hand-picked cases found
def test_registered_names_are_checked_as_torch_checks_them():
    for lib in (nn, torch.nn):  # torch refuses each, and so does minigan now (it used to accept them all)
        m = lib.Linear(2, 2)
        param = lib.Parameter(torch.zeros(1) if lib is torch.nn else mg.zeros(1))
        for register in (lambda name: m.register_parameter(name, param),
                         lambda name: m.register_buffer(name, torch.zeros(1) if lib is torch.nn else mg.zeros(1)),
                         lambda name: m.add_module(name, lib.ReLU()), lambda name: m.register_module(name, lib.ReLU())):
            for name in ("a.b", "", "train", "in_features"):  # a dot, empty, a method, a plain attribute
                with pytest.raises(KeyError):
                    register(name)
            with pytest.raises(TypeError):
                register(3)
        assert [n for n, _ in m.named_parameters()] == ["weight", "bias"] and not list(m.children())
        with pytest.raises(KeyError):
            m.add_module("weight", lib.ReLU())  # a parameter's name: the weight would silently stop being trained
    m = nn.Linear(2, 2)
    for call, message in [
        (lambda: m.add_module("a.b", nn.ReLU()), r"Linear.add_module\('a.b'\): a name can't be empty or contain '.' "
                                                 r"\(dots separate the names of submodules in state_dict\(\) keys\)"),
        (lambda: m.register_parameter("", nn.Parameter(mg.zeros(1))), r"Linear.register_parameter\(''\): a name can't"),
        (lambda: m.register_module("train", nn.ReLU()), r"Linear.add_module\('train'\): the module already has an "
                                                        r"attribute 'train' \(a method\); choose another name"),
        (lambda: m.register_buffer("weight", mg.zeros(1)), r"attribute 'weight' \(a parameter\)"),
        (lambda: m.add_module(0, nn.ReLU()), r"Linear.add_module\(0\): the name must be a string, got int"),
    ]:
        with pytest.raises((KeyError, TypeError), match=message):
            call()
    m.train()  # still the method


def test_a_name_left_none_can_be_registered():
    layer = nn.Module()
    layer.bias = None  # a layer built without a bias: registering one later is fine
    layer.register_parameter("bias", nn.Parameter(mg.zeros(2)))
    layer.head = nn.Linear(2, 2)
    layer.head = None  # keeps an empty slot, as in torch: add_module fills it in its place
    layer.add_module("head", nn.Tanh())
    assert [n for n, _ in layer.named_parameters()] == ["bias"] and [n for n, _ in layer.named_children()] == ["head"]


def test_assigning_a_value_that_is_not_a_module_to_a_child_is_refused_as_in_torch():
    for lib, value in ((nn, mg.zeros(2)), (nn, 3), (torch.nn, torch.zeros(2))):
        model = lib.Sequential(lib.Linear(2, 2))
        model.head = head = lib.Linear(2, 1)
        with pytest.raises(TypeError, match="child module"):
            model.head = value  # minigan dropped the layer silently: no longer trained, saved or moved
        assert model.head is head and [n for n, _ in model.named_children()] == ["0", "head"]
    with pytest.raises(TypeError, match=r"Sequential.head is a child module: cannot assign a int to it \(nn.Module "
                                        r"or None expected, as in torch\).*first `del module.head`"):
        model = nn.Sequential()
        model.head = nn.Linear(2, 1)
        model.head = 3


def test_named_parameters_and_buffers_take_remove_duplicate_and_give_a_shared_buffer_once():
    results = []
    for lib, zeros in ((nn, mg.zeros), (torch.nn, torch.zeros)):
        shared = lib.Linear(2, 2)
        model = lib.Sequential(shared, lib.BatchNorm1d(2), shared)
        model[1].register_buffer("mask", zeros(2))
        model[1].register_buffer("alias", model[1].mask)  # the same tensor under two names
        results.append([[n for n, _ in getattr(model, f"named_{what}")(prefix="m", remove_duplicate=rd)]
                        for what in ("parameters", "buffers") for rd in (True, False)])
    assert results[0] == results[1]
    assert results[0][1] == ["m.0.weight", "m.0.bias", "m.1.weight", "m.1.bias", "m.2.weight", "m.2.bias"]
    assert "m.1.alias" not in results[0][2] and "m.1.alias" in results[0][3]  # it was listed twice


def test_state_dict_takes_prefix_and_keep_vars():
    results = []
    for lib in (nn, torch.nn):
        model = lib.Sequential(lib.Linear(2, 2), lib.BatchNorm1d(2))
        kept = model.state_dict(prefix="net.", keep_vars=True)
        assert kept["net.0.weight"] is model[0].weight and kept["net.1.running_mean"] is model[1].running_mean
        assert not model.state_dict()["0.weight"].requires_grad
        results.append(list(kept))
    assert results[0] == results[1]


def test_train_wants_a_bool_and_calls_each_childs_own_train():
    for lib in (nn, torch.nn):
        class FrozenNorm(lib.BatchNorm1d):  # a common override: batch norm kept in eval mode
            def train(self, mode=True):
                return super().train(False)

        model = lib.Sequential(lib.Linear(2, 2), FrozenNorm(2))
        model.train()
        assert model.training and model[0].training and not model[1].training  # minigan set it to True
        for bad in ("False", 0, None):
            with pytest.raises(ValueError):
                model.eval().train(bad)  # "False" and 1 used to mean True silently
            assert not model.training
        with pytest.raises(TypeError):
            model.requires_grad_("no")
        assert all(p.requires_grad for p in model.parameters())
    with pytest.raises(ValueError, match=r"Sequential.train: mode must be True or False, got str 'False'; for "
                                         r"evaluation mode call .eval\(\)"):
        nn.Sequential().train("False")
    with pytest.raises(TypeError, match=r"Sequential.requires_grad_: expected True or False, got int 0"):
        nn.Sequential().requires_grad_(0)


def test_half_casts_the_float_tensors_only_as_torch():
    dtypes = []
    for lib in (nn, torch.nn):
        model = lib.Sequential(lib.Linear(2, 2), lib.BatchNorm1d(2))
        assert model.half() is model
        dtypes.append([str(t.dtype).replace("torch.", "") for t in model.state_dict().values()])
    assert dtypes[0] == dtypes[1] == ["float16"] * 6 + ["int64"]


def test_sequential_and_module_list_pop_and_sequential_plus_equals_in_place():
    for lib in (nn, torch.nn):
        a, b, c = lib.Linear(1, 1), lib.ReLU(), lib.Tanh()
        for container in (lib.Sequential(a, b, c), lib.ModuleList([a, b, c])):
            assert container.pop(1) is b and list(container) == [a, c]
            assert container.pop(-1) is c and list(container) == [a]
            assert [n for n, _ in container.named_children()] == ["0"]
        seq = lib.Sequential(a)
        parent = lib.Sequential(seq)
        alias = parent[0]
        alias += lib.Sequential(b)  # the Sequential itself grows (minigan made a new one: parent was unchanged)
        assert alias is seq and list(parent[0]) == [a, b]
        with pytest.raises(ValueError):
            alias += [c]


def test_module_dict_keys_and_attributes_stay_one():
    d = nn.ModuleDict({"a": nn.ReLU()})
    d.b = nn.Tanh()
    d["b"] = new = nn.Sigmoid()
    assert d.b is new  # the attribute was left on the old layer
    del d.a  # an AttributeError, after the key had already gone
    assert list(d) == ["b"] and not hasattr(d, "a")
    assert d.pop("b") is new and not hasattr(d, "b")  # the attribute outlived the key
    d.c = nn.Tanh()
    d.clear()
    assert len(d) == 0 and not hasattr(d, "c")
    for bad, message in [(nn.ReLU(), r"ModuleDict.update expects a dict of key -> module or \(key, module\) pairs, "
                                     r"got ReLU"),
                         ([nn.ReLU()], r"ModuleDict.update: element 0 should be a \(key, module\) pair, got ReLU"),
                         ([("x", nn.ReLU(), 3)], r"element 0 should be a \(key, module\) pair, got tuple")]:
        with pytest.raises(TypeError, match=message):  # were bare Python errors ('ReLU' object is not iterable)
            d.update(bad)


def test_load_state_dict_names_a_value_that_is_not_a_tensor():
    model = nn.Linear(2, 2)
    with pytest.raises(ValueError, match=r"weight: checkpoint has a NoneType, not a tensor or array"):
        model.load_state_dict({"weight": None, "bias": mg.zeros(2)})  # was "checkpoint has shape ()"
    with pytest.raises(RuntimeError, match="expected torch.Tensor"):  # torch refuses it too
        torch.nn.Linear(2, 2).load_state_dict({"weight": None, "bias": torch.zeros(2)})


def test_get_parameter_of_an_empty_slot_is_an_error_as_in_torch():
    model = nn.Sequential(nn.Linear(2, 2))
    model[0].weight = None
    with pytest.raises(AttributeError, match=r"get_parameter\('0.weight'\): Linear's parameter 'weight' is None "
                                             r"\(an empty slot\); its parameters are bias"):
        model.get_parameter("0.weight")  # returned None
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 2))
    theirs[0].weight = None
    with pytest.raises(AttributeError):
        theirs.get_parameter("0.weight")


@pytest.mark.parametrize("make", [lambda lib: lib.Linear(3, 2, bias=False), lambda lib: lib.Conv2d(1, 2, 3, bias=False),
                                  lambda lib: lib.ConvTranspose2d(1, 2, 3, bias=False),
                                  lambda lib: lib.BatchNorm2d(2, affine=False, track_running_stats=False),
                                  lambda lib: lib.LayerNorm(2, elementwise_affine=False),
                                  lambda lib: lib.GroupNorm(1, 2, affine=False)])
def test_a_layer_built_without_a_bias_or_statistics_keeps_empty_slots_as_torch(make):
    # they were plain None attributes: `linear.bias = mg.ones(2)` was accepted, used by forward, never trained
    # or saved; torch registers empty slots, which take a Parameter (in its place) or None only
    ours, theirs = make(nn), make(torch.nn)
    empty = [name for name in ("bias", "weight", "running_mean", "running_var", "num_batches_tracked")
             if hasattr(theirs, name) and getattr(theirs, name) is None]
    assert empty and all(getattr(ours, name) is None for name in empty)
    for name in empty:
        if name in theirs._parameters:
            with pytest.raises(TypeError, match=f"{name} is a parameter: cannot assign a Tensor"):
                setattr(ours, name, mg.ones(2))
        else:  # a buffer's slot takes a tensor, as torch's does
            setattr(ours, name, mg.ones(2))
            setattr(theirs, name, torch.ones(2))
    assert list(ours.state_dict()) == list(theirs.state_dict())
    if "bias" in theirs._parameters:  # a Parameter given later takes the slot's place, as in torch
        ours.bias, theirs.bias = nn.Parameter(mg.zeros(2)), torch.nn.Parameter(torch.zeros(2))
        assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
