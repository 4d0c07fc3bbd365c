"""minigan.data against torch.utils.data at random: DataLoader, Dataset, TensorDataset, Subset, ConcatDataset,
random_split and the default collate.

A small deterministic differential fuzzer. Each case draws a dataset from its seed:

- a user ``Dataset`` whose examples have a random structure (tuples, lists, dicts, namedtuples, nested up to
  three deep) of random fields (tensors and arrays of any dtype and shape, 0-d and empty ones too; NumPy
  numbers; Python ints, floats and bools; strings), read one example at a time and collated;
- an ``ArrayDataset`` or a ``TensorDataset`` of random arrays, cut a whole batch at a time;

and a random batch size (1, or larger than the dataset, now and then) and ``drop_last``. It checks:

- in order (``shuffle=False``): the same ``len(loader)`` and the same batches as torch's DataLoader: the same
  structure, values and dtypes, except what docs/pytorch.md (the "Data" bullet) lists as deliberate: a batch
  of Python floats is float32 (torch's float64), a tuple or list of fields gives a tuple (torch's a list), and
  ``drop_last=True`` with a batch larger than the dataset is refused (torch's hands out nothing);
- shuffled: torch's batch sizes, every pass a permutation of the examples (a new one each pass), the same
  passes again for the same seed, and ``state_dict()`` saved anywhere in a pass resumes with exactly the
  batches an uninterrupted loader hands out;
- the batch-at-a-time path gives bit for bit the batches of reading the same dataset one example at a time;
- Subset, ConcatDataset and random_split index as torch's (negative indices too), random_split's sizes for
  random lengths and fractions are torch's, and every example lands in exactly one split;
- bad input is refused with an error that names the class or function.

A case replays alone: ``python -m pytest "tests/test_loader_fuzz.py::test_in_order_as_torchs[17]"``; a
failure prints the case. A bigger sweep is marked slow (``-m slow``).
"""

import collections
import warnings

import numpy as np
import pytest

import minigan
from minigan.data import ArrayDataset, ConcatDataset, DataLoader, Dataset, Subset, TensorDataset, random_split

DEFAULT_CASES = 40  # cases run by default (each a few ms to ~50 ms); the slow sweep runs SLOW_CASES of each
SLOW_CASES = 400
DTYPES = ("float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool")
LEAVES = ("array", "tensor", "numpy_number", "int", "float", "bool", "string")
Pair = collections.namedtuple("Pair", "first second")


def _cases():
    """The default cases, then the slow sweep's."""
    return list(range(DEFAULT_CASES)) + [pytest.param(k, marks=pytest.mark.slow)
                                         for k in range(DEFAULT_CASES, SLOW_CASES)]


# ------------------------------------------------------------------ drawing a dataset
def _schema(rng, depth=0):
    """The structure of every example of a dataset: a leaf kind (with its dtype and shape) or a container."""
    if depth < 3 and rng.random() < (0.6 if depth == 0 else 0.3):
        kind = str(rng.choice(["tuple", "list", "dict", "namedtuple"]))
        count = 2 if kind == "namedtuple" else int(rng.integers(0 if kind in ("tuple", "list") else 1, 4))
        return (kind, [_schema(rng, depth + 1) for _ in range(count)])
    leaf = str(rng.choice(LEAVES))
    shape = tuple(int(rng.choice([0, 1, 2, 3])) for _ in range(rng.integers(0, 3)))
    if rng.random() < 0.8:
        shape = tuple(max(n, 1) for n in shape)  # an empty axis only now and then
    return (leaf, str(rng.choice(DTYPES)), shape)


def _array(dtype, shape, seed):
    """A random array of `dtype`: the same for the same seed."""
    rng = np.random.default_rng(seed)
    if dtype == "bool":
        values = rng.random(shape) < 0.5
    elif dtype.startswith(("int", "uint")):
        info = np.iinfo(dtype)
        values = rng.integers(max(info.min, -1000), min(info.max, 1000), size=shape, endpoint=True)
    else:
        values = rng.standard_normal(shape) * 10
    return np.asarray(values).astype(dtype)  # (0-d too: an array, not a NumPy number)


def _example(schema, i, tensor):
    """Example i of a dataset of `schema`; `tensor` makes its tensors (minigan.tensor or torch.from_numpy)."""
    kind = schema[0]
    if kind in ("tuple", "list", "dict", "namedtuple"):
        fields = [_example(part, i * 31 + k, tensor) for k, part in enumerate(schema[1])]
        if kind == "dict":
            return {f"key{k}": field for k, field in enumerate(fields)}
        return Pair(*fields) if kind == "namedtuple" else (tuple(fields) if kind == "tuple" else fields)
    _, dtype, shape = schema
    value = _array(dtype, shape, i)
    if kind == "array":
        return value
    if kind == "tensor":
        return tensor(value)
    number = _array(dtype, (), i)
    if kind == "numpy_number":
        return number[()]  # np.float16(...), np.int8(...), np.bool_(...)
    if kind == "string":
        return f"example {i}"
    return {"int": int, "float": float, "bool": bool}[kind](number)


class _Examples(Dataset):
    """A user's dataset: n examples of a random structure, read one at a time."""

    def __init__(self, schema, n):
        self.schema, self.n = schema, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return _example(self.schema, i, minigan.tensor)


def _torch_examples(torch, schema, n):
    """The same dataset for torch."""
    dataset = type("TorchExamples", (torch.utils.data.Dataset,), {
        "__len__": lambda self: n, "__getitem__": lambda self, i: _example(schema, i, torch.from_numpy)})
    return dataset()


def _in_memory(rng, torch=None):
    """An ArrayDataset or a TensorDataset of random arrays (and torch's TensorDataset of the same arrays)."""
    n = int(rng.choice([1, 2, 3, int(rng.integers(1, 40))]))
    arrays = [_array(str(rng.choice(DTYPES)), (n,) + tuple(rng.integers(1, 4, size=rng.integers(0, 3))),
                     int(rng.integers(2**31))) for _ in range(rng.integers(1, 4))]
    if rng.random() < 0.5:
        ours = ArrayDataset(arrays[0], arrays[1] if len(arrays) > 1 else None)
        arrays = [ours.images, ours.labels]
    else:
        ours = TensorDataset(*[minigan.tensor(a) for a in arrays])
    theirs = torch.utils.data.TensorDataset(*[torch.from_numpy(np.asarray(a)) for a in arrays]) if torch else None
    return ours, theirs


def _dataset(case, torch=None):
    """Case `case`'s dataset: (ours, torch's, a description)."""
    rng = np.random.default_rng(case)
    if case % 3 == 2:
        ours, theirs = _in_memory(rng, torch)
        return ours, theirs, f"{type(ours).__name__} of {len(ours)}"
    schema = _schema(rng)
    n = int(rng.choice([1, 2, 3, int(rng.integers(1, 30))]))
    theirs = _torch_examples(torch, schema, n) if torch else None
    return _Examples(schema, n), theirs, f"{n} examples of {schema}"


def _batch_settings(rng, n):
    """A batch size (1, or larger than the dataset, now and then) and drop_last."""
    batch_size = int(rng.choice([1, n, n + int(rng.integers(1, 4)), int(rng.integers(1, n + 1))]))
    return batch_size, bool(rng.random() < 0.4)


# ------------------------------------------------------------------ comparing batches
def _plain(batch):
    """A batch as plain values: containers by kind (a tuple and a list alike, a namedtuple by its names), every
    tensor as its NumPy array (dtype and shape kept), strings as a list."""
    if isinstance(batch, dict):
        return {key: _plain(value) for key, value in batch.items()}
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):
        return (type(batch).__name__, {key: _plain(value) for key, value in batch._asdict().items()})
    if isinstance(batch, (tuple, list)) and batch and all(isinstance(v, str) for v in batch):
        return ["strings"] + list(batch)
    if isinstance(batch, (tuple, list)):
        return ["fields"] + [_plain(value) for value in batch]
    return np.asarray(batch.numpy())


def _assert_same(mine, theirs, where="batch"):
    """Same structure, values and dtypes; torch's float64 batch of Python floats is float32 here."""
    assert type(mine) is type(theirs), f"{where}: {type(mine).__name__} here, {type(theirs).__name__} in torch"
    if isinstance(mine, np.ndarray):
        expected = theirs.astype(np.float32) if theirs.dtype == np.float64 and mine.dtype == np.float32 else theirs
        assert mine.dtype == expected.dtype and mine.shape == expected.shape, (where, mine.dtype, expected.dtype,
                                                                               mine.shape, expected.shape)
        np.testing.assert_array_equal(mine, expected, err_msg=where)
    elif isinstance(mine, dict):
        assert list(mine) == list(theirs), where
        for key in mine:
            _assert_same(mine[key], theirs[key], f"{where}[{key!r}]")
    elif isinstance(mine, tuple):
        assert mine[0] == theirs[0], where
        _assert_same(mine[1], theirs[1], where)
    else:
        assert len(mine) == len(theirs) and mine[0] == theirs[0], (where, mine[:3], theirs[:3])
        for k in range(1, len(mine)):
            _assert_same(mine[k], theirs[k], f"{where}[{k - 1}]")


def _float64_fields(schema):
    """Whether an example of `schema` has a field of Python floats (float32 here, float64 in torch)."""
    if schema[0] in ("tuple", "list", "dict", "namedtuple"):
        return any(_float64_fields(part) for part in schema[1])
    return schema[0] == "float"


# ------------------------------------------------------------------ in order: the same batches as torch
@pytest.mark.parametrize("case", _cases())
def test_in_order_as_torchs(case):
    torch = pytest.importorskip("torch")
    ours, theirs, description = _dataset(case, torch)
    batch_size, drop_last = _batch_settings(np.random.default_rng(10_000 + case), len(ours))
    their_loader = torch.utils.data.DataLoader(theirs, batch_size, drop_last=drop_last)
    if drop_last and batch_size > len(ours):  # torch's hands out nothing; minigan's refuses (docs/pytorch.md)
        assert len(their_loader) == 0 and list(their_loader) == []
        with pytest.raises(ValueError, match=rf"batch_size {batch_size} is larger than the dataset "
                                             rf"\({len(ours)} examples\) and drop_last=True"):
            DataLoader(ours, batch_size, drop_last=drop_last)
        return
    loader = DataLoader(ours, batch_size, drop_last=drop_last)
    mine = [_plain(batch) for batch in loader]
    torchs = [_plain(batch) for batch in their_loader]
    assert len(loader) == len(their_loader) == len(mine) == len(torchs), description
    for k, (a, b) in enumerate(zip(mine, torchs)):
        _assert_same(a, b, f"case {case} ({description}), batch {k}")
    for k, batch in enumerate(loader):  # a second pass: the same again
        _assert_same(_plain(batch), mine[k], f"case {case}, second pass, batch {k}")


def test_python_floats_are_the_one_dtype_that_differs_from_torchs():
    """The fuzzer's float32-for-float64 allowance is taken only where the examples hold Python floats."""
    torch = pytest.importorskip("torch")
    seen = 0
    for case in range(DEFAULT_CASES):
        if case % 3 == 2:
            continue
        ours, theirs, _ = _dataset(case, torch)
        mine = _plain(next(iter(DataLoader(ours, len(ours)))))
        torchs = _plain(next(iter(torch.utils.data.DataLoader(theirs, len(ours)))))
        differs = []

        def compare(a, b):
            if isinstance(a, np.ndarray):
                differs.append(a.dtype != b.dtype)
            elif isinstance(a, dict):
                for key in a:
                    compare(a[key], b[key])
            elif isinstance(a, tuple):
                compare(a[1], b[1])
            elif a[0] == "fields":
                for x, y in zip(a[1:], b[1:]):
                    compare(x, y)

        compare(mine, torchs)
        assert any(differs) == _float64_fields(ours.schema), case
        seen += any(differs)
    assert seen >= 3  # the fuzzer draws Python floats


# ------------------------------------------------------------------ shuffled: permutations, reproducible, resumable
class _Indexed(Dataset):
    """(i, example i) of another dataset: the index says which example a batch row is."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, i):
        return i, self.dataset[i]


def _indexed(case):
    """Case `case`'s dataset with its example indices: a user's dataset as (i, example), or an in-memory dataset
    with one more tensor or label column holding i."""
    rng = np.random.default_rng(case)
    if case % 3 != 2:
        ours, _, description = _dataset(case)
        return _Indexed(ours), lambda batch: batch[0].numpy().tolist(), description
    ours, _ = _in_memory(rng)
    n = len(ours)
    if isinstance(ours, ArrayDataset):
        return ArrayDataset(ours.images, np.arange(n)), lambda batch: batch[1].numpy().tolist(), "ArrayDataset"
    indexed = TensorDataset(*ours.tensors, minigan.arange(n))
    return indexed, lambda batch: batch[-1].numpy().tolist(), "TensorDataset"


def _passes(loader, which, count):
    """The example indices of `count` passes, batch by batch."""
    return [[which(batch) for batch in loader] for _ in range(count)]


@pytest.mark.parametrize("case", _cases())
def test_shuffled_passes_are_permutations_repeat_by_seed_and_resume_exactly(case, tmp_path):
    torch = pytest.importorskip("torch")
    dataset, which, description = _indexed(case)
    n = len(dataset)
    rng = np.random.default_rng(20_000 + case)
    batch_size, drop_last = _batch_settings(rng, n)
    if drop_last and batch_size > n:
        batch_size = n
    seed = int(rng.integers(2**31))
    passes = _passes(DataLoader(dataset, batch_size, shuffle=True, drop_last=drop_last, seed=seed), which, 3)
    their_sizes = [len(b) for (b,) in torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.arange(n)),
                                                                 batch_size, shuffle=True, drop_last=drop_last)]
    kept = (n // batch_size) * batch_size if drop_last else n
    for batches in passes:
        assert [len(b) for b in batches] == their_sizes, description
        seen = [i for b in batches for i in b]
        assert len(seen) == len(set(seen)) == kept and set(seen) <= set(range(n)), description
    for batch in DataLoader(dataset, batch_size, shuffle=True, drop_last=drop_last, seed=seed):  # rows and examples
        rows = which(batch)  # stay together: the batch is examples `rows` collated
        _assert_same(_plain(batch), _plain(next(iter(DataLoader(Subset(dataset, rows), len(rows))))), description)
    if n >= 6:  # (two orders of 6 examples or more are the same by chance once in 720)
        assert passes[0] != passes[1] != passes[2], description
    assert _passes(DataLoader(dataset, batch_size, shuffle=True, drop_last=drop_last, seed=seed), which, 3) == passes
    # stop anywhere in the second pass, save, resume in a new loader (another seed): the same batches
    loader = DataLoader(dataset, batch_size, shuffle=True, drop_last=drop_last, seed=seed)
    _passes(loader, which, 1)
    stop = int(rng.integers(0, len(loader) + 1))
    batches = iter(loader)
    done = [which(next(batches)) for _ in range(stop)]
    state = loader.state_dict()
    if case % 4 == 0:  # through a checkpoint file now and then
        minigan.save(state, tmp_path / "loader.npz")
        state = minigan.load(tmp_path / "loader.npz")
    resumed = DataLoader(dataset, batch_size, shuffle=True, drop_last=drop_last, seed=seed + 1)
    resumed.load_state_dict(state)
    assert done + [which(b) for b in resumed] == passes[1], (description, stop)
    assert _passes(resumed, which, 1) == [passes[2]], (description, stop)


# ------------------------------------------------------------------ the batch-at-a-time path
class _OneAtATimeArrays(ArrayDataset):
    """ArrayDataset's examples, read one at a time (its own __getitem__ makes the loader collate)."""

    def __getitem__(self, i):
        return super().__getitem__(i)


class _OneAtATimeTensors(TensorDataset):
    def __getitem__(self, i):
        return super().__getitem__(i)


def _bits(batch):
    """A batch of tensors, bit for bit."""
    return [(t.numpy().dtype.str, t.numpy().shape, t.numpy().tobytes()) for t in batch]


@pytest.mark.parametrize("case", _cases())
def test_a_batch_at_a_time_is_bit_for_bit_one_example_at_a_time(case):
    rng = np.random.default_rng(30_000 + case)
    fast, _ = _in_memory(rng)
    slow = (_OneAtATimeArrays(fast.images, fast.labels) if isinstance(fast, ArrayDataset)
            else _OneAtATimeTensors(*fast.tensors))
    if rng.random() < 0.4:  # a Subset of them, negative indices too, is cut as its dataset is
        indices = rng.integers(-len(fast), len(fast), size=rng.integers(1, 2 * len(fast) + 1)).tolist()
        fast, slow = Subset(fast, indices), Subset(slow, indices)
    batch_size, drop_last = _batch_settings(rng, len(fast))
    if drop_last and batch_size > len(fast):
        batch_size = len(fast)
    shuffle, seed = bool(rng.random() < 0.5), int(rng.integers(2**31))
    loaders = [DataLoader(data, batch_size, shuffle=shuffle, drop_last=drop_last, seed=seed) for data in (fast, slow)]
    for _ in range(2):
        assert [_bits(b) for b in loaders[0]] == [_bits(b) for b in loaders[1]], case


# ------------------------------------------------------------------ Subset, ConcatDataset, random_split
def _nest(rng, ours, theirs, torch, depth=0):
    """Random Subsets (negative indices too) and ConcatDatasets of (ours, theirs), nested."""
    if depth == 3 or rng.random() < 0.3:
        return ours, theirs
    if rng.random() < 0.5:
        inner, their_inner = _nest(rng, ours, theirs, torch, depth + 1)
        n = len(inner)
        indices = rng.integers(-n, n, size=rng.integers(0, 2 * n + 1)).tolist() if n else []
        return Subset(inner, indices), torch.utils.data.Subset(their_inner, indices)
    parts = [_nest(rng, ours, theirs, torch, depth + 1) for _ in range(rng.integers(1, 4))]
    return ConcatDataset([a for a, _ in parts]), torch.utils.data.ConcatDataset([b for _, b in parts])


@pytest.mark.parametrize("case", _cases())
def test_subsets_and_concatenations_index_as_torchs(case):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(40_000 + case)
    n = int(rng.integers(0, 8))
    base = [(f"example {i}", i) for i in range(n)]  # a list: torch's and minigan's Subset take any sequence
    ours, theirs = _nest(rng, base, base, torch)
    if isinstance(ours, list):
        ours, theirs = ConcatDataset([ours]), torch.utils.data.ConcatDataset([theirs])
    assert len(ours) == len(theirs), case
    if isinstance(ours, ConcatDataset):
        assert ours.cumulative_sizes == theirs.cumulative_sizes
    for i in range(-len(ours), len(ours)):
        assert ours[i] == theirs[i], (case, i)
    for bad in (len(ours), len(ours) + 3, -len(ours) - 1):  # (torch's ConcatDataset: ValueError below -len)
        with pytest.raises(IndexError, match=rf"{type(ours).__name__}: index {bad} is out of range"):
            ours[bad]
        if bad >= 0 or isinstance(theirs, torch.utils.data.Subset):
            with pytest.raises(IndexError):
                theirs[bad]
    if len(ours):  # a loader reads them as torch's
        batch_size = int(rng.integers(1, len(ours) + 2))
        mine = [_plain(b) for b in DataLoader(ours, batch_size)]
        torchs = [_plain(b) for b in torch.utils.data.DataLoader(theirs, batch_size)]
        assert len(mine) == len(torchs)
        for a, b in zip(mine, torchs):
            _assert_same(a, b, f"case {case}")


def _lengths(rng, n):
    """Random lengths for random_split: whole numbers that add up to n (one of them negative now and then), or
    fractions (rounded now and then, so that their sum is a float's 0.9999999999999999 or 1.0000000000000002)."""
    parts = int(rng.integers(1, 6))
    kind = rng.integers(5)
    if kind == 4:
        return [-1, n + 1] if rng.random() < 0.5 else [n + 1, -1]
    if kind == 0:
        cuts = np.sort(rng.integers(0, n + 1, size=parts - 1))
        return np.diff(np.concatenate([[0], cuts, [n]])).tolist()
    fractions = rng.dirichlet(np.ones(parts))
    if kind == 1:
        fractions = np.round(fractions, int(rng.integers(1, 3)))
    fractions = fractions.tolist()
    if kind < 3:
        fractions[-1] = 1 - sum(fractions[:-1])
    return fractions


@pytest.mark.parametrize("case", _cases())
def test_random_split_sizes_as_torchs_and_every_example_once(case):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(50_000 + case)
    n = int(rng.choice([1, 2, int(rng.integers(1, 60))]))
    dataset = ArrayDataset(np.arange(n, dtype=np.float32).reshape(n, 1), np.arange(n))
    lengths = _lengths(rng, n)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a split of no examples (both warn)
        try:
            torchs = [len(s) for s in torch.utils.data.random_split(range(n), lengths)]
        except ValueError:
            torchs = None
        if torchs is None or min(lengths) < 0:  # (torch's takes negative whole lengths: minigan's refuses)
            with pytest.raises(ValueError, match="random_split: lengths must be whole numbers that add up"):
                random_split(dataset, lengths, seed=case)
            return
        splits = random_split(dataset, lengths, seed=case)
        again = random_split(dataset, lengths, generator=np.random.default_rng(case))
    assert [len(s) for s in splits] == torchs, (case, n, lengths)
    assert [s.indices.tolist() for s in splits] == [s.indices.tolist() for s in again]
    assert sorted(i for s in splits for i in s.indices.tolist()) == list(range(n))  # every example once
    for split in splits:  # the examples are the dataset's at those indices, in order
        if len(split):
            (_, labels), = DataLoader(split, len(split))
            assert labels.numpy().tolist() == split.indices.tolist()


# ------------------------------------------------------------------ bad input
class _Big(Dataset):
    """Python ints beyond int64 in a field (before: NumPy's OverflowError, naming no field)."""

    def __len__(self):
        return 2

    def __getitem__(self, i):
        return "a", 2**63 + i


BAD = [  # (call, error, what its message must say)
    (lambda: ArrayDataset(["a", "b"]), TypeError, r"ArrayDataset: images must be an array, a tensor or a list of "
                                                  r"numbers .*got list \['a', 'b'\]"),
    (lambda: ArrayDataset([[1, 2], [3]]), TypeError, r"ArrayDataset: images must be .*got list \[\[1, 2\], \[3\]\]"),
    (lambda: ArrayDataset(np.float32(3)), TypeError, r"ArrayDataset: images must have one row per example, got a "
                                                     r"single number"),
    (lambda: ArrayDataset(np.zeros((2, 1)), [None, 1]), TypeError, r"ArrayDataset: labels must be an array"),
    (lambda: ArrayDataset(np.zeros((2, 1)), 3), TypeError, r"ArrayDataset: labels must have one row per example"),
    (lambda: ArrayDataset(np.zeros((2, 1)), [0.5, 1]), ValueError, r"ArrayDataset: labels must be whole numbers "
                                                                   r"\(class indices\) that fit in int64, got \[0.5"),
    (lambda: ArrayDataset(np.zeros((1, 1)), [2**63]), ValueError, r"labels must be whole numbers .* fit in int64"),
    (lambda: ArrayDataset(np.zeros((3, 1)), [0, 1]), ValueError, r"ArrayDataset: 3 images but 2 labels"),
    (lambda: TensorDataset(np.zeros(3)), TypeError, r"TensorDataset: expected one or more tensors, got \(ndarray\)"),
    (lambda: TensorDataset(minigan.zeros(3), minigan.zeros(2)), ValueError, r"TensorDataset: the tensors must have "
                                                                            r"the same length"),
    (lambda: Subset(5, [0]), TypeError, r"Subset: the dataset must have len\(\) and dataset\[i\], got a int"),
    (lambda: Subset([1, 2], [[0], [0, 1]]), TypeError, r"Subset: indices must be a list \(or a 1-D array\) of whole "
                                                       r"numbers, got list \[\[0\], \[0, 1\]\]"),
    (lambda: Subset([1, 2], [1.0]), TypeError, r"Subset: indices must be a list .*got list \[1.0\]"),
    (lambda: Subset([1, 2], [2]), IndexError, r"Subset: index 2 is out of range for a dataset of 2 examples"),
    (lambda: Subset([1, 2], [0])[0.5], TypeError, r"Subset: an index must be a whole number \(one example\)"),
    (lambda: ConcatDataset([[1], 2]), TypeError, r"ConcatDataset: datasets\[1\] is a int, not a dataset"),
    (lambda: random_split(5, [1, 4]), TypeError, r"random_split: the dataset must have len\(\) and dataset\[i\]"),
    (lambda: random_split([1, 2], [0.5, 0.6]), ValueError, r"random_split: lengths must be .*they add up to 1.1"),
    (lambda: DataLoader(5, 1), TypeError, r"DataLoader: the dataset must have len\(\) and dataset\[i\] .*got a int"),
    (lambda: DataLoader(ArrayDataset(np.zeros((2, 1))), 0), ValueError, r"DataLoader: batch_size must be a positive "
                                                                        r"int, got 0"),
    (lambda: next(iter(DataLoader(_Big(), 2))), ValueError, r"DataLoader: 9223372036854775808 in field \[1\] of the "
                                                            r"examples does not fit in int64"),
]


@pytest.mark.parametrize("k", range(len(BAD)))
def test_bad_input_is_named(k):
    call, error, message = BAD[k]
    with pytest.raises(error, match=message):
        call()


def test_a_subset_of_a_list_is_read_one_example_at_a_time_as_torchs():
    """random_split(list, ...) and Subset(list, ...): a list cannot take an index array (before: the loader
    failed with "Subset[index_array] failed ... make it subclass minigan.data.Dataset")."""
    examples = [(np.full(2, i, np.float32), i % 3) for i in range(6)]
    points, labels = next(iter(DataLoader(Subset(examples, [5, 0, -2]), 3)))
    assert points.numpy().tolist() == [[5.0, 5.0], [0.0, 0.0], [4.0, 4.0]] and labels.numpy().tolist() == [2, 0, 1]
    train, _ = random_split(examples, [4, 2], seed=0)
    seen = [row for _, labels in DataLoader(train, 3) for row in labels.numpy().tolist()]
    assert seen == [examples[i][1] for i in train.indices.tolist()]


def test_array_dataset_takes_lists_of_tensors():
    # a list of image Tensors and of 0-d label Tensors (the rows of a tensor, as iterating one gives them)
    images = [minigan.tensor([0.5, 1.5]), minigan.tensor([2.5, 3.5])]
    dataset = ArrayDataset(images, [minigan.tensor(1), minigan.tensor(0)])
    np.testing.assert_array_equal(dataset.images, [[0.5, 1.5], [2.5, 3.5]])
    np.testing.assert_array_equal(dataset.labels, [1, 0])
    assert dataset.images.dtype == np.float32 and dataset.labels.dtype == np.int64
    with pytest.raises(ValueError, match="ArrayDataset: labels must be whole numbers"):
        ArrayDataset(images, [minigan.tensor(0.5), minigan.tensor(1.0)])


class _Ints(Dataset):
    """Examples of one field, the Python ints given."""

    def __init__(self, ints):
        self.ints = ints

    def __len__(self):
        return len(self.ints)

    def __getitem__(self, i):
        return (self.ints[i],)


def test_a_batch_of_python_ints_takes_int64s_both_ends_and_names_one_beyond():
    (batch,), = DataLoader(_Ints([-2**63, 2**63 - 1]), batch_size=2)
    assert batch.dtype == np.int64 and batch.numpy().tolist() == [-2**63, 2**63 - 1]
    for beyond in (-2**63 - 1, 2**63):
        with pytest.raises(ValueError, match=rf"DataLoader: {beyond} in field \[0\] of the examples does not fit"):
            list(DataLoader(_Ints([0, beyond]), batch_size=2))
