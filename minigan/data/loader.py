"""`DataLoader`: batches of (images, labels) as Tensors, like PyTorch's; `Dataset`, `TensorDataset` and
`ArrayDataset` (arrays held in memory; MNIST and Digits are ArrayDatasets).

    loader = DataLoader(MNIST(), batch_size=64, shuffle=True, seed=0)
    for real, labels in loader:
        ...

Shuffling uses the loader's *own* NumPy generator (seeded by ``seed``), so the
order of batches does not depend on how many random numbers the model drew.
Each ``iter(loader)`` (each ``for`` loop) is a pass of its own, as in PyTorch:
it draws its order from that generator when it hands out its first batch (a
second iterator running at the same time gets the next order) and counts its
own batches. ``state_dict()`` describes the pass started most recently: the
generator as it was before that pass drew its order, plus how many batches the
pass has handed out; after ``load_state_dict`` the next ``for`` loop redraws
the same permutation and skips those batches. Saving it in a checkpoint makes a
resumed run see exactly the batches an uninterrupted run would have seen — even
in the middle of an epoch.

``Subset``, ``random_split`` and ``ConcatDataset`` pick or join examples of
datasets, as ``torch.utils.data``'s do (``minigan.utils.data`` holds them under
PyTorch's name). As PyTorch's, the loader takes any map-style dataset, an
object with ``len()`` and ``dataset[i]``: a list of examples, a tensor or a
NumPy array (its rows are the examples), your own class.
"""

import bisect
import itertools
import math
import numbers
import warnings

import numpy as np

from .. import backend
from ..autograd import Tensor


class Dataset:
    """Base class of a dataset read one example at a time, as ``torch.utils.data.Dataset``.

    A subclass gives ``__len__`` and ``__getitem__(i)`` for example i: a tensor, an
    array, a number or a string, or a tuple (a namedtuple), list or dict of them, nested
    as deep as needed (an image and its label). A DataLoader over it calls
    ``__getitem__`` batch_size times per batch and stacks the examples field by
    field, as PyTorch's default collate does: tensors and arrays keep their dtype,
    Python ints become int64, NumPy numbers keep theirs, strings make a list of
    strings, and Python floats become float32 here, where PyTorch makes float64
    (no silent float64); a tuple or list of fields gives a tuple. minigan's own datasets
    (MNIST, Digits, ArrayDataset, TensorDataset) instead cut a whole batch with one
    index array, which is much faster for data held in memory; a subclass of theirs
    that defines its own ``__getitem__`` is read one example at a time (see DataLoader).
    ``a + b`` joins two datasets (a ConcatDataset), as in PyTorch. Subclassing is
    optional for the DataLoader, as in PyTorch (any object with ``len()`` and
    ``dataset[i]`` is read one example at a time), but it is what makes ``a + b`` work.
    """

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__}: a Dataset subclass must define __len__")

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__}: a Dataset subclass must define __getitem__(i)")

    def __add__(self, other):
        """``a + b``: the examples of a, then those of b (a ConcatDataset), as in PyTorch."""
        return ConcatDataset([self, other])


def _collate(examples, device, path=""):
    """Stack a list of examples field by field, as PyTorch's default collate does: a dict or tuple (a namedtuple
    stays one) of batches, nested as deep as the examples are, or one batch if the examples are neither.

    Every batch is a Tensor on `device`, except that strings stay a list of strings.
    """
    first = examples[0]
    if isinstance(first, dict):
        if any(not isinstance(e, dict) or e.keys() != first.keys() for e in examples):
            raise TypeError(f"DataLoader: every example of a Dataset must be a dict with the same keys "
                            f"({_field(path)})")
        return {key: _collate([e[key] for e in examples], device, f"{path}[{key!r}]") for key in first}
    if isinstance(first, (tuple, list)):
        if any(not isinstance(e, (tuple, list)) or len(e) != len(first) for e in examples):
            raise TypeError(f"DataLoader: every example of a Dataset must have the same number of fields "
                            f"({_field(path)})")
        fields = [_collate([e[k] for e in examples], device, f"{path}[{k}]") for k in range(len(first))]
        return type(first)(*fields) if hasattr(first, "_fields") else tuple(fields)  # a namedtuple keeps its names
    return _stack(examples, device, path)


def _field(path):
    """How an error names a field: the examples themselves, or field [0]['image'] of them."""
    return f"field {path} of the examples" if path else "the examples"


def _stack(values, device, path):
    """One field of a batch, as a Tensor: tensors or arrays stacked on a new first axis; Python numbers as int64
    or float32, NumPy numbers keeping their dtype (as PyTorch's collate and minigan.tensor do)."""
    values = [v.data if isinstance(v, Tensor) else v for v in values]
    if all(isinstance(v, str) for v in values):
        return list(values)  # file names, captions: as PyTorch's collate, a list of the strings
    if all(isinstance(v, (bool, np.bool_)) for v in values):
        array = np.array(values)
    elif all(isinstance(v, np.generic) for v in values) and all(isinstance(v, numbers.Real) for v in values):
        array = np.array(values)  # np.float32 stays float32, np.float64 float64, np.int32 int32
    elif all(isinstance(v, numbers.Integral) for v in values):
        big = [v for v in values if not -2**63 <= v < 2**63]
        if big:  # (NumPy's OverflowError would name no field)
            raise ValueError(f"DataLoader: {big[0]} in {_field(path)} does not fit in int64 (-2**63 to 2**63 - 1), "
                             "the dtype of a batch of Python ints; give it as a float, or as a string")
        array = np.array(values, dtype=np.int64)
    elif all(isinstance(v, numbers.Real) for v in values):
        array = np.array(values, dtype=np.float32)  # no silent float64 (PyTorch's collate makes float64)
    else:
        odd = [v for v in values if isinstance(v, str) or not (isinstance(v, numbers.Real) or hasattr(v, "shape"))]
        if odd:  # None, a str among numbers, a set, a PIL image...
            raise TypeError(f"DataLoader: found a {type(odd[0]).__name__} ({odd[0]!r:.40}) in {_field(path)}; every "
                            "field of a Dataset's examples must be a tensor, an array, a number or a string (the same "
                            "kind in every example), or a tuple or dict of them")
        devices = sorted({backend.device_of(v) for v in values if hasattr(v, "shape")})
        if len(devices) > 1:
            raise TypeError(f"DataLoader: {_field(path)} are on different devices ({' and '.join(devices)}); give "
                            "every example on one device (the loader moves the batch to its device=)")
        try:
            array = backend.xp_of(values[0]).stack(values)
        except (TypeError, ValueError, AttributeError) as error:
            shapes = sorted({str(tuple(getattr(v, "shape", ()))) for v in values})
            raise TypeError(f"DataLoader: cannot stack the examples' fields into a batch: shapes of {_field(path)}: "
                            f"{', '.join(shapes[:4])} ({error}); every example must give tensors or arrays of one "
                            "shape, or numbers") from None
    try:
        return Tensor(array, device=device)
    except TypeError as error:
        raise TypeError(f"DataLoader: {_field(path)} cannot make a tensor ({error})") from None


class TensorDataset(Dataset):
    """Tensors cut together along their first axis, as ``torch.utils.data.TensorDataset``.

    ``TensorDataset(points)`` or ``TensorDataset(images, labels)``: ``dataset[i]``
    is the tuple of the i-th rows (``dataset[index_array]`` a batch of rows), and a
    DataLoader over it hands out one tensor per tensor given, so
    ``for (real,) in DataLoader(TensorDataset(points), 64)`` works as in PyTorch.
    (A subclass with its own ``__getitem__(i)`` is read one example at a time.)
    """

    def __init__(self, *tensors):
        if not tensors or not all(isinstance(t, Tensor) for t in tensors):
            raise TypeError("TensorDataset: expected one or more tensors, got "
                            f"({', '.join(type(t).__name__ for t in tensors)}); wrap arrays with minigan.tensor(...)")
        if any(t.ndim == 0 for t in tensors) or len({t.shape[0] for t in tensors}) > 1:
            raise ValueError("TensorDataset: the tensors must have the same length along their first axis, got shapes "
                             f"{', '.join(str(tuple(t.shape)) for t in tensors)}")
        self.tensors = tensors

    def __len__(self):
        return self.tensors[0].shape[0]

    def __getitem__(self, index):
        rows = []
        for t in self.tensors:
            on_device = isinstance(index, np.ndarray) and t.device != "cpu"  # an index array goes over explicitly
            rows.append(Tensor(t.data[backend.asarray(index, device=t.device) if on_device else index]))
        return tuple(rows)  # rows as new tensors, outside any graph


def _rows(values, dtype, name):
    """A list of numbers as an array of `dtype` (ArrayDataset's images or labels); anything else is named."""
    try:
        # a list of Tensors as a list of arrays (NumPy would make an array of Tensor objects)
        tensors = isinstance(values, (list, tuple)) and values and all(isinstance(v, Tensor) for v in values)
        array = np.asarray([v.cpu().numpy() for v in values] if tensors else values)
    except (ValueError, OverflowError):  # a ragged list, an int beyond 64 bits
        array = np.asarray(None)
    if array.dtype.kind not in "biuf":
        raise TypeError(f"ArrayDataset: {name} must be an array, a tensor or a list of numbers (nested lists of one "
                        f"shape), got {type(values).__name__} {values!r:.60}")
    if dtype == np.int64 and array.dtype.kind in "uf":  # (NumPy would cut 0.5 to 0, and wrap 2**63 round, silently)
        whole = (array == np.floor(array)) & (array >= -2**63) & (array < 2**63)
        if not whole.all():
            raise ValueError(f"ArrayDataset: labels must be whole numbers (class indices) that fit in int64, got "
                             f"{values!r:.60}")
    return array.astype(dtype)


class ArrayDataset(Dataset):
    """Images and integer labels held in memory; ``dataset[i]`` -> (image, label).

    ``dataset[index_array]`` returns a whole batch at once, which is what the
    DataLoader uses (MNIST and Digits are ArrayDatasets). Without labels (an
    unconditional GAN's data) every label is 0.
    """

    def __init__(self, images, labels=None, num_classes=10):
        given = {"images": images, "labels": labels}
        if not hasattr(images, "shape"):  # lists of numbers: as arrays, so that batches can be indexed at once
            images = _rows(images, np.float32, "images")
        if labels is None:
            labels = np.zeros(len(images) if images.shape else 0, dtype=np.int64)
        elif not hasattr(labels, "shape"):
            labels = _rows(labels, np.int64, "labels")
        for name, rows in (("images", images), ("labels", labels)):
            if not rows.shape:
                raise TypeError(f"ArrayDataset: {name} must have one row per example, got a single number "
                                f"{given[name]!r:.40}; give an array, a tensor or a list")
        if len(images) != len(labels):
            raise ValueError(f"ArrayDataset: {len(images)} images but {len(labels)} labels; give one label per image "
                             "(or labels=None: every label 0)")
        self.images = images
        self.labels = labels
        self.num_classes = num_classes

    def __len__(self):
        return len(self.images)

    def __getitem__(self, index):
        return self.images[index], self.labels[index]

    @property
    def image_shape(self):
        """(channels, height, width) of one image."""
        return self.images.shape[1:]

    def subset(self, n):
        """The first n examples as a new dataset (for quick runs and tests)."""
        if not (isinstance(n, numbers.Integral) and not isinstance(n, bool) and 0 < n <= len(self)):
            raise ValueError(f"subset size must be a whole number between 1 and {len(self)}, got {n!r}")
        return ArrayDataset(self.images[:n], self.labels[:n], self.num_classes)


def _position(index, length, name):
    """A whole-number index into `length` examples as a position 0 .. length-1 (a negative one counts from the
    end, as in a list); another index is named."""
    if isinstance(index, (bool, np.bool_)) or not isinstance(index, numbers.Integral):
        raise TypeError(f"{name}: an index must be a whole number (one example), got {type(index).__name__} "
                        f"{index!r:.40}")
    if not -length <= index < length:
        raise IndexError(f"{name}: index {index} is out of range for {length} examples")
    return int(index) + length if index < 0 else int(index)


def _check_dataset(dataset, name):
    if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
        raise TypeError(f"{name}: the dataset must have len() and dataset[i], got a {type(dataset).__name__}")


class Subset(Dataset):
    """The examples of ``dataset`` at ``indices``, in that order, as ``torch.utils.data.Subset``.

    ``indices``: whole numbers (a list, a range, an array or a tensor), each from ``-len(dataset)`` to
    ``len(dataset) - 1`` (a negative one counts from the end, as in PyTorch); checked here, where PyTorch
    fails only when the example is read. ``subset[i]`` is ``dataset[indices[i]]`` (a negative i counts from
    the end, one out of range is an IndexError). ``subset[index_array]`` cuts a whole batch when the dataset
    does (MNIST, Digits, ArrayDataset, TensorDataset), so a DataLoader reads a Subset of them as fast as the
    dataset.
    """

    def __init__(self, dataset, indices):
        _check_dataset(dataset, "Subset")
        try:
            array = np.asarray(indices.numpy() if isinstance(indices, Tensor) else indices)
        except (ValueError, OverflowError):  # ragged lists, an int beyond 64 bits
            array = np.asarray(None)
        if array.size == 0:
            array = array.astype(np.int64)  # (NumPy makes float64 of [])
        if array.ndim != 1 or array.dtype.kind not in "iu":
            raise TypeError(f"Subset: indices must be a list (or a 1-D array) of whole numbers, got "
                            f"{type(indices).__name__} {indices!r:.60}")
        n = len(dataset)
        outside = array[(array < -n) | (array >= n)]
        if outside.size:
            raise IndexError(f"Subset: index {outside[0]} is out of range for a dataset of {n} examples (indices "
                             f"go from {-n} to {n - 1})")
        self.dataset = dataset
        self.indices = array.astype(np.int64)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        if isinstance(index, np.ndarray):  # a batch, cut as the DataLoader cuts one from minigan's own datasets
            return self.dataset[self.indices[index]]
        return self.dataset[int(self.indices[_position(index, len(self), "Subset")])]


class ConcatDataset(Dataset):
    """Datasets one after the other, as ``torch.utils.data.ConcatDataset`` (``a + b`` for two ``Dataset``s).

    ``concat[i]`` is example i of them all (a negative i counts from the end; one out of range is an IndexError,
    where PyTorch raises ValueError for a negative one); ``cumulative_sizes``: where each dataset ends. A
    DataLoader reads a ConcatDataset one example at a time and stacks them, as PyTorch's does; for arrays held
    in memory, ``ArrayDataset(np.concatenate(...), ...)`` cuts whole batches, which is much faster.
    """

    def __init__(self, datasets):
        if isinstance(datasets, Dataset) or not hasattr(datasets, "__iter__"):
            raise TypeError(f"ConcatDataset: expected a list of datasets, as ConcatDataset([a, b]), got a "
                            f"{type(datasets).__name__}")
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: expected one or more datasets, got none")
        for k, dataset in enumerate(self.datasets):
            if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
                raise TypeError(f"ConcatDataset: datasets[{k}] is a {type(dataset).__name__}, not a dataset (with "
                                "len() and dataset[i])")
        self.cumulative_sizes = list(itertools.accumulate(len(dataset) for dataset in self.datasets))

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        index = _position(index, len(self), "ConcatDataset")
        k = bisect.bisect_right(self.cumulative_sizes, index)  # the first dataset that ends after the index
        return self.datasets[k][index - (self.cumulative_sizes[k - 1] if k else 0)]


def _check_seed(seed, name):
    if seed is not None and not (isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and seed >= 0):
        raise ValueError(f"{name}: seed must be a whole number >= 0 (or None: drawn from minigan's generator), "
                         f"got {seed!r}")


def _seed_from_minigan():
    """A seed drawn from minigan's generator, so that ``minigan.manual_seed`` makes what it seeds repeat."""
    return int(backend.generator("cpu").integers(2**63))


def random_split(dataset, lengths, generator=None, *, seed=None):
    """Split ``dataset`` into Subsets of the given lengths, in a random order, as ``torch.utils.data.random_split``.

        train, val = random_split(MNIST(), [0.9, 0.1], seed=0)

    ``lengths``: whole numbers that add up to ``len(dataset)``, or fractions that add up to 1 (each split gets
    ``floor(fraction * len(dataset))`` examples, and those left over go one each to the first splits, as in
    PyTorch). The order is drawn, as the DataLoader's, from ``seed`` (a whole number >= 0: ``seed=s`` is
    ``generator=np.random.default_rng(s)``) or from ``generator``, a NumPy ``np.random.Generator`` (minigan has
    no ``torch.Generator``); with neither, a seed is drawn from minigan's generator, so that
    ``minigan.manual_seed`` makes the split repeat, as ``torch.manual_seed`` does.
    """
    if generator is not None and not isinstance(generator, np.random.Generator):
        raise TypeError(f"random_split: generator must be a NumPy np.random.Generator, got a "
                        f"{type(generator).__name__}; for a repeatable split give seed=<int> (minigan has no "
                        "torch.Generator)")
    if generator is not None and seed is not None:
        raise ValueError("random_split: give seed= or generator=, not both")
    _check_seed(seed, "random_split")
    _check_dataset(dataset, "random_split")
    if not hasattr(lengths, "__iter__"):
        raise TypeError(f"random_split: lengths must be a list, as [0.8, 0.2] or [800, 200], got "
                        f"{type(lengths).__name__} {lengths!r:.40}")
    n, lengths = len(dataset), list(lengths)
    plain = bool(lengths) and all(isinstance(x, numbers.Real) and not isinstance(x, (bool, np.bool_))
                                  for x in lengths)
    whole = plain and all(isinstance(x, numbers.Integral) and x >= 0 for x in lengths)
    real = plain and all(0 <= x <= 1 for x in lengths)
    if real and math.isclose(sum(lengths), 1) and sum(lengths) <= 1:  # fractions (PyTorch's test)
        sizes = [math.floor(n * fraction) for fraction in lengths]
        for k in range(n - sum(sizes)):  # the examples left over: one each to the first splits
            sizes[k % len(sizes)] += 1
    elif whole:
        sizes = [int(x) for x in lengths]
    else:
        sizes = None
    if sizes is None or sum(sizes) != n:
        total = f" (they add up to {sum(lengths):g})" if plain else ""
        raise ValueError(f"random_split: lengths must be whole numbers that add up to the dataset's {n} examples, "
                         f"or fractions from 0 to 1 that add up to 1; got {lengths!r:.80}{total}")
    for k, size in enumerate(sizes):
        if size == 0:
            warnings.warn(f"random_split: split {k} has no examples", stacklevel=2)
    if generator is None:
        generator = np.random.default_rng(_seed_from_minigan() if seed is None else seed)
    order = generator.permutation(n)
    ends = itertools.accumulate(sizes)
    return [Subset(dataset, order[end - size:end]) for end, size in zip(ends, sizes)]


def _reading(dataset):
    """How the DataLoader reads `dataset`, one rule for every kind:

    - "rows": a tensor or a NumPy array of numbers (or a Subset of one), whose examples are its rows. A batch is
      ``dataset[index_array]``, the rows at once: what stacking the rows one at a time gives, the dtype kept,
      only faster (and, for a tensor that requires grad, an indexing result in its graph, as PyTorch's batch is).
    - "cut": a ``Dataset`` whose ``__getitem__`` is ArrayDataset's or TensorDataset's own, which take an index
      array (MNIST, Digits, ArrayDataset, TensorDataset, their subclasses that do not define ``__getitem__``,
      and a Subset of those): a batch is ``dataset[index_array]``, a tuple of arrays (much faster).
    - "one": one example at a time, stacked as PyTorch's default collate does (``_collate``): another
      ``Dataset`` (a ConcatDataset too), and a Subset of an object that is not a Dataset (of a list, as
      ``random_split(list_of_examples, ...)`` makes), as torch's.
    - "probe": an object that is not a Dataset (a list, a dict, your own class): its first batch decides
      between "cut" and "one" (``_first_batch``), since minigan used to cut such objects a batch at a time.
    """
    if _is_rows(dataset):
        return "rows"
    if isinstance(dataset, Subset):
        inner = _reading(dataset.dataset)
        return "one" if inner == "probe" else inner  # (a Subset passes an index array on to its dataset)
    if isinstance(dataset, Dataset):
        return "cut" if type(dataset).__getitem__ in _BATCH_GETITEMS else "one"
    return "probe"


def _is_rows(dataset):
    """Whether `dataset` is a tensor or a NumPy array of numbers or booleans (or a Subset of one): its rows are
    its examples. (An array of strings or objects is read one row at a time, as the collate takes them.)"""
    if isinstance(dataset, Subset):
        return _is_rows(dataset.dataset)
    return isinstance(dataset, Tensor) or (isinstance(dataset, np.ndarray) and dataset.dtype.kind in "biuf")


def _is_batch(batch, n):
    """Whether `batch` is what ``dataset[index_array]`` must return for n indices: a tuple of arrays (or
    tensors) with n rows each."""
    return isinstance(batch, tuple) and len(batch) >= 1 and all(getattr(p, "shape", ())[:1] == (n,) for p in batch)


def _shapes(batch):
    """What a ``dataset[index_array]`` gave, for an error: the shapes of a tuple's parts, or its type."""
    if isinstance(batch, tuple):
        return f"shapes {[getattr(part, 'shape', None) for part in batch]}"
    return type(batch).__name__


def _cut(dataset, index):
    """``dataset[index_array]``, checked: a tuple of arrays (or tensors) with one row per index."""
    name = type(dataset).__name__
    try:
        batch = dataset[index]
    except (TypeError, IndexError, ValueError, KeyError) as error:
        raise TypeError(
            f"DataLoader: {name}[index_array] failed ({type(error).__name__}: {error}); the loader cuts every batch "
            f"of a {name} with one index array (see DataLoader), so it must take the index array of every batch"
        ) from error
    if not isinstance(batch, tuple) or not batch:
        raise TypeError(
            f"DataLoader: dataset[index_array] must return an (images, labels) pair of arrays "
            f"(or a tuple of them), got {type(batch).__name__}; see minigan.data.ArrayDataset"
        )
    if not _is_batch(batch, len(index)):
        raise TypeError(
            f"DataLoader: {name}[index_array] for {len(index)} examples returned {_shapes(batch)}, not "
            f"{len(index)} rows each; the loader cuts every batch of a {name} with one index array (see "
            "DataLoader), so it must give a batch for the index array of every batch"
        )
    return batch


def _first_batch(dataset, index, device):
    """How to read `dataset`, an object that is not a Dataset ("cut" or "one"), and its first batch.

    It is first given the whole index array, as minigan read such objects before it took any map-style dataset:
    a tuple of arrays with one row per index is a batch (an object written for that fast path keeps it, with
    one ``dataset[index_array]`` per batch). An error, or anything else, shows a map-style dataset, as
    PyTorch's loader takes, whose ``dataset[i]`` is one example: it is read one example at a time from then on.
    (One that takes an index array *and* gives, for two indices, two arrays of two rows is ambiguous; its
    first batch is then taken as a batch.)
    """
    name = type(dataset).__name__
    try:
        batch = dataset[index]
    except (TypeError, IndexError, ValueError, KeyError) as error:  # a list, a dict: it takes no index array
        what = f"failed ({type(error).__name__}: {error})"
    else:
        if _is_batch(batch, len(index)):
            return "cut", batch
        what = f"returned {_shapes(batch)}, not a tuple of arrays of {len(index)} rows"
    examples = []
    for k in index:
        try:
            examples.append(dataset[int(k)])
        except (TypeError, IndexError, ValueError, KeyError) as error:  # it takes neither: name both tries
            raise TypeError(
                f"DataLoader: cannot read a {name}: {name}[index_array] {what}, and {name}[{int(k)}] failed "
                f"({type(error).__name__}: {error}); a dataset gives example i for dataset[i], as a PyTorch "
                "map-style dataset (or, minigan's fast path, a tuple of arrays with one row per index for "
                "dataset[index_array])"
            ) from error
    return "one", _collate(examples, device)


_BATCH_GETITEMS = (ArrayDataset.__getitem__, TensorDataset.__getitem__)  # the __getitem__s that take an index array


class _Pass:
    """Where one pass over a DataLoader (one iterator) stands: the shuffling generator's state before the pass
    drew its order, and how many batches it has handed out."""

    def __init__(self, rng_state, batches_done=0):
        self.rng_state = rng_state
        self.batches_done = batches_done
        self.finished = False


_SAMPLER_HINT = ("minigan's loader reads the dataset in order, or in a new random order every epoch with "
                 "shuffle=True (seed=... makes it repeatable); to use only some examples, give it a smaller dataset "
                 "(minigan.data.Subset(dataset, indices), or dataset.subset(n): the first n)")
_NO_WORKERS = "there are no worker processes (batches are cut in this process): drop the argument"
# PyTorch's DataLoader arguments that minigan's does not use: their defaults (accepted, meaning the same) and what to
# do instead.
_TORCH_ONLY_ARGUMENTS = {
    "sampler": (None, _SAMPLER_HINT),
    "batch_sampler": (None, _SAMPLER_HINT),
    "collate_fn": (None, "a Dataset's examples are stacked field by field as PyTorch's default collate does; change "
                         "each example in your Dataset's __getitem__, or the batch inside the training loop"),
    "generator": (None, "give seed=<int> for a repeatable order (without it, minigan.manual_seed decides the order, "
                        "as torch.manual_seed does)"),
    "num_workers": (0, _NO_WORKERS + " (the in-memory dataset is cut fast enough for MNIST)"),
    "pin_memory": (False, "batches go to device='cuda' directly: drop the argument"),
    "timeout": (0, _NO_WORKERS),
    "worker_init_fn": (None, _NO_WORKERS),
    "multiprocessing_context": (None, _NO_WORKERS),
    "prefetch_factor": (None, _NO_WORKERS),
    "persistent_workers": (False, _NO_WORKERS),
    "in_order": (True, _NO_WORKERS),
    "pin_memory_device": ("", "batches go to device='cuda' directly: drop the argument"),
}


def _check_torch_arguments(arguments):
    """PyTorch's arguments at their defaults are accepted; another value is refused with what to do instead."""
    for name, value in arguments.items():
        if name not in _TORCH_ONLY_ARGUMENTS:
            raise TypeError(f"DataLoader() got an unexpected keyword argument {name!r}")
        default, hint = _TORCH_ONLY_ARGUMENTS[name]
        numeric = isinstance(default, (int, str)) and not isinstance(default, bool) and not isinstance(value, bool)
        if not (value is default or (numeric and value == default)):  # (timeout=0.0 is 0)
            raise NotImplementedError(f"DataLoader: {name}={value!r:.60} is not supported (only its default, "
                                      f"{default!r}): {hint}")


class DataLoader:
    """Iterate over a dataset in batches of ``(real, labels)`` Tensors.

    ``dataset``: any map-style dataset, as PyTorch's loader takes: an object with
    ``len()`` and ``dataset[i]`` (example i), such as a ``Dataset``, a list of
    examples (``[(x0, y0), (x1, y1), ...]``), a tensor or a NumPy array (its rows
    are the examples: batches of rows, as in PyTorch). One rule (``_reading``)
    says which are cut a whole batch at a time with one index array (fast) and
    which are read one example at a time and stacked, as PyTorch's loader does: a
    ``Dataset`` is read one example at a time unless its ``__getitem__`` is
    ArrayDataset's or TensorDataset's own. So MNIST, Digits, ArrayDataset,
    TensorDataset and their subclasses are cut a batch at a time, but a subclass
    that defines its own ``__getitem__`` gets one index i at a time, as in
    PyTorch; a tensor or an array of numbers is cut a batch of rows at a time
    (the same batches, faster); a ``Subset`` is read as its dataset is (a Subset
    of a list one example at a time), a ``ConcatDataset`` (``a + b``) one example
    at a time. Another object (a list, your own class) is first given the whole
    index array of its first batch: if ``dataset[index_array]`` returns a tuple
    of arrays with one row per index (minigan's older fast path), every batch is
    cut so; otherwise it is read one example at a time. Batches: (images, labels)
    pairs from MNIST, Digits and ArrayDataset, one tensor per tensor given from a
    TensorDataset (a tuple as long), a tensor of rows from a tensor or an array,
    the examples' fields stacked otherwise.
    ``shuffle``: a new random order every epoch; ``drop_last``: skip the final,
    smaller batch; ``seed``: seed of the shuffling generator (None: drawn from
    minigan's generator when the loader is made, so that ``minigan.manual_seed``
    makes the order repeat, as ``torch.manual_seed`` does);
    ``device``: where the batches are put ("cpu" or "cuda"). PyTorch's other
    arguments (``num_workers``, ``pin_memory``, ``sampler``, ``collate_fn``,
    ``generator``, ...) are accepted at their defaults (batches are cut from
    memory in this process; there are no worker processes to start); another
    value is refused with what to do instead. Each ``for`` loop (each
    ``iter(loader)``) is a pass of its own, with its own position and order;
    ``state_dict()`` records the one started most recently.
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None, device="cpu",
                 **torch_arguments):
        _check_torch_arguments(torch_arguments)
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            if hasattr(dataset, "sample"):
                hint = "a toy mixture has no fixed size: draw a batch with dataset.sample(n)"
            elif hasattr(dataset, "__iter__"):  # (PyTorch's IterableDataset: minigan's loader has none)
                hint = ("an iterable without dataset[i] (a generator, an iterator, a set) cannot be read in any "
                        "order: make a list of its examples, list(...)")
            else:
                hint = ("give a minigan.data.Dataset subclass, a list of examples, a tensor or an array (its rows "
                        "are the examples)")
            raise TypeError(f"DataLoader: the dataset must have len() and dataset[i] (example i), as a PyTorch "
                            f"map-style dataset; got a {type(dataset).__name__}: {hint}")
        if isinstance(dataset, (np.ndarray, Tensor)) and dataset.ndim == 0:  # (len() would fail without a word)
            raise TypeError(f"DataLoader: the dataset is a single number (a 0-d {type(dataset).__name__}); a tensor "
                            "or an array is read as rows, one example per row along its first axis")
        if not isinstance(batch_size, numbers.Integral) or isinstance(batch_size, bool) or batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        batch_size = int(batch_size)  # (a NumPy integer too)
        if not (drop_last is None or isinstance(drop_last, (bool, np.bool_))  # (PyTorch code may pass None)
                or (isinstance(drop_last, numbers.Integral) and drop_last in (0, 1))):
            raise TypeError(f"DataLoader: drop_last must be True or False, got {type(drop_last).__name__} "
                            f"{drop_last!r:.60}; minigan's arguments after shuffle are drop_last, seed, device "
                            "(PyTorch's are sampler, batch_sampler, num_workers): pass them by name")
        if len(dataset) == 0:
            raise ValueError("DataLoader: the dataset is empty")
        _check_seed(seed, "DataLoader")
        if drop_last and batch_size > len(dataset):
            raise ValueError(
                f"DataLoader: batch_size {batch_size} is larger than the dataset ({len(dataset)} examples) "
                "and drop_last=True, so there would be no batch at all; use a smaller batch size"
            )
        self.dataset = dataset
        self.batch_size = batch_size
        self.shuffle = bool(shuffle)  # (PyTorch's default is None; a saved state compares True/False)
        self.drop_last = bool(drop_last)
        self.device = backend.check_device(device)
        if seed is None and shuffle:  # as in PyTorch, the global seed decides the order
            seed = _seed_from_minigan()
        self.rng = np.random.default_rng(seed)
        self._latest = None  # the _Pass started most recently (what state_dict describes)
        self._resume = False  # set by load_state_dict: the next pass continues the saved one, self._latest
        self._on_device = None  # on a GPU: the whole in-memory dataset, copied there once
        self._how = _reading(dataset)  # "rows", "cut", "one", or "probe" until the first batch is read

    def __len__(self):
        """Number of batches per epoch."""
        n, b = len(self.dataset), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def __iter__(self):
        """One pass over the data (an epoch), with its own position: it draws its order when it hands out its
        first batch, so a second iterator running at the same time gets the next order, as in PyTorch."""
        if self._resume:  # continue the pass recorded by load_state_dict
            self._resume = False
            this = self._latest
            self.rng.bit_generator.state = this.rng_state
        else:  # a fresh pass
            this = self._latest = _Pass(self.rng.bit_generator.state)
        n = len(self.dataset)
        order = self.rng.permutation(n) if self.shuffle else np.arange(n)
        source = self._device_arrays()
        if source is not None:
            order = backend.asarray(order, device=self.device)  # one small copy per epoch
        for i in range(this.batches_done, len(self)):
            index = order[i * self.batch_size: (i + 1) * self.batch_size]
            batch = self._batch(index, source)
            this.batches_done = i + 1
            yield batch
        this.finished = True  # (a pass left before its end, by break, is not)

    def _batch(self, index, source):
        """The batch of the examples at `index` (an index array), read as ``_reading`` says; `source`: the
        dataset's arrays already on the GPU, or None."""
        if source is not None:  # cut the batch on the GPU: no host -> device copy per batch
            parts = tuple(Tensor(array[index], device=self.device) for array in source)
            return parts[0] if self._how == "rows" else parts
        if self._how == "probe":  # an object that is not a Dataset: its first batch decides, once per loader
            self._how, batch = _first_batch(self.dataset, index, self.device)
            if self._how == "one":
                return batch  # (stacked already)
        elif self._how == "one":  # one example at a time, stacked (PyTorch's default collate)
            return _collate([self.dataset[int(k)] for k in index], self.device)  # Tensors already
        elif self._how == "rows":
            rows = self.dataset[index]
            # a tensor's rows keep their graph, as PyTorch's batch of a tensor that requires grad (.to is
            # differentiable, and this very tensor when the device is the same)
            return rows.to(self.device) if isinstance(rows, Tensor) else Tensor(np.asarray(rows), device=self.device)
        else:
            batch = _cut(self.dataset, index)
        return tuple(Tensor(part, device=self.device) for part in batch)

    def _device_arrays(self):
        """On a GPU, the dataset's arrays copied to the device once: the ``images`` and ``labels`` of
        MNIST or an ArrayDataset, a TensorDataset's tensors, a NumPy array given as the dataset.

        None on the CPU, or for a dataset that holds none of them (its batches are
        then copied one at a time).
        """
        how = _reading(self.dataset)  # (an object that is not a Dataset is always read through its dataset[...])
        if self.device == "cpu" or how not in ("cut", "rows"):  # read one example at a time, or a probed object
            return None
        if how == "rows":  # a NumPy array (a tensor is indexed where it is, its graph kept)
            if not isinstance(self.dataset, np.ndarray):
                return None
            if self._on_device is None:
                self._on_device = (backend.asarray(self.dataset, device=self.device),)
            return self._on_device
        if self._on_device is None:
            if isinstance(self.dataset, TensorDataset):
                arrays = tuple(t.data for t in self.dataset.tensors)
            else:
                arrays = (getattr(self.dataset, "images", None), getattr(self.dataset, "labels", None))
                if not all(isinstance(a, np.ndarray) for a in arrays):
                    return None
            self._on_device = tuple(backend.asarray(a, device=self.device) for a in arrays)
        return self._on_device

    def state_dict(self):
        """Everything needed to continue with exactly the same batches (plain values).

        It describes the pass (the iterator) started most recently: while that one is under way, its order
        and how many batches it handed out; once it has handed out its last batch, the next epoch. (Another
        iterator still running at the same time, two ``for`` loops over one loader, is not recorded.)
        """
        this = self._latest
        in_epoch = this is not None and not this.finished
        return {
            "rng": backend._stringify_ints(this.rng_state if in_epoch else self.rng.bit_generator.state),
            "batches_done": this.batches_done if in_epoch else 0,
            "in_epoch": in_epoch,
            "dataset_len": len(self.dataset),  # another dataset would be cut into other batches
            # and other settings would count batches_done in other units, or read another order
            "batch_size": self.batch_size,
            "shuffle": self.shuffle,
            "drop_last": self.drop_last,
        }

    def load_state_dict(self, state):
        """Restore what ``state_dict`` returned: the next ``for`` loop continues from there."""
        if not (isinstance(state, dict) and {"rng", "batches_done", "in_epoch"} <= set(state)):
            got = (type(state).__name__ if not isinstance(state, dict) else "an empty dict" if not state
                   else f"a dict with keys {', '.join(map(str, list(state)[:4]))}")
            raise TypeError("DataLoader.load_state_dict expects what DataLoader.state_dict() returns, a dict with "
                            f"'rng', 'batches_done' and 'in_epoch'; got {got}")
        if "dataset_len" in state and state["dataset_len"] != len(self.dataset):  # states saved before have none
            raise ValueError(f"DataLoader.load_state_dict: the state was saved for a dataset of {state['dataset_len']} "
                             f"examples, this loader's has {len(self.dataset)}; resume with the same dataset "
                             "(the same subset), or start a new epoch without loading the state")
        for key in ("batch_size", "shuffle", "drop_last"):  # (states saved before 3 Dec have none)
            if key in state and state[key] != getattr(self, key):
                raise ValueError(f"DataLoader.load_state_dict: the state was saved by a loader with {key}="
                                 f"{state[key]!r}, this one has {key}={getattr(self, key)!r}; resume with the same "
                                 "settings, or the epoch would skip or repeat examples")
        self.rng.bit_generator.state = backend._unstringify_ints(state["rng"])
        self._resume = bool(state["in_epoch"])
        self._latest = _Pass(self.rng.bit_generator.state, int(state["batches_done"])) if self._resume else None
