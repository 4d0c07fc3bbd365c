"""Fuzzing minigan.save / minigan.load round trips: nothing is lost, or save refuses up front.

Random nested objects of what a learner saves (state dicts, optimizer state, RNG states, settings and
metrics) must load back equal: the same types (bool stays bool, tuple stays tuple), key order, dtypes,
shapes and values bit for bit. The documented conversions are the only differences: a Tensor or an
array loads as a NumPy array (torch.load would give a tensor; load_state_dict takes either), a NumPy
scalar as the Python number it holds, and a NaN held in a Python float as a NaN (JSON writes every
NaN alike; NaNs in arrays keep their bits). One array under two keys loads as one array, as torch's.
What cannot be stored is refused before the file is touched, with its place in the tree named.
"""

import json
import math
import os
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import pytest

import minigan as mg
from minigan import backend, nn

DTYPES = ["bool", "uint8", "int8", "int16", "int32", "int64", "float16", "float32", "float64"]
KEYS = ["", ".", "a.b", "0.weight", "a/b", "0", "-1", "1e3", "nan", "δ键🙂", "x" * 3000, "nul\x00in", "\ud800",
        "__minigan_meta__", "dict", "array", "value", " "]
FLOATS = [0.0, -0.0, 1.5, -2.25e-7, 5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, math.inf, -math.inf,
          math.nan, -math.nan, 0.1]
INTS = [0, -1, 7, 2**31, 2**63, 2**64 + 5, -(2**70), 10**200]
STRINGS = ["", "lr", "δ🙂 unicode", "a\x00b", "0", "1.5", "None", "true", "\ud800", "y" * 5000]


def _array(rng, dtype, shape):
    """Random values of every bit pattern (NaNs with payloads and signs, subnormals, -0.0, inf) for floats."""
    if dtype == "bool":
        return rng.integers(0, 2, size=shape).astype(bool)
    size = math.prod(shape) * np.dtype(dtype).itemsize
    return np.frombuffer(rng.bytes(size), dtype=dtype).reshape(shape).copy()


def _random_array(rng, big=False):
    """An array or a Tensor of a random dtype, shape and memory layout."""
    dtype = DTYPES[rng.integers(len(DTYPES))]
    shape = [(), (0,), (0, 3), (1,), (5,), (3, 4), (2, 3, 4), (2, 1, 3, 2)][rng.integers(8)]
    if big:
        shape = (256, 1024)
    a = _array(rng, dtype, shape)
    layout = rng.integers(8)
    if layout == 1 and a.ndim >= 2:
        a = np.asfortranarray(a)
    elif layout == 2:
        a = a.T  # transposed: Fortran order seen from C
    elif layout == 3 and a.ndim >= 1:
        a = a[::-1]  # negative strides
    elif layout == 4 and a.ndim >= 2:
        a = _array(rng, dtype, (a.shape[0], 2 * a.shape[1]) + a.shape[2:])[:, ::2]  # a strided slice
    elif layout == 5 and a.ndim >= 2:
        a = backend.batch_innermost(a)  # as minigan's convolutions lay out their outputs
    elif layout == 6:
        a = a.astype(a.dtype.newbyteorder(">"))  # big-endian
    elif layout == 7:
        a.flags.writeable = False
    kind = rng.integers(4)
    if kind == 0:
        return mg.tensor(a)
    if kind == 1 and a.dtype.kind == "f" and a.dtype.isnative:
        return nn.Parameter(mg.tensor(a)) if rng.integers(2) else mg.tensor(a, requires_grad=True)
    return a


def _random_leaf(rng):
    pick = rng.integers(10)
    if pick == 0:
        return [None, True, False, np.bool_(True), np.bool_(False)][rng.integers(5)]
    if pick == 1:
        return INTS[rng.integers(len(INTS))]
    if pick == 2:
        return [np.int8(-3), np.uint8(255), np.int64(-(2**63)), np.uint64(2**64 - 1), np.int32(7)][rng.integers(5)]
    if pick == 3:
        return FLOATS[rng.integers(len(FLOATS))]
    if pick == 4:
        kind = [np.float16, np.float32, np.float64][rng.integers(3)]
        with np.errstate(over="ignore"):  # (float16 and float32 round the value, or make it inf: still exact)
            return kind(FLOATS[rng.integers(len(FLOATS))])
    if pick == 5:
        return STRINGS[rng.integers(len(STRINGS))]
    if pick == 6:
        return [{}, [], (), [[]], {"": {}}, ((),)][rng.integers(6)]
    return _random_array(rng)


def _random_tree(rng, pool, depth=0):
    """A random nest of dicts, lists and tuples; `pool` holds the arrays made so far, to reuse some (sharing)."""
    kind = rng.integers(6) if depth < 4 else 5
    if kind <= 2:
        keys = list(dict.fromkeys(KEYS[i] for i in rng.integers(len(KEYS), size=rng.integers(5))))
        return {k: _random_tree(rng, pool, depth + 1) for k in keys}
    if kind == 3:
        return [_random_tree(rng, pool, depth + 1) for _ in range(rng.integers(4))]
    if kind == 4:
        return tuple(_random_tree(rng, pool, depth + 1) for _ in range(rng.integers(4)))
    if pool and rng.random() < 0.15:  # the same array (or a tensor sharing its memory) a second time
        again = pool[rng.integers(len(pool))]
        return again.detach() if isinstance(again, mg.Tensor) else again
    leaf = _random_leaf(rng)
    if isinstance(leaf, (np.ndarray, mg.Tensor)):
        pool.append(leaf)
    return leaf


def _float_bits(x):
    return struct.pack("<d", x)


def assert_round_trip(back, obj, shared, where="obj"):
    """`back` is what `obj` should load as; `shared` maps each saved array's id to what it loaded as."""
    if isinstance(obj, mg.Tensor):
        obj = obj.data
    if isinstance(obj, np.ndarray):
        assert type(back) is np.ndarray, where
        assert back.dtype == obj.dtype and back.shape == obj.shape, where  # (the byte order is part of the dtype)
        assert back.tobytes() == obj.tobytes(), where  # bit for bit, NaN payloads included
        if id(obj) in shared:
            assert back is shared[id(obj)], f"{where}: one array saved twice loads as one array"
        else:
            assert all(back is not other for other in shared.values()), f"{where}: shares with another array"
            shared[id(obj)] = back
        return
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, dict):
        assert type(back) is dict and list(back) == list(obj), where  # same keys, same order
        for k in obj:
            assert_round_trip(back[k], obj[k], shared, f"{where}[{k!r}]")
        return
    if isinstance(obj, (list, tuple)):
        assert type(back) is type(obj) and len(back) == len(obj), where
        for i, (b, o) in enumerate(zip(back, obj)):
            assert_round_trip(b, o, shared, f"{where}[{i}]")
        return
    assert type(back) is type(obj), f"{where}: {type(back).__name__} for {type(obj).__name__}"
    if isinstance(obj, float):
        assert math.isnan(back) if math.isnan(obj) else _float_bits(back) == _float_bits(obj), where
    else:
        assert back == obj, where


def _fuzz(seed, cases, path):
    rng = np.random.default_rng(seed)
    for case in range(cases):
        obj = _random_tree(rng, [])
        mg.save(obj, path)
        assert_round_trip(mg.load(path), obj, {}, f"(case {case}) obj")


def test_random_trees_load_back_equal(tmp_path, monkeypatch):
    real_load = np.load

    def no_pickles(*args, **kwargs):  # load must never allow NumPy to unpickle
        assert kwargs.get("allow_pickle") is False
        return real_load(*args, **kwargs)

    monkeypatch.setattr(np, "load", no_pickles)
    _fuzz(0, 120, tmp_path / "ckpt.npz")
    assert os.listdir(tmp_path) == ["ckpt.npz"]


@pytest.mark.slow
def test_random_trees_load_back_equal_many_seeds(tmp_path):
    for seed in range(1, 11):
        _fuzz(seed, 300, tmp_path / "ckpt.npz")


def test_every_dtype_and_layout_and_a_large_array_load_back_equal(tmp_path):
    rng = np.random.default_rng(1)
    arrays = {}
    for dtype in DTYPES:
        a = _array(rng, dtype, (4, 6))
        arrays[dtype] = [a, a.T, a[::-1, ::-2], np.asfortranarray(a), backend.batch_innermost(a),
                         a.astype(a.dtype.newbyteorder(">")), a[:0], a[0, 0], mg.tensor(a)]
    arrays["large"] = _random_array(rng, big=True)
    mg.save(arrays, tmp_path / "a.npz")
    assert_round_trip(mg.load(tmp_path / "a.npz"), arrays, {})
    assert_round_trip(mg.load(tmp_path / "a.npz", map_location="cpu"), arrays, {})


def test_special_python_values_keep_their_type_and_bits(tmp_path):
    values = {"floats": FLOATS, "ints": INTS, "strings": STRINGS, "bools": [True, False, np.bool_(True)],
              "none": None, "keys": {k: i for i, k in enumerate(KEYS)},
              "numpy": [np.float32(0.1), np.float16(-0.0), np.float64(5e-324), np.uint64(2**64 - 1), np.int8(-128)]}
    mg.save(values, tmp_path / "v.npz")
    back = mg.load(tmp_path / "v.npz")
    assert_round_trip(back, values, {})
    assert back["bools"] == [True, False, True] and all(type(b) is bool for b in back["bools"])  # not 1 and 0
    assert back["numpy"][0] == float(np.float32(0.1)) != 0.1  # the float32's own value, not the decimal
    assert math.copysign(1.0, back["numpy"][1]) == -1.0
    ordered = OrderedDict([("b", 1), ("a", [np.float32(2.0)])])  # a state_dict's OrderedDict loads as a dict
    mg.save(ordered, tmp_path / "o.npz")
    assert list(mg.load(tmp_path / "o.npz").items()) == [("b", 1), ("a", [2.0])]


def test_one_array_under_two_keys_is_stored_once_and_loads_as_one(tmp_path):
    rng = np.random.default_rng(2)
    w = rng.standard_normal((64, 64))
    t = mg.tensor(w.astype(np.float32), requires_grad=True)
    obj = {"a": w, "b": [w, (w,)], "t": t, "t again": t.detach(), "copy": w.copy()}
    mg.save(obj, tmp_path / "s.npz")
    back = mg.load(tmp_path / "s.npz")
    assert back["a"] is back["b"][0] is back["b"][1][0] and back["t"] is back["t again"]
    assert back["copy"] is not back["a"]  # equal values in another array: stored apart
    assert_round_trip(back, obj, {})
    with zipfile.ZipFile(tmp_path / "s.npz") as z:
        assert len(z.namelist()) == 4  # w, t's data and the copy once each, and the description


def test_tied_weights_are_stored_once_and_load_into_a_fresh_model(tmp_path):
    def make():
        mg.manual_seed(3)
        model = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Linear(4, 4))
        model[2].weight = model[0].weight  # tied, as a shared embedding and output layer
        return model

    model = make()
    with mg.no_grad():
        model[0].weight.add_(1.0)
    state = model.state_dict()
    assert state["0.weight"].data is state["2.weight"].data
    mg.save(state, tmp_path / "m.npz")
    back = mg.load(tmp_path / "m.npz")
    assert back["0.weight"] is back["2.weight"]
    fresh = make()
    fresh.load_state_dict(back)
    assert fresh[2].weight is fresh[0].weight
    for k, v in model.state_dict().items():
        np.testing.assert_array_equal(fresh.state_dict()[k].numpy(), v.numpy(), err_msg=k)


@pytest.mark.parametrize("seed", range(3))
def test_a_parametrized_models_state_dict_round_trips_and_loads_into_torch(tmp_path, seed):
    torch = pytest.importorskip("torch")
    P, TP = nn.utils.parametrizations, torch.nn.utils.parametrizations

    def make(lib, P):
        return lib.Sequential(P.spectral_norm(lib.Conv2d(2, 3, 3)), lib.LeakyReLU(0.2), lib.Flatten(),
                              P.weight_norm(lib.Linear(12, 2), dim=None if seed == 2 else seed))

    mg.manual_seed(seed)
    model = make(nn, P)
    x = mg.randn(2, 2, 4, 4)
    model(x)  # a forward in training mode: one power iteration refines u and v (buffers, saved)
    state = model.state_dict()
    mg.save(state, tmp_path / "m.npz")
    back = mg.load(tmp_path / "m.npz")
    assert_round_trip(back, state, {})
    fresh, theirs = make(nn, P).eval(), make(torch.nn, TP).eval()
    fresh.load_state_dict(back)
    theirs.load_state_dict({k: torch.from_numpy(v) for k, v in back.items()})  # torch's keys and shapes
    model.eval()
    for out in (fresh(x), model(x)):
        np.testing.assert_allclose(out.numpy(), theirs(torch.from_numpy(x.numpy())).detach().numpy(), rtol=1e-5,
                                   atol=1e-6)


def test_a_real_run_checkpoint_round_trips_and_resumes_identically(tmp_path):
    def setup():
        mg.manual_seed(4)
        model = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.LeakyReLU(0.2), nn.Linear(5, 1))
        return model, mg.optim.Adam(model.parameters(), lr=1e-2, betas=(0.5, 0.999))

    def step(model, opt):
        opt.zero_grad()
        (model(mg.randn(8, 3)) ** 2).mean().backward()
        opt.step()

    model, opt = setup()
    step(model, opt)
    ckpt = {"model": model.state_dict(), "opt": opt.state_dict(), "rng": mg.get_rng_state(),
            "settings": {"epochs": 3, "betas": (0.5, 0.999), "device": "cpu", "amp": False},
            "metrics": {"loss": [0.5, math.nan, math.inf], "best": None}}
    mg.save(ckpt, tmp_path / "run.npz")
    back = mg.load(tmp_path / "run.npz", map_location="cpu")
    assert_round_trip(back, ckpt, {})
    step(model, opt)  # the run goes on ...
    fresh, fresh_opt = setup()  # ... and a resumed one must take the same step
    fresh.load_state_dict(back["model"])
    fresh_opt.load_state_dict(back["opt"])
    mg.set_rng_state(back["rng"])
    step(fresh, fresh_opt)
    for (k, a), b in zip(model.state_dict().items(), fresh.state_dict().values()):
        np.testing.assert_array_equal(b.numpy(), a.numpy(), err_msg=k)


def test_a_file_in_the_format_as_first_written_still_loads(tmp_path):
    # written by hand as minigan-checkpoint-v1 files have always been: one JSON description, arrays a0, a1, ...
    tree = {"dict": {"w": {"array": "a0"}, "again": {"array": "a0"}, "b": {"array": "a1"}, "step": {"value": 3},
                     "lr": {"value": 0.5}, "ok": {"value": True}, "none": {"value": None}, "name": {"value": "δ"},
                     "betas": {"tuple": [{"value": 0.5}, {"value": 0.999}]}, "scores": {"list": [{"value": -1}]},
                     "empty": {"dict": {}}}}
    np.savez(tmp_path / "v1.npz", __minigan_meta__=np.array(json.dumps({"format": "minigan-checkpoint-v1",
                                                                         "tree": tree})),
             a0=np.arange(6, dtype=np.float32).reshape(2, 3), a1=np.array([True, False]))
    back = mg.load(tmp_path / "v1.npz")
    assert list(back) == ["w", "again", "b", "step", "lr", "ok", "none", "name", "betas", "scores", "empty"]
    assert back["w"].dtype == np.float32 and back["w"].tolist() == [[0, 1, 2], [3, 4, 5]]
    assert back["again"] is back["w"] and back["b"].tolist() == [True, False]
    assert {k: back[k] for k in list(back)[3:]} == {"step": 3, "lr": 0.5, "ok": True, "none": None, "name": "δ",
                                                    "betas": (0.5, 0.999), "scores": [-1], "empty": {}}


def _refusals():
    """(something save must refuse, the words its error must hold)"""
    model = nn.Linear(2, 1)
    return [
        ({1, 2}, "a set"), (b"raw", "a bytes"), (1 + 2j, "a complex"), (np.complex64(1j), "a complex"),
        (lambda: 0, "a function"), (model, "a Linear object itself"),
        (mg.optim.SGD(model.parameters(), lr=0.1), "a SGD object itself"),
        (np.array([1, None], dtype=object), "array of Python objects"),
        (np.ma.masked_array([1.0, 2.0], mask=[0, 1]), "a masked array, whose mask would be lost"),
        (10**5000, "too long to read back"),
        ({3: np.ones(2)}, "has the key 3 (int), but dict keys must be strings"),
        ({(0, 1): 1}, "has the key (0, 1) (tuple)"), ({True: 1}, "has the key True (bool)"),
    ]


def test_what_cannot_be_stored_is_refused_by_its_place_in_the_tree_and_the_old_file_is_kept(tmp_path):
    rng = np.random.default_rng(5)
    path = tmp_path / "ckpt.npz"
    mg.save({"w": np.arange(3.0)}, path)
    before = path.read_bytes()
    for bad, words in _refusals():
        for _ in range(3):  # planted at a random place in a random tree
            tree = {"opt": {"state": {"3": _random_tree(rng, [])}}, "run": [_random_tree(rng, [])]}
            node, where = tree, "obj"
            for _ in range(rng.integers(1, 4)):
                keys = list(node) if isinstance(node, dict) else list(range(len(node)))
                key = keys[rng.integers(len(keys))] if keys and rng.random() < 0.7 else None
                if key is None or not isinstance(node[key], (dict, list)):
                    break
                node, where = node[key], f"{where}[{key!r}]"
            if isinstance(node, dict):
                node["x"], where = bad, f"{where}[{'x'!r}]"
            else:
                node.append(bad)
                where = f"{where}[{len(node) - 1}]"
            with pytest.raises((TypeError, ValueError)) as info:
                mg.save(tree, path)
            message = str(info.value)
            assert message.startswith("save: ") and words in message, message
            assert f"{where} " in message or f"{where}," in message or f"({where};" in message, (where, message)
            assert path.read_bytes() == before and os.listdir(tmp_path) == ["ckpt.npz"]


def test_a_torch_tensor_is_refused_by_name(tmp_path):
    torch = pytest.importorskip("torch")  # (its dtype is no NumPy dtype: this was a bare AttributeError)
    with pytest.raises(TypeError, match=r"save: obj\['g'\]\[0\] is a torch.Tensor, an array minigan does not store; "
                                        r"convert it .* t.detach\(\).cpu\(\).numpy\(\)"):
        mg.save({"g": [torch.ones(2)]}, tmp_path / "t.npz")
    assert os.listdir(tmp_path) == []


def test_a_tree_nested_too_deeply_is_refused_clearly_and_the_old_file_is_kept(tmp_path):
    path = tmp_path / "ckpt.npz"
    mg.save({"w": 1}, path)
    deep = [1.0]
    for _ in range(5000):
        deep = {"a": deep}
    with pytest.raises(ValueError, match="save: obj is nested too deeply"):
        mg.save(deep, path)
    assert mg.load(path) == {"w": 1} and os.listdir(tmp_path) == ["ckpt.npz"]


def test_ints_by_pythons_digit_limit_load_back_or_are_refused_by_name(tmp_path):
    # mutation testing: only 10**5000 was tested, so the bound could move past Python's 4300 digits (~14,284 bits)
    # unnoticed; then an int just over it failed in json with Python's words instead of this refusal
    path = tmp_path / "n.npz"
    mg.save({"n": -(2**13999)}, path)  # 4214 digits
    assert mg.load(path)["n"] == -(2**13999)
    with pytest.raises(ValueError, match=r"save: obj\['n'\] is an int of 14,501 bits, too long to read back; "
                                         r"store it as a string"):
        mg.save({"n": 2**14500}, path)  # 4366 digits
    assert mg.load(path)["n"] == -(2**13999)
