"""The readability standard, checked by reading minigan's own source (``ast``, ``inspect``, ``tokenize``).

"Each op is one unit with forward and backward together and a one-line math comment of its derivative.
No global state beyond ``no_grad`` and the default device; no monkey-patching; no circular imports."

The rules, exactly as checked:

1. Ops. An op is a subclass of ``minigan.Function`` defined in minigan. Its ``forward`` and ``backward``
   are each defined in its own class body, or inherited from an op base class in minigan that has a
   docstring explaining the family (never from Function itself, whose stubs only raise).
2. Derivative comment. The first ``#`` comment of the ``backward`` an op uses (from its ``def`` line
   on) is maths stating the derivative, in one of three notations (``DERIVATIVE`` below):
   Leibniz ``d<...>/d<x>`` (``d(ab)/da``, ``d|x|/dx``, ``dL/dx``, ``d/dx``), a partial ``∂``, or a
   gradient equation ``gx = ...``, ``gW = ...``, ``ggw = ...`` (g or gg, one letter, an optional
   ``_subscript``). Words alone ("cast the gradient back") do not count. Only where ``backward``
   has no comment at all may the class docstring carry it instead.
3. Global state. No function rebinds a module-level name (``global``), and no function mutates a
   module-level list, dict or set (item assignment or deletion, ``+=``, or a call such as
   ``.append``, ``.update``, ``.clear``), except the names in ``STATE_ALLOWED``, each with its reason.
   Containers that are only read (tables of defaults, checksums) are constants.
4. Monkey-patching. No assignment or deletion of an attribute of an imported name (``np.x = ...``,
   ``ag.Tensor.f = ...``) or of a module-level class from outside its body (``Tensor.__add__ = add``),
   and no ``setattr``/``delattr`` on either, anywhere in the package.
5. Circular imports. The import graph of minigan's modules (imports at module level, and also those
   inside functions) has no cycle; and each submodule imports on its own as the first minigan import
   of a fresh interpreter. Importing any submodule runs ``minigan/__init__.py`` first, so for the
   modules that ``import minigan`` loads the order of imports is always that one; each of the others
   is imported first right after ``import minigan``, in one subprocess for all (between two, the
   modules ``import minigan`` did not load are dropped from ``sys.modules`` and from their package).

Each checker is also run on a small offending example: a checker that finds nothing there is broken.
"""

import ast
import functools
import importlib
import inspect
import io
import pkgutil
import re
import subprocess
import sys
import textwrap
import tokenize
from pathlib import Path

import minigan
from minigan import Function

PACKAGE = Path(minigan.__file__).parent

DERIVATIVE = re.compile(
    r"∂"  # a partial derivative
    r"|\bd.{0,40}?/\s*d\w"  # Leibniz: d(ab)/da, d|x|/dx, d max(x)/dx_i, dL/dx, d/dx
    r"|\bg{1,2}[A-Za-z](?:_\w+)?\s*=(?!=)"  # a gradient equation: gx = ..., gW = ..., ggw = ..., gx_k = ...
)

# (module path relative to minigan/, name) -> why this module-level state is allowed
STATE_ALLOWED = {
    ("autograd.py", "_grad_enabled"): "the no_grad switch",
    ("backend.py", "_default_device"): "the default device",
    ("backend.py", "_cupy"): "cache of the lazy CuPy import (documented where it is defined)",
    ("backend.py", "_cupy_error"): "cache of the lazy CuPy import: why it failed",
    ("backend.py", "_adam_kernel"): "cache of the CUDA kernel CuPy compiles on first use (documented)",
    ("backend.py", "_seed"): "the global random generators of manual_seed, as torch's (documented)",
    ("backend.py", "_generators"): "the global random generators of manual_seed, as torch's (documented)",
}

MUTATORS = {"append", "extend", "insert", "pop", "popitem", "remove", "clear", "update", "setdefault", "add",
            "discard", "sort", "reverse", "__setitem__", "__delitem__"}
CONTAINER_CALLS = {"list", "dict", "set", "defaultdict", "OrderedDict", "deque", "Counter"}


@functools.cache
def _sources():
    """(path relative to minigan/, source text) of every module in the package."""
    return [(str(path.relative_to(PACKAGE)), path.read_text(encoding="utf-8"))
            for path in sorted(PACKAGE.rglob("*.py"))]


@functools.cache
def _parse(source):
    return ast.parse(source)


def _module_names():
    """Every minigan module's dotted name, except __main__ (importing it runs the command line)."""
    names = ["minigan"]
    for info in pkgutil.walk_packages(minigan.__path__, "minigan."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return names


def _ops():
    """Every Function subclass defined in minigan, after importing all of minigan's modules."""
    for name in _module_names():
        importlib.import_module(name)
    found, todo = set(), [Function]
    while todo:
        for sub in todo.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                todo.append(sub)
    return sorted((c for c in found if c.__module__.split(".")[0] == "minigan"), key=lambda c: c.__qualname__)


def _first_comment(function):
    """The text of the first # comment in a function's source, or None."""
    source = textwrap.dedent(inspect.getsource(function))
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type == tokenize.COMMENT:
            return token.string.lstrip("#").strip()
    return None


def _owner(cls, method):
    return next(k for k in cls.__mro__ if method in vars(k))


def _structure_offenders(ops):
    """Ops whose forward or backward is Function's stub or comes from an undocumented base."""
    bad = []
    for cls in ops:
        for method in ("forward", "backward"):
            owner = _owner(cls, method)
            if owner is Function:
                bad.append(f"{cls.__module__}.{cls.__qualname__}: no {method} (only Function's stub)")
            elif owner is not cls and not (owner.__doc__ or "").strip():
                bad.append(f"{cls.__module__}.{cls.__qualname__}: {method} inherited from {owner.__qualname__}, "
                           "which has no docstring explaining the family")
    return bad


def _derivative_offenders(ops):
    """Ops whose backward's first comment (or, with none, class docstring) states no derivative."""
    bad = []
    for cls in ops:
        owner = _owner(cls, "backward")
        if owner is Function:
            continue  # reported by the structure rule
        comment = _first_comment(vars(owner)["backward"])
        text = comment if comment is not None else (owner.__doc__ or "")
        if not DERIVATIVE.search(text):
            where = f"{inspect.getsourcefile(owner)}:{inspect.getsourcelines(owner)[1]}"
            bad.append(f"{owner.__module__}.{owner.__qualname__} ({where}): {text!r}")
    return bad


def _state_offenders(path, source, allowed=STATE_ALLOWED):
    """Module-level names rebound (`global`) or mutated (lists, dicts, sets) inside functions, not allowed."""
    tree = _parse(source)
    containers = set()
    for node in tree.body:
        if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None:
            value = node.value
            call = isinstance(value, ast.Call) and getattr(value.func, "id", getattr(value.func, "attr", None))
            if isinstance(value, (ast.List, ast.Dict, ast.Set, ast.ListComp, ast.DictComp, ast.SetComp)) or (
                call in CONTAINER_CALLS
            ):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                containers |= {t.id for t in targets if isinstance(t, ast.Name)}
    bad = set()
    for function in ast.walk(tree):
        if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        local = {a.arg for a in ast.walk(function.args) if isinstance(a, ast.arg)}
        local |= {n.id for n in ast.walk(function) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
        for node in ast.walk(function):
            if isinstance(node, ast.Global):
                bad |= {(name, node.lineno) for name in node.names}
                continue
            target = None
            if isinstance(node, (ast.Subscript, ast.Attribute)) and isinstance(node.ctx, (ast.Store, ast.Del)):
                target = node.value
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
                target = node.func.value
            if isinstance(target, ast.Name) and target.id in containers and target.id not in local:
                bad.add((target.id, node.lineno))
    return sorted(f"{path}:{line}: module-level {name}" for name, line in bad if (path, name) not in allowed)


def _patch_offenders(path, source):
    """Attributes of imported names, or of module-level classes from outside their body, set or deleted."""
    tree = _parse(source)
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.asname or a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported |= {a.asname or a.name for a in node.names}
    classes = {node.name for node in tree.body if isinstance(node, ast.ClassDef)}

    def root(e):
        while isinstance(e, (ast.Attribute, ast.Subscript, ast.Call)):
            e = e.func if isinstance(e, ast.Call) else e.value
        return e.id if isinstance(e, ast.Name) else None

    bad = []
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, (ast.Assign, ast.Delete)):
            targets = list(node.targets)
        elif isinstance(node, (ast.AugAssign, ast.AnnAssign)):
            targets = [node.target]
        while targets:
            t = targets.pop()
            if isinstance(t, (ast.Tuple, ast.List, ast.Starred)):
                targets.extend(t.elts if not isinstance(t, ast.Starred) else [t.value])
            elif isinstance(t, ast.Attribute) and root(t) in imported | classes:
                bad.append(f"{path}:{node.lineno}: {ast.unparse(t)}")
        if (isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("setattr", "delattr") and node.args
                and root(node.args[0]) in imported | classes):
            bad.append(f"{path}:{node.lineno}: {ast.unparse(node)}")
    return bad


def _import_graph():
    """{module: the minigan modules it imports}, from the source (imports anywhere in the module)."""
    sources = {}
    for path, source in _sources():
        parts = list(Path(path).with_suffix("").parts)
        package = parts[-1] == "__init__"
        name = ".".join(["minigan"] + (parts[:-1] if package else parts))
        sources[name] = (source, name if package else name.rpartition(".")[0])
    graph = {}
    for name, (source, package) in sources.items():
        edges = set()
        for node in ast.walk(_parse(source)):
            if isinstance(node, ast.Import):
                edges |= {a.name for a in node.names if a.name.split(".")[0] == "minigan"}
            elif isinstance(node, ast.ImportFrom):
                base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                if target.split(".")[0] == "minigan":  # `from x import y`: the module x.y if there is one, else x
                    edges |= {f"{target}.{a.name}" if f"{target}.{a.name}" in sources else target for a in node.names}
        graph[name] = edges - {name}
    return graph


def _cycle(graph):
    """One cycle of the graph as a list of modules, or None."""
    state, path = {}, []

    def visit(u):
        state[u] = "open"
        path.append(u)
        for v in sorted(graph.get(u, ())):
            if state.get(v) == "open":
                return path[path.index(v):] + [v]
            if v not in state and (found := visit(v)):
                return found
        state[u] = "done"
        path.pop()
        return None

    for u in sorted(graph):
        if u not in state and (found := visit(u)):
            return found
    return None


# ------------------------------------------------------------------- the checkers find what they look for
def test_the_checkers_find_offending_code():
    assert DERIVATIVE.search("d(a/b)/db = -a/b^2") and DERIVATIVE.search("gx = gy w") and DERIVATIVE.search("d/dx")
    assert not DERIVATIVE.search("cast the gradient back") and not DERIVATIVE.search("gamma = 1")
    state = "cache = {}\nlog = []\nmode = 1\ndef f():\n    cache['a'] = 1\n    log.append(2)\n" \
            "def g():\n    global mode\n    mode = 2\ndef h(log):\n    log.append(3)\n"
    assert _state_offenders("m.py", state, allowed={}) == ["m.py:5: module-level cache", "m.py:6: module-level log",
                                                           "m.py:8: module-level mode"]
    assert _state_offenders("m.py", state, allowed={("m.py", "cache"), ("m.py", "log"), ("m.py", "mode")}) == []
    patch = "import numpy as np\nfrom .autograd import Tensor\nclass V: pass\nnp.seterr = None\n" \
            "Tensor.__add__ = None\ndef f():\n    V.__mul__ = None\n    setattr(np.random, 'x', 1)\n" \
            "def ok(self, module):\n    self.x = 1\n    setattr(module, 'w', 2)\n"
    assert [line.split(":")[1] for line in _patch_offenders("m.py", patch)] == ["4", "5", "7", "8"]
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None

    class Undocumented(Function):
        def forward(self, x):
            return x

        def backward(self, gy):
            # the same gradient
            return gy

    class Child(Undocumented):
        pass

    assert len(_structure_offenders([Child])) == 2
    assert _derivative_offenders([Undocumented]) and _structure_offenders([Undocumented]) == []


# ------------------------------------------------------------------------------ the package meets them
def test_every_op_has_forward_and_backward_together():
    ops = _ops()
    names = {c.__name__ for c in ops}
    assert {"Add", "Conv2dOp", "BatchNormTrain", "MaxPool2dOp"} <= names  # the search finds the ops
    # an op class the import-time search cannot see (defined inside a function) would still be in the source
    in_source = {node.name for _, source in _sources() for node in ast.walk(_parse(source))
                 if isinstance(node, ast.ClassDef) and any(getattr(b, "id", getattr(b, "attr", "")) == "Function"
                                                           for b in node.bases)}
    assert in_source <= names, f"ops not found by importing minigan: {sorted(in_source - names)}"
    bad = _structure_offenders(ops)
    assert not bad, "ops without forward and backward together:\n" + "\n".join(bad)


def test_every_backward_states_its_derivative_in_a_math_comment():
    bad = _derivative_offenders(_ops())
    assert not bad, ("the first comment of these backward()s states no derivative (write it as d(...)/dx, "
                     "dL/dx or gx = ...):\n" + "\n".join(bad))


def test_no_module_level_state_beyond_the_allowed():
    bad = [line for path, source in _sources() for line in _state_offenders(path, source)]
    assert not bad, "module-level state changed by functions (allow it in STATE_ALLOWED, with a reason, " \
                    "or keep it in an object):\n" + "\n".join(bad)
    # every allowed name still exists: a stale entry would hide new state under an old name
    for path, name in STATE_ALLOWED:
        assert re.search(rf"^{name} = ", (PACKAGE / path).read_text(encoding="utf-8"), re.M), (path, name)


def test_no_monkey_patching():
    bad = [line for path, source in _sources() for line in _patch_offenders(path, source)]
    assert not bad, "attributes of imported modules or classes set from outside:\n" + "\n".join(bad)


def test_no_circular_imports():
    graph = _import_graph()
    assert {"minigan.nn.module", "minigan.autograd"} <= graph["minigan.nn.norm"]  # the graph sees relative imports
    cycle = _cycle(graph)
    assert cycle is None, "circular import: " + " -> ".join(cycle)


def test_each_submodule_imports_first_in_a_fresh_interpreter():
    code = textwrap.dedent(f"""
        import importlib, sys
        import minigan
        eager = set(sys.modules)  # minigan/__init__.py and what it imports: the same order, whatever comes first
        for name in {_module_names()!r}:
            if name in eager:
                continue
            for m in [m for m in sys.modules if m.startswith("minigan.") and m not in eager]:
                del sys.modules[m]  # and its attribute on a loaded package, or `from . import m` would find it
                package, _, child = m.rpartition(".")
                if package in eager and child in vars(sys.modules[package]):
                    delattr(sys.modules[package], child)
            try:
                importlib.import_module(name)
            except Exception as e:
                print(f"{{name}}: {{type(e).__name__}}: {{e}}")
        print("done")
    """)
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         cwd=PACKAGE.parent)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "done", "modules that fail to import first:\n" + run.stdout
