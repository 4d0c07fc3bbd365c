"""DataLoader: batching, shuffling, determinism and exact resume from its saved state.

The tests that iterate take the `device` fixture: batches must arrive on the loader's
device, while the order (drawn by the loader's own NumPy generator) is the same everywhere."""

import collections
import subprocess
import sys
import warnings

import numpy as np
import pytest

import minigan
from minigan.data import ArrayDataset, DataLoader


def _dataset(n=10):
    images = np.arange(n, dtype=np.float32).reshape(n, 1, 1, 1)
    return ArrayDataset(images, np.arange(n) % 3)


def _through_disk(state, folder):
    """Save and reload, as a checkpoint would."""
    minigan.save(state, folder / "loader.npz")
    return minigan.load(folder / "loader.npz")


def _order(loader):
    """The image values (= dataset indices) of one epoch, in order; checks each batch is on the loader's device."""
    order = []
    for real, labels in loader:
        assert real.device == loader.device and labels.device == loader.device
        np.testing.assert_array_equal(labels.numpy(), real.numpy().ravel().astype(np.int64) % 3)  # pairs stay together
        order += [int(v) for v in real.numpy().ravel()]
    return order


def test_batches_in_order_with_a_short_last_batch(device):
    batches = list(DataLoader(_dataset(10), batch_size=4, device=device))
    assert [tuple(real.shape) for real, _ in batches] == [(4, 1, 1, 1), (4, 1, 1, 1), (2, 1, 1, 1)]
    real, labels = batches[0]
    assert isinstance(real, minigan.Tensor) and real.dtype == np.float32 and labels.dtype == np.int64
    assert all(r.device == device and y.device == device for r, y in batches)
    assert labels.tolist() == [0, 1, 2, 0]
    assert real.numpy().ravel().tolist() == [0.0, 1.0, 2.0, 3.0]
    assert len(DataLoader(_dataset(10), 4, device=device)) == 3


def test_drop_last(device):
    loader = DataLoader(_dataset(10), batch_size=4, drop_last=True, device=device)
    assert len(loader) == 2 and _order(loader) == list(range(8))


def test_shuffle_is_a_permutation_deterministic_by_seed_and_new_each_epoch(device):
    a = DataLoader(_dataset(50), 8, shuffle=True, seed=3, device=device)
    b = DataLoader(_dataset(50), 8, shuffle=True, seed=3, device=device)
    first, second = _order(a), _order(a)
    assert sorted(first) == list(range(50)) and sorted(second) == list(range(50))
    assert first != second and first != list(range(50))
    assert _order(b) == first and _order(b) == second
    assert _order(DataLoader(_dataset(50), 8, shuffle=True, seed=4, device=device)) != first
    # the order is the loader's own: the same on every device
    assert _order(DataLoader(_dataset(50), 8, shuffle=True, seed=3)) == first


def test_shuffling_ignores_the_global_generator(device):
    a = DataLoader(_dataset(30), 5, shuffle=True, seed=0, device=device)
    b = DataLoader(_dataset(30), 5, shuffle=True, seed=0, device=device)
    first = _order(a)
    minigan.randn(1000, device=device)  # the model drawing noise must not change the data order
    assert _order(b) == first


def test_without_a_seed_the_global_seed_decides_the_order_as_in_torch(device):
    def epochs(**kwargs):
        loader = DataLoader(_dataset(30), 5, shuffle=True, device=device, **kwargs)
        return _order(loader), _order(loader)

    minigan.manual_seed(0)
    first = epochs()
    minigan.manual_seed(0)
    assert epochs() == first and first[0] != first[1]  # torch.manual_seed(0) repeats the order too
    minigan.manual_seed(1)
    assert epochs() != first
    minigan.manual_seed(0)
    minigan.randn(3)  # the loader takes its seed from where the global generator stands when it is made
    assert epochs() != first
    minigan.manual_seed(0)
    unshuffled = DataLoader(_dataset(30), 5)  # draws nothing: the model's numbers after it stay the same
    after = minigan.randn(3).numpy()
    minigan.manual_seed(0)
    np.testing.assert_array_equal(after, minigan.randn(3).numpy())
    assert _order(unshuffled) == list(range(30))


def test_state_dict_resumes_between_epochs(device, tmp_path):
    a = DataLoader(_dataset(40), 6, shuffle=True, seed=1, device=device)
    _order(a)
    state = _through_disk(a.state_dict(), tmp_path)
    expected = [_order(a), _order(a)]
    b = DataLoader(_dataset(40), 6, shuffle=True, seed=99, device=device)
    b.load_state_dict(state)
    assert [_order(b), _order(b)] == expected


def test_state_dict_resumes_in_the_middle_of_an_epoch(device, tmp_path):
    a = DataLoader(_dataset(40), 6, shuffle=True, seed=1, device=device)
    full = [_order(a), _order(a)]
    c = DataLoader(_dataset(40), 6, shuffle=True, seed=1, device=device)
    it = iter(c)
    seen = [int(v) for _ in range(3) for v in next(it)[0].numpy().ravel()]
    state = _through_disk(c.state_dict(), tmp_path)
    d = DataLoader(_dataset(40), 6, shuffle=True, seed=7, device=device)
    d.load_state_dict(state)
    assert seen + _order(d) == full[0]
    assert _order(d) == full[1]


def test_breaking_out_of_an_epoch_starts_a_fresh_one_next_time(device):
    loader = DataLoader(_dataset(12), 4, device=device)
    for _ in loader:
        break
    assert _order(loader) == list(range(12))


def test_bad_arguments():
    with pytest.raises(TypeError, match=r"got a ToyDataset: a toy mixture has no fixed size.*sample\(n\)"):
        DataLoader(minigan.data.ring(), 2)
    # what a dataset needs, said for objects without it (as torch's, minigan's loader has no IterableDataset)
    for nothing, hint in [((x for x in range(3)), r"an iterable without dataset\[i\] .* make a list of its examples, "
                                                r"list\(...\)"),
                          ({1, 2, 3}, r"an iterable without dataset\[i\] \(a generator, an iterator, a set\)"),
                          (5, r"give a minigan.data.Dataset subclass, a list of examples, a tensor or an array")]:
        with pytest.raises(TypeError, match=rf"DataLoader: the dataset must have len\(\) and dataset\[i\] \(example "
                                            rf"i\), as a PyTorch map-style dataset; got a {type(nothing).__name__}: "
                                            rf"{hint}"):
            DataLoader(nothing, 2)
    for number in (np.float32(3), np.array(3.0), minigan.tensor(3.0)):
        with pytest.raises(TypeError, match=r"DataLoader: the (dataset must have len|dataset is a single number)"):
            DataLoader(number, 2)

    class Images:  # not a minigan Dataset, whose batches have no labels and whose images[i] fails
        def __len__(self):
            return 4

        def __getitem__(self, index):
            return np.ones((len(index), 2))

    with pytest.raises(TypeError, match=r"cannot read a Images: Images\[index_array\] returned ndarray, not a tuple of "
                                        r"arrays of 2 rows, and Images\[0\] failed \(TypeError: .*\); a dataset gives "
                                        r"example i for dataset\[i\]"):
        next(iter(DataLoader(Images(), 2)))
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(_dataset(), 0)
    with pytest.raises(ValueError, match="drop_last"):
        DataLoader(_dataset(3), 4, drop_last=True)
    with pytest.raises(ValueError, match="DataLoader: the dataset is empty"):
        DataLoader(ArrayDataset(np.zeros((0, 2), np.float32)), 2)


def test_torchs_worker_arguments_are_accepted_at_their_defaults_only():
    data = ArrayDataset(np.zeros((6, 1, 2, 2), dtype=np.float32), np.arange(6))
    assert len(DataLoader(data, num_workers=0, pin_memory=False)) == 6  # batch_size 1 by default, as in torch
    with pytest.raises(NotImplementedError, match="num_workers=2"):
        DataLoader(data, 2, num_workers=2)


def test_images_without_labels_get_label_0_and_tensors_may_be_given():
    images = np.arange(12, dtype=np.float32).reshape(6, 2)
    real, labels = next(iter(DataLoader(ArrayDataset(images), 4)))  # an unconditional GAN's data
    assert real.shape == (4, 2) and labels.tolist() == [0, 0, 0, 0] and labels.dtype == np.int64
    real, labels = next(iter(DataLoader(ArrayDataset(minigan.tensor(images), minigan.tensor(np.arange(6))), 4)))
    assert real.tolist() == images[:4].tolist() and labels.tolist() == [0, 1, 2, 3]


def test_tensor_dataset_batches_one_tensor_per_tensor_given_as_torchs(device):
    points = np.arange(14, dtype=np.float32).reshape(7, 2)
    classes = np.arange(7) % 3
    ours = minigan.data.TensorDataset(minigan.tensor(points, device=device), minigan.tensor(classes, device=device))
    assert len(ours) == 7
    assert [t.tolist() for t in ours[5]] == [[10.0, 11.0], 2]  # one row of each tensor
    rows = ours[np.array([4, 1])]  # a batch of rows, cut where the tensors are
    assert [r.device for r in rows] == [device, device] and rows[1].tolist() == [1, 1]
    # in order, 3 rows a batch; the short last batch kept unless drop_last
    batches = [[points[i:i + 3].tolist(), classes[i:i + 3].tolist()] for i in (0, 3, 6)]
    mine = {drop_last: [[t.tolist() for t in b] for b in DataLoader(ours, 3, drop_last=drop_last, device=device)]
            for drop_last in (False, True)}
    assert mine == {False: batches, True: batches[:2]}
    for (batch,) in DataLoader(minigan.data.TensorDataset(minigan.tensor(points)), 4, shuffle=True, seed=0,
                               device=device):  # a single tensor: batches of one, as `for (x,) in loader`
        assert batch.shape[1:] == (2,) and batch.device == device and batch.dtype == np.float32
    with pytest.raises(ValueError, match=r"TensorDataset: the tensors must have the same length .* \(7, 2\), \(3,\)"):
        minigan.data.TensorDataset(minigan.tensor(points), minigan.zeros(3))
    with pytest.raises(TypeError, match=r"TensorDataset: expected one or more tensors, got \(ndarray\)"):
        minigan.data.TensorDataset(points)
    rows = [b.tolist() for b in DataLoader(minigan.tensor(points, device=device), 3, device=device)]
    assert rows == [points[i:i + 3].tolist() for i in (0, 3, 6)]  # a tensor itself: batches of its rows, as torch's
    torch = pytest.importorskip("torch")
    theirs = torch.utils.data.TensorDataset(torch.tensor(points), torch.tensor(classes))
    assert len(theirs) == 7
    assert [t.tolist() for t in ours[5]] == [t.tolist() for t in theirs[5]]
    for drop_last in (False, True):
        torchs = [[t.tolist() for t in b] for b in torch.utils.data.DataLoader(theirs, 3, drop_last=drop_last)]
        assert mine[drop_last] == torchs


class _Examples(minigan.data.Dataset):
    """A dataset read one example at a time, as PyTorch code writes its own: (point, label) pairs."""

    def __init__(self, n=7, fields=2):
        self.points = np.arange(2 * n, dtype=np.float32).reshape(n, 2)
        self.fields = fields

    def __len__(self):
        return len(self.points)

    def __getitem__(self, i):
        point = minigan.tensor(self.points[i])
        return (point, i % 3) if self.fields == 2 else point


def test_a_dataset_read_one_example_at_a_time_is_collated_as_torchs(device):
    # by hand: the examples stacked 3 at a time, in order, a batch of points and one of labels
    points = np.arange(14, dtype=np.float32).reshape(7, 2)
    batches = [[points[i:i + 3].tolist(), [j % 3 for j in range(i, min(i + 3, 7))]] for i in (0, 3, 6)]
    mine = {drop_last: [[t.tolist() for t in b] for b in DataLoader(_Examples(), 3, drop_last=drop_last, device=device)]
            for drop_last in (False, True)}
    assert mine == {False: batches, True: batches[:2]}
    points, labels = next(iter(DataLoader(_Examples(), 4, shuffle=True, seed=0, device=device)))
    assert points.dtype == np.float32 and labels.dtype == np.int64 and points.device == labels.device == device
    np.testing.assert_array_equal(labels.numpy(), (points.numpy()[:, 0] // 2).astype(np.int64) % 3)  # pairs kept
    single = next(iter(DataLoader(_Examples(fields=1), 4, device=device)))  # examples that are not tuples
    assert isinstance(single, minigan.Tensor) and single.shape == (4, 2)
    torch = pytest.importorskip("torch")

    class TorchExamples(torch.utils.data.Dataset):
        def __init__(self, n=7):
            self.points = np.arange(2 * n, dtype=np.float32).reshape(n, 2)

        def __len__(self):
            return len(self.points)

        def __getitem__(self, i):
            return torch.tensor(self.points[i]), i % 3

    for drop_last in (False, True):
        torchs = [[t.tolist() for t in b] for b in torch.utils.data.DataLoader(TorchExamples(), 3, drop_last=drop_last)]
        assert mine[drop_last] == torchs


def test_a_dataset_read_one_example_at_a_time_resumes_exactly(tmp_path):
    def firsts(batches):  # the first coordinate of every point, batch by batch
        return [points.numpy()[:, 0].tolist() for points, _ in batches]

    uninterrupted = firsts(DataLoader(_Examples(10), 3, shuffle=True, seed=4))
    loader = DataLoader(_Examples(10), 3, shuffle=True, seed=4)
    batches = iter(loader)
    seen = firsts([next(batches)])
    state = _through_disk(loader.state_dict(), tmp_path)
    resumed = DataLoader(_Examples(10), 3, shuffle=True, seed=99)
    resumed.load_state_dict(state)
    assert seen + firsts(resumed) == uninterrupted and len(uninterrupted) == 4


def test_a_dataset_of_dict_examples_gives_dict_batches_as_torchs(device):
    class Named(minigan.data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"image": np.full(2, i, dtype=np.float32), "label": i % 2}

    mine = [{k: v.tolist() for k, v in b.items()} for b in DataLoader(Named(), 2, device=device)]
    # by hand: one dict a batch, each key's values stacked
    assert mine == [{"image": [[0.0, 0.0], [1.0, 1.0]], "label": [0, 1]},
                    {"image": [[2.0, 2.0], [3.0, 3.0]], "label": [0, 1]},
                    {"image": [[4.0, 4.0]], "label": [0]}]
    batch = next(iter(DataLoader(Named(), 2, device=device)))
    assert batch["image"].dtype == np.float32 and batch["label"].dtype == np.int64 and batch["image"].device == device

    class Mixed(Named):
        def __getitem__(self, i):
            return {"image": np.zeros(2)} if i else {"image": np.zeros(2), "label": 0}

    with pytest.raises(TypeError, match="must be a dict with the same keys"):
        next(iter(DataLoader(Mixed(), 2)))
    torch = pytest.importorskip("torch")
    torchs = [{k: v.tolist() for k, v in b.items()} for b in torch.utils.data.DataLoader(Named(), 2)]
    assert mine == torchs


def test_a_map_style_dataset_without_the_base_class_is_read_one_example_at_a_time_as_torchs():
    class OneAtATime:  # torch's DataLoader takes any object with __len__ and __getitem__(i)
        def __len__(self):
            return 8

        def __getitem__(self, i):
            return np.ones(2, np.float32) * i, i

    for batch_size in (3, 4):  # np.ones(2) * index fails to broadcast with 3 or 4 indices (it used to be refused)
        batches = [(x.numpy().tolist(), y.numpy().tolist()) for x, y in DataLoader(OneAtATime(), batch_size)]
        starts = range(0, 8, batch_size)
        assert batches == [([[float(i)] * 2 for i in range(a, min(a + batch_size, 8))],
                            list(range(a, min(a + batch_size, 8)))) for a in starts]

    class SameExample(OneAtATime):  # indexing that never fails: one example, whatever the index
        def __getitem__(self, i):
            return np.ones(2, np.float32), 0

    for batch_size in (2, 4):  # (2: a tuple of two parts, but not of 2 rows each: an example, not a batch)
        x, y = next(iter(DataLoader(SameExample(), batch_size)))
        assert x.shape == (batch_size, 2) and y.tolist() == [0] * batch_size and y.dtype == np.int64
    torch = pytest.importorskip("torch")
    for batch_size in (3, 4):
        mine = [[t.numpy().tolist() for t in b] for b in DataLoader(OneAtATime(), batch_size)]
        assert mine == [[t.tolist() for t in b] for b in torch.utils.data.DataLoader(OneAtATime(), batch_size)]


def test_an_object_that_cuts_whole_batches_still_gets_one_index_array_a_batch():
    """An object that is not a Dataset but whose dataset[index_array] is a batch (minigan's older contract, as the
    training tests' hooked digits): one call per batch, decided by its first batch and kept."""

    class Pairs:
        def __init__(self):
            self.asked = []

        def __len__(self):
            return 10

        def __getitem__(self, index):
            self.asked.append(np.asarray(index).tolist())
            if np.ndim(index) and len(index) == 1:  # fails for a batch of one only: named, not read one at a time
                raise IndexError("no batches of one")
            return np.asarray(index, dtype=np.float32)[:, None] * 10, np.asarray(index) % 3

    pairs = Pairs()
    loader = DataLoader(pairs, 4, shuffle=True, seed=0)
    batches = [(x.numpy().ravel().tolist(), y.numpy().tolist()) for x, y in DataLoader(pairs, 4, drop_last=True)]
    assert pairs.asked == [[0, 1, 2, 3], [4, 5, 6, 7]]
    assert batches == [([0.0, 10.0, 20.0, 30.0], [0, 1, 2, 0]), ([40.0, 50.0, 60.0, 70.0], [1, 2, 0, 1])]
    with pytest.raises(TypeError, match=r"DataLoader: Pairs\[index_array\] failed \(IndexError: no batches of one\); "
                                        r"the loader cuts every batch of a Pairs with one index array"):
        list(DataLoader(Pairs(), 3))  # 10 = 3 + 3 + 3 + 1
    pairs.asked = []
    seen = [v for x, _ in loader for v in x.numpy().ravel().tolist()]  # shuffled: one index array a batch still
    assert [len(a) for a in pairs.asked] == [4, 4, 2] and seen == [10.0 * i for a in pairs.asked for i in a]
    assert sorted(seen) == [10.0 * i for i in range(10)]

    class Shrinking(Pairs):  # a batch at first, then one row short
        def __getitem__(self, index):
            x, y = super().__getitem__(index)
            return (x, y) if len(self.asked) == 1 else (x[1:], y)

    with pytest.raises(TypeError, match=r"Shrinking\[index_array\] for 4 examples returned shapes "
                                        r"\[\(3, 1\), \(4,\)\], not 4 rows each; the loader cuts every batch of "
                                        r"a Shrinking"):
        list(DataLoader(Shrinking(), 4))


def test_a_dataset_whose_examples_do_not_stack_is_named():
    class Ragged(minigan.data.Dataset):
        def __len__(self):
            return 4

        def __getitem__(self, i):
            return (np.zeros(i + 1), 0) if i < 3 else (np.zeros(1),)

    with pytest.raises(TypeError, match="DataLoader: cannot stack the examples' fields into a batch"):
        next(iter(DataLoader(Ragged(), 2)))
    with pytest.raises(TypeError, match="every example of a Dataset must have the same number of fields"):
        list(DataLoader(Ragged(), 4))
    with pytest.raises(NotImplementedError, match="a Dataset subclass must define __getitem__"):
        minigan.data.Dataset()[0]
    floats = next(iter(DataLoader(type("Floats", (minigan.data.Dataset,), {
        "__len__": lambda self: 3, "__getitem__": lambda self, i: 0.5 * i})(), 3)))
    assert floats.dtype == np.float32 and floats.tolist() == [0.0, 0.5, 1.0]  # PyTorch's collate gives float64


def test_a_state_saved_for_another_dataset_is_refused_and_old_states_still_load(tmp_path):
    loader = DataLoader(_dataset(40), 6, shuffle=True, seed=1)
    next(iter(loader))
    state = _through_disk(loader.state_dict(), tmp_path)
    assert state["dataset_len"] == 40
    with pytest.raises(ValueError, match=r"DataLoader.load_state_dict: the state was saved for a dataset of 40 "
                                         r"examples, this loader's has 30; resume with the same dataset"):
        DataLoader(_dataset(30), 6, shuffle=True, seed=1).load_state_dict(state)
    old = {k: v for k, v in state.items() if k != "dataset_len"}  # written before the length was recorded
    resumed = DataLoader(_dataset(40), 6, shuffle=True, seed=5)
    resumed.load_state_dict(old)
    uninterrupted = DataLoader(_dataset(40), 6, shuffle=True, seed=1)
    assert _order(resumed) == _order(uninterrupted)[6:]


def test_load_state_dict_of_the_wrong_kind_and_bad_seeds_are_named():
    loader = DataLoader(_dataset(), 2)
    for wrong, got in (({}, "an empty dict"), (None, "NoneType"), ({"state": {}, "param_groups": []}, "a dict with "
                                                                    "keys state, param_groups")):
        with pytest.raises(TypeError, match=rf"DataLoader.load_state_dict expects what DataLoader.state_dict\(\) "
                                            rf"returns, a dict with 'rng', 'batches_done' and 'in_epoch'; got {got}"):
            loader.load_state_dict(wrong)
    for seed in ("a", -1, 1.5, True):
        with pytest.raises(ValueError, match=rf"DataLoader: seed must be a whole number >= 0 .*got {seed!r}"):
            DataLoader(_dataset(), 2, shuffle=True, seed=seed)
    assert _order(DataLoader(_dataset(), 2, shuffle=True, seed=np.int64(3))) == _order(
        DataLoader(_dataset(), 2, shuffle=True, seed=3))


@pytest.mark.parametrize("change", [dict(batch_size=8), dict(shuffle=False), dict(drop_last=True)])
def test_a_state_saved_with_other_batch_settings_is_refused(change):
    data = ArrayDataset(np.arange(20, dtype=np.float32).reshape(20, 1), np.arange(20) % 10)
    settings = dict(batch_size=4, shuffle=True, drop_last=False, seed=0)
    a = DataLoader(data, **settings)
    batches = iter(a)
    next(batches), next(batches)  # 8 examples seen
    b = DataLoader(data, **{**settings, **change})
    key = next(iter(change))
    with pytest.raises(ValueError, match=rf"saved by a loader with {key}=.*this one has {key}="):
        b.load_state_dict(a.state_dict())  # would count batches in other units, skipping examples
    old = {k: v for k, v in a.state_dict().items() if k not in ("batch_size", "shuffle", "drop_last")}
    DataLoader(data, **settings).load_state_dict(old)  # a state saved before 3 Dec still loads


def _describe(batch):
    """A batch's structure: containers by type name, tensors by (dtype, shape), strings as they are."""
    if isinstance(batch, dict):
        return {key: _describe(value) for key, value in batch.items()}
    if isinstance(batch, (tuple, list)) and not all(isinstance(v, str) for v in batch):
        return [_describe(value) for value in batch]
    if isinstance(batch, (tuple, list)):
        return list(batch)
    return (str(batch.dtype).replace("torch.", ""), tuple(batch.shape))


def _nested(i):
    """One example with every kind of field a learner's dataset gives."""
    return {"image": np.full((1, 2), i, np.float32), "name": f"img{i}.png",
            "pair": (i, np.float32(0.5 * i)), "mean": np.float64(i) / 2, "small": np.int32(i),
            "deep": {"flag": bool(i % 2), "row": np.arange(3) + i}}


def test_nested_examples_strings_and_numpy_numbers_are_collated_as_torchs(device):
    nested = type("Nested", (minigan.data.Dataset,), {"__len__": lambda self: 5,
                                                      "__getitem__": lambda self, i: _nested(i)})
    batch = next(iter(DataLoader(nested(), 3, device=device)))
    # by hand: every field stacked on its own, as deep as the examples go; float32 data stays float32,
    # NumPy numbers keep their dtype (before, a nested tuple became one float64 array of shape (3, 2))
    assert _describe(batch) == {"image": ("float32", (3, 1, 2)), "name": ["img0.png", "img1.png", "img2.png"],
                                "pair": [("int64", (3,)), ("float32", (3,))], "mean": ("float64", (3,)),
                                "small": ("int32", (3,)), "deep": {"flag": ("bool", (3,)), "row": ("int64", (3, 3))}}
    assert batch["pair"][0].device == batch["deep"]["row"].device == device
    assert batch["pair"][1].tolist() == [0.0, 0.5, 1.0] and batch["deep"]["row"].tolist()[2] == [2, 3, 4]
    point = collections.namedtuple("Point", "xy label")
    named = type("Named", (minigan.data.Dataset,), {"__len__": lambda self: 4,
                                                    "__getitem__": lambda self, i: point(np.zeros(2, np.float32), i)})
    first = next(iter(DataLoader(named(), 2, device=device)))
    assert type(first).__name__ == "Point" and first.label.tolist() == [0, 1]  # a namedtuple keeps its names
    torch = pytest.importorskip("torch")

    class Theirs(torch.utils.data.Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return _nested(i)

    assert _describe(batch) == _describe(next(iter(torch.utils.data.DataLoader(Theirs(), 3))))


def test_a_field_that_is_not_data_is_named():
    def loader(example):
        return DataLoader(type("D", (minigan.data.Dataset,), {"__len__": lambda self: 4,
                                                              "__getitem__": lambda self, i: example(i)})(), 2)

    with pytest.raises(TypeError, match=r"DataLoader: found a NoneType \(None\) in field \[1\] of the examples; "
                                        r"every field of a Dataset's examples must be a tensor, an array, a number"):
        next(iter(loader(lambda i: (np.zeros(2), None))))  # (before: "tensor: cannot hold object data")
    with pytest.raises(TypeError, match=r"found a str \('a'\) in field \['label'\] of the examples"):
        next(iter(loader(lambda i: {"label": "a" if i else 0})))
    with pytest.raises(TypeError, match=r"cannot stack the examples' fields into a batch: shapes of field \[0\]\['x'\] "
                                        r"of the examples: \(1,\), \(2,\)"):
        next(iter(loader(lambda i: ({"x": np.zeros(i + 1)},))))


def test_examples_on_two_devices_are_named(device):
    if device == "cpu":
        pytest.skip("needs a second device")
    mixed = type("Mixed", (minigan.data.Dataset,), {
        "__len__": lambda self: 4, "__getitem__": lambda self, i: minigan.zeros(2, device=device if i else "cpu")})
    with pytest.raises(TypeError, match=r"DataLoader: the examples are on different devices \(cpu and cuda\)"):
        next(iter(DataLoader(mixed(), 2)))


def test_torchs_other_arguments_are_accepted_at_their_defaults_and_refused_by_name():
    data = _dataset(6)
    defaults = dict(sampler=None, batch_sampler=None, collate_fn=None, generator=None, timeout=0.0,
                    worker_init_fn=None, multiprocessing_context=None, prefetch_factor=None,
                    persistent_workers=False, in_order=True, pin_memory_device="")
    assert _order(DataLoader(data, 4, **defaults)) == list(range(6))  # (before: "unexpected keyword argument")
    for name, value, fix in [("sampler", [0, 1], r"shuffle=True .*dataset.subset\(n\)"),
                             ("batch_sampler", [[0, 1]], "give it a smaller dataset"),
                             ("collate_fn", lambda batch: batch, r"change each example in your Dataset's __getitem__"),
                             ("generator", object(), r"give seed=<int> for a repeatable order"),
                             ("timeout", 5, "there are no worker processes"),
                             ("persistent_workers", True, "drop the argument"),
                             ("prefetch_factor", 2, "drop the argument")]:
        default = {"timeout": 0}.get(name, defaults[name])
        with pytest.raises(NotImplementedError, match=rf"DataLoader: {name}=.* is not supported \(only its default, "
                                                      rf"{default!r}\): .*{fix}"):
            DataLoader(data, 2, **{name: value})
    with pytest.raises(TypeError, match="DataLoader\\(\\) got an unexpected keyword argument 'shufle'"):
        DataLoader(data, 2, shufle=True)


def test_batch_size_may_be_a_numpy_integer_and_torchs_positional_sampler_is_refused():
    loader = DataLoader(_dataset(10), np.int64(4))  # e.g. computed with NumPy (before: "must be a positive int")
    assert len(loader) == 3 and type(loader.batch_size) is int and len(_order(loader)) == 10
    with pytest.raises(ValueError, match="batch_size must be a positive int, got True"):
        DataLoader(_dataset(10), True)  # (before: taken as batch_size 1)
    # PyTorch's 4th positional argument is sampler: here it would have been a truthy drop_last
    with pytest.raises(TypeError, match=r"drop_last must be True or False, got list \[3, 1, 2\].*PyTorch's are "
                                        r"sampler, batch_sampler, num_workers\): pass them by name"):
        DataLoader(_dataset(10), 2, False, [3, 1, 2])
    torchlike = DataLoader(_dataset(10), 4, None, None)  # PyTorch's defaults, passed positionally
    assert torchlike.shuffle is False and torchlike.drop_last is False and len(torchlike) == 3


def test_random_settings_match_torchs_batches():
    """Random dataset sizes, batch sizes, shuffle and drop_last: the same number and sizes of batches as
    torch.utils.data, every example once an epoch, two epochs in two orders, the same again for the same seed."""
    torch = pytest.importorskip("torch")
    settings = np.random.default_rng(0)
    for trial in range(60):
        n = int(settings.choice([1, 2, 3, settings.integers(1, 201)]))
        batch_size, shuffle, drop_last = int(settings.integers(1, n + 4)), bool(trial % 2), bool(trial % 3 == 0)
        theirs = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(torch.arange(n)), batch_size,
                                             shuffle=shuffle, drop_last=drop_last)
        if drop_last and batch_size > n:  # PyTorch's hands out nothing; minigan's says so (docs/pytorch.md)
            assert len(theirs) == 0
            with pytest.raises(ValueError, match="there would be no batch at all"):
                DataLoader(_dataset(n), batch_size, shuffle=shuffle, drop_last=drop_last, seed=trial)
            continue
        ours = DataLoader(_dataset(n), batch_size, shuffle=shuffle, drop_last=drop_last, seed=trial)
        assert len(ours) == len(theirs)
        epochs = []
        for _ in range(2):
            batches = list(ours)
            assert [len(real) for real, _ in batches] == [len(b) for (b,) in theirs] and len(batches) == len(ours)
            epochs.append([int(v) for real, _ in batches for v in real.numpy().ravel()])
            kept = (n // batch_size) * batch_size if drop_last else n
            assert len(epochs[-1]) == len(set(epochs[-1])) == kept
            if not shuffle:
                assert epochs[-1] == [int(v) for (b,) in theirs for v in b]
        if shuffle and n >= 5:
            assert epochs[0] != epochs[1]
        again = DataLoader(_dataset(n), batch_size, shuffle=shuffle, drop_last=drop_last, seed=trial)
        assert [_order(again), _order(again)] == epochs


def _values(batch):
    """The image values (= dataset indices) of one (images, labels) batch."""
    return [int(v) for v in batch[0].numpy().ravel()]


def test_each_iterator_keeps_its_own_position_and_the_state_describes_the_latest(tmp_path):
    sequential = DataLoader(_dataset(40), 6, shuffle=True, seed=1)
    epochs = [_order(sequential) for _ in range(3)]
    loader = DataLoader(_dataset(40), 6, shuffle=True, seed=1)
    first, second = iter(loader), iter(loader)
    seen_first = [v for _ in range(3) for v in _values(next(first))]
    seen_second = _values(next(second))  # started later: the next order, as a second iter() of torch's draws
    seen_first += _values(next(first))  # the first going on must not move the second's count (before: 4)
    state = _through_disk(loader.state_dict(), tmp_path)
    assert state["in_epoch"] and state["batches_done"] == 1
    assert seen_first == epochs[0][:24] and seen_second == epochs[1][:6]
    resumed = DataLoader(_dataset(40), 6, shuffle=True, seed=9)
    resumed.load_state_dict(state)
    assert _order(resumed) == epochs[1][6:] and _order(resumed) == epochs[2]
    seen_first += [v for batch in first for v in _values(batch)]  # the first ends its own pass
    assert seen_first == epochs[0] and loader.state_dict()["batches_done"] == 1
    seen_second += [v for batch in second for v in _values(batch)]
    assert seen_second == epochs[1] and not loader.state_dict()["in_epoch"]
    assert _order(loader) == epochs[2]


def test_an_abandoned_iterator_going_on_later_changes_neither_the_state_nor_the_next_pass():
    loader = DataLoader(_dataset(12), 4, shuffle=True, seed=2)
    first_epoch = _order(DataLoader(_dataset(12), 4, shuffle=True, seed=2))
    left = iter(loader)
    assert _values(next(left)) == first_epoch[:4]
    whole = _order(loader)  # a new pass, from its first batch, in the next order
    state = loader.state_dict()
    assert sorted(whole) == list(range(12)) and whole != first_epoch and not state["in_epoch"]
    assert _values(next(left)) == first_epoch[4:8]  # the left one goes on where it was
    assert loader.state_dict() == state  # (before: batches_done 2 of a finished epoch)
    resumed = DataLoader(_dataset(12), 4, shuffle=True, seed=5)
    resumed.load_state_dict(state)
    assert _order(resumed) == _order(loader)


def test_two_loops_over_one_loader_at_once_as_torchs():
    unshuffled = DataLoader(_dataset(10), 4)
    assert [(_values(a), _values(b)) for a, b in zip(unshuffled, unshuffled)] == [
        ([0, 1, 2, 3],) * 2, ([4, 5, 6, 7],) * 2, ([8, 9],) * 2]  # two passes of their own
    shuffled = DataLoader(_dataset(10), 4, shuffle=True, seed=0)
    pairs = list(zip(shuffled, shuffled))
    orders = [[v for pair in pairs for v in _values(pair[k])] for k in (0, 1)]
    again = DataLoader(_dataset(10), 4, shuffle=True, seed=0)
    assert orders == [_order(again), _order(again)]  # the second draws the next order
    torch = pytest.importorskip("torch")
    data = torch.utils.data.TensorDataset(torch.arange(10))
    theirs = torch.utils.data.DataLoader(data, 4)
    assert [(a[0].tolist(), b[0].tolist()) for a, b in zip(theirs, theirs)] == [
        (_values(a), _values(b)) for a, b in zip(unshuffled, unshuffled)]
    theirs = torch.utils.data.DataLoader(data, 4, shuffle=True, generator=torch.Generator().manual_seed(0))
    torchs = [[v for pair in zip(theirs, theirs) for v in pair[k][0].tolist()] for k in (0, 1)]
    assert sorted(torchs[0]) == sorted(torchs[1]) == list(range(10)) and torchs[0] != torchs[1]
    assert sorted(orders[0]) == sorted(orders[1]) == list(range(10)) and orders[0] != orders[1]


def test_subset_and_concat_dataset_index_as_torchs():
    points = np.arange(20, dtype=np.float32).reshape(10, 2)
    ours = minigan.data.TensorDataset(minigan.tensor(points))
    subset = minigan.data.Subset(ours, [3, 1, -1])
    joined = minigan.data.ConcatDataset([ours, subset])  # 10 + 3 examples
    assert isinstance(subset, minigan.data.Dataset) and isinstance(ours, minigan.data.Dataset)
    # by hand: subset[i] is ours[indices[i]]; joined's examples are ours', then the subset's
    assert [t.tolist() for (t,) in subset] == [[6.0, 7.0], [2.0, 3.0], [18.0, 19.0]]  # (iterates until IndexError)
    assert subset[-1][0].tolist() == [18.0, 19.0] and joined[11][0].tolist() == [2.0, 3.0]
    assert len(joined) == 13 and joined.cumulative_sizes == [10, 13] and joined[-13][0].tolist() == [0.0, 1.0]
    assert [t.tolist() for (t,) in ours + subset] == [t.tolist() for (t,) in joined]  # Dataset + Dataset
    for dataset, bad, error in [(subset, 3, IndexError), (subset, -4, IndexError), (joined, 13, IndexError),
                                (joined, -14, IndexError), (joined, 1.0, TypeError), (subset, True, TypeError)]:
        with pytest.raises(error, match=rf"{type(dataset).__name__}: .*{bad}"):
            dataset[bad]
    with pytest.raises(IndexError, match=r"Subset: index 10 is out of range for a dataset of 10 examples"):
        minigan.data.Subset(ours, [0, 10])  # (torch's fails only when that example is read)
    with pytest.raises(TypeError, match=r"Subset: indices must be a list \(or a 1-D array\) of whole numbers, got "
                                        r"list \[0.5\]"):
        minigan.data.Subset(ours, [0.5])
    with pytest.raises(ValueError, match="ConcatDataset: expected one or more datasets, got none"):
        minigan.data.ConcatDataset([])
    with pytest.raises(TypeError, match=r"ConcatDataset: datasets\[1\] is a int, not a dataset"):
        minigan.data.ConcatDataset([ours, 3])
    with pytest.raises(TypeError, match=r"expected a list of datasets, as ConcatDataset\(\[a, b\]\), got a Subset"):
        minigan.data.ConcatDataset(subset)
    torch = pytest.importorskip("torch")
    theirs = torch.utils.data.TensorDataset(torch.tensor(points))
    their_joined = torch.utils.data.ConcatDataset([theirs, torch.utils.data.Subset(theirs, [3, 1, -1])])
    assert their_joined.cumulative_sizes == joined.cumulative_sizes
    assert [joined[i][0].tolist() for i in range(-13, 13)] == [their_joined[i][0].tolist() for i in range(-13, 13)]
    with pytest.raises(IndexError):
        their_joined[13]


def test_random_split_sizes_as_torchs_and_its_orders_repeat_by_seed():
    data = _dataset(10)
    by_seed = [s.indices.tolist() for s in minigan.data.random_split(data, [7, 3], seed=4)]
    assert [len(s) for s in by_seed] == [7, 3] and by_seed != [list(range(7)), list(range(7, 10))]
    assert by_seed == [s.indices.tolist() for s in minigan.data.random_split(data, [0.7, 0.3], seed=4)]
    assert by_seed == [s.indices.tolist() for s in minigan.data.random_split(data, [7, 3], np.random.default_rng(4))]
    assert by_seed != [s.indices.tolist() for s in minigan.data.random_split(data, [7, 3], seed=5)]
    minigan.manual_seed(0)  # without a seed, minigan's generator decides, as torch's does
    unseeded = minigan.data.random_split(data, [7, 3])[0].indices.tolist()
    minigan.manual_seed(0)
    assert minigan.data.random_split(data, [7, 3])[0].indices.tolist() == unseeded
    train, val = minigan.data.random_split(data, [0.8, 0.2], seed=4)
    assert _order(DataLoader(val, 4)) == [int(i) for i in val.indices]  # Subsets feed a DataLoader
    for lengths, total in (([3, 3], "6"), ([0.3, 0.3], "0.6"), ([-1, 11], "10"), ([1.5, -0.5], "1")):
        with pytest.raises(ValueError, match=rf"random_split: lengths must be whole numbers that add up to the "
                                             rf"dataset's 10 examples, or fractions .*\(they add up to {total}\)"):
            minigan.data.random_split(data, lengths, seed=0)  # (torch's takes [-1, 11] as 9 and 1)
    with pytest.raises(TypeError, match=r"generator must be a NumPy np.random.Generator, got a int; .* seed=<int>"):
        minigan.data.random_split(data, [5, 5], 3)
    with pytest.raises(ValueError, match="random_split: give seed= or generator=, not both"):
        minigan.data.random_split(data, [5, 5], np.random.default_rng(0), seed=0)
    with pytest.raises(ValueError, match=r"random_split: seed must be a whole number >= 0 .*got -1"):
        minigan.data.random_split(data, [5, 5], seed=-1)
    with pytest.warns(UserWarning, match="random_split: split 1 has no examples"):
        assert [len(s) for s in minigan.data.random_split(data, [1, 0], seed=0)] == [10, 0]  # fractions, as torch
    with pytest.raises(TypeError, match=r"random_split: lengths must be a list, as \[0.8, 0.2\] .*got float 0.8"):
        minigan.data.random_split(data, 0.8)
    torch = pytest.importorskip("torch")
    settings = np.random.default_rng(1)
    for _ in range(30):  # torch's rule for fractions: floor(n * f) each, what is left one each to the first
        n = int(settings.integers(1, 50))
        fractions = settings.dirichlet(np.ones(settings.integers(1, 5))).tolist()
        fractions[-1] = 1 - sum(fractions[:-1])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a split of no examples (both warn)
            splits = minigan.data.random_split(range(n), fractions, seed=0)
            torchs = torch.utils.data.random_split(range(n), fractions)
        assert [len(s) for s in splits] == [len(s) for s in torchs]
        assert sorted(i for s in splits for i in s.indices) == list(range(n))  # each example in one split


def test_a_subset_of_minigans_datasets_is_cut_a_batch_at_a_time():
    class Counted(np.ndarray):  # labels that record how ArrayDataset's own __getitem__ indexes them
        def __getitem__(self, index):
            asked.append(type(index).__name__)
            return np.asarray(self)[index]

    asked = []
    data = ArrayDataset(np.arange(10, dtype=np.float32).reshape(10, 1), (np.arange(10) % 3).view(Counted))
    assert _order(DataLoader(minigan.data.Subset(data, [9, 0, 4, 2, 7]), 2)) == [9, 0, 4, 2, 7]
    assert asked == ["ndarray"] * 3  # one index array a batch, not one call per example

    class Doubled(minigan.data.TensorDataset):  # a subclass's own __getitem__(i), as PyTorch code writes it
        def __getitem__(self, i):
            (x,) = super().__getitem__(i)
            return x * 2, int(i)

    points = minigan.tensor(np.arange(5, dtype=np.float32))
    x, i = next(iter(DataLoader(minigan.data.Subset(Doubled(points), [4, 1, 3]), 3)))
    assert x.tolist() == [8.0, 2.0, 6.0] and i.tolist() == [4, 1, 3]


def test_random_subsets_and_concatenations_match_torchs_batches():
    """Subsets (negative indices too) and concatenations of random sizes, random batch sizes and drop_last, in order:
    the same batches as torch.utils.data."""
    torch = pytest.importorskip("torch")
    settings = np.random.default_rng(2)
    for trial in range(40):
        sizes = settings.integers(0 if trial % 2 else 1, 12, size=settings.integers(1, 4)).tolist()
        if sum(sizes) == 0:
            sizes[0] = 1
        start = np.cumsum([0] + sizes)
        ours = [minigan.data.TensorDataset(minigan.tensor(np.arange(a, a + n))) for a, n in zip(start, sizes)]
        theirs = [torch.utils.data.TensorDataset(torch.arange(a, a + n)) for a, n in zip(start, sizes)]
        if trial % 2:
            ours, theirs = minigan.data.ConcatDataset(ours), torch.utils.data.ConcatDataset(theirs)
        else:
            n = sizes[0]
            indices = settings.integers(-n, n, size=settings.integers(1, 3 * n + 1)).tolist()
            ours, theirs = minigan.data.Subset(ours[0], indices), torch.utils.data.Subset(theirs[0], indices)
        batch_size, drop_last = int(settings.integers(1, len(ours) + 1)), bool(settings.integers(2))
        mine = [b.tolist() for (b,) in DataLoader(ours, batch_size, drop_last=drop_last)]
        assert mine == [b.tolist() for (b,) in torch.utils.data.DataLoader(theirs, batch_size, drop_last=drop_last)]


# ------------------------------------------------------------------ any map-style dataset, as torch's
def _plain(batch):
    """A batch (minigan's or torch's) as plain values: each tensor as (dtype name, shape, values); a tuple or a list
    of fields as a list (minigan's collate gives a tuple where torch's gives a list: the values are compared)."""
    if isinstance(batch, dict):
        return {key: _plain(value) for key, value in batch.items()}
    if isinstance(batch, (tuple, list)):
        return [_plain(part) for part in batch]
    if isinstance(batch, str):
        return batch
    array = batch.numpy() if isinstance(batch, minigan.Tensor) else batch.detach().numpy()  # (torch's too)
    return array.dtype.name, array.shape, array.tolist()


def _map_style(points):
    """(name, the dataset, the expected batch of the examples at indices a:b, as minigan gives it) for each kind of
    map-style dataset that is not a minigan Dataset; the same objects go to torch's loader (a tensor as a torch
    tensor)."""
    labels = list(range(100, 100 + len(points)))
    return [
        ("tensor", minigan.tensor(points), lambda a, b: ("float32", (b - a, 2), points[a:b].tolist())),
        ("array", points, lambda a, b: ("float32", (b - a, 2), points[a:b].tolist())),
        ("tuples", [(points[i], labels[i]) for i in range(len(points))],
         lambda a, b: [("float32", (b - a, 2), points[a:b].tolist()), ("int64", (b - a,), labels[a:b])]),
        ("dicts", [{"image": points[i], "label": labels[i], "name": f"p{i}"} for i in range(len(points))],
         lambda a, b: {"image": ("float32", (b - a, 2), points[a:b].tolist()),
                       "label": ("int64", (b - a,), labels[a:b]), "name": [f"p{i}" for i in range(a, b)]}),
    ]


@pytest.mark.parametrize("kind", ["tensor", "array", "tuples", "dicts"])
def test_any_map_style_dataset_is_batched_as_torchs(kind, device):
    points = np.arange(20, dtype=np.float32).reshape(10, 2) / 4
    (_, dataset, expected), = [case for case in _map_style(points) if case[0] == kind]
    batches = {(batch_size, drop_last): [_plain(b) for b in DataLoader(dataset, batch_size, drop_last=drop_last,
                                                                         device=device)]
               for batch_size in (4, 3, 10) for drop_last in (False, True)}
    for (batch_size, drop_last), mine in batches.items():  # by hand: in order, the short last batch kept or not
        spans = [(a, min(a + batch_size, 10)) for a in range(0, 10, batch_size)]
        if drop_last and 10 % batch_size:
            spans = spans[:-1]
        assert mine == [expected(a, b) for a, b in spans], (batch_size, drop_last)
    on = [t.device for b in DataLoader(dataset, 4, device=device) for t in _tensors(b)]
    assert len(on) == 3 * (2 if kind in ("tuples", "dicts") else 1) and set(on) == {device}
    shuffled = [_plain(b) for b in DataLoader(dataset, 4, shuffle=True, seed=0)]  # the same examples, reordered
    assert shuffled == [_plain(b) for b in DataLoader(minigan.data.ConcatDataset([dataset]), 4, shuffle=True, seed=0)]
    torch = pytest.importorskip("torch")
    theirs = torch.tensor(points) if kind == "tensor" else dataset
    for (batch_size, drop_last), mine in batches.items():
        torchs = [_plain(b) for b in torch.utils.data.DataLoader(theirs, batch_size, drop_last=drop_last)]
        assert mine == torchs, (batch_size, drop_last)


def _tensors(batch):
    """The tensors of a batch (its strings left out)."""
    if isinstance(batch, dict):
        return [t for value in batch.values() for t in _tensors(value)]
    if isinstance(batch, (tuple, list)):
        return [t for part in batch for t in _tensors(part)]
    return [batch] if isinstance(batch, minigan.Tensor) else []


@pytest.mark.parametrize("dtype", ["float32", "float64", "float16", "int32", "int64", "uint8", "bool"])
def test_a_tensor_or_an_array_cut_a_batch_at_a_time_gives_what_one_row_at_a_time_gives(dtype):
    """Rows cut with one index array (fast) against the same rows read one at a time and collated (a ConcatDataset
    of the one dataset is read so), bit for bit: dtype, shape and values, for 1-D and 3-D data, shuffled, a Subset
    too."""
    rng = np.random.default_rng(7)
    for shape in [(11,), (11, 2, 3)]:
        array = (rng.standard_normal(shape) * 50).astype(dtype)
        for dataset in (array, minigan.tensor(array), minigan.data.Subset(array, [10, -1, 3, 0, 4, 4, 7])):
            one_at_a_time = minigan.data.ConcatDataset([dataset])
            for batch_size in (1, 4):
                fast = list(DataLoader(dataset, batch_size, shuffle=True, seed=1))
                slow = list(DataLoader(one_at_a_time, batch_size, shuffle=True, seed=1))
                assert [(b.numpy().dtype, b.shape, b.numpy().tobytes()) for b in fast] == \
                       [(b.numpy().dtype, b.shape, b.numpy().tobytes()) for b in slow], (shape, type(dataset))
                assert fast[0].dtype == np.dtype(dtype) and fast[0].shape[1:] == shape[1:]


def test_batches_of_a_tensor_that_requires_grad_are_indexing_results_as_torchs():
    points = np.arange(12, dtype=np.float32).reshape(6, 2)
    x = minigan.tensor(points, requires_grad=True)
    weights = minigan.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    total = None
    for k, batch in enumerate(DataLoader(x, 4)):  # (4, 2) then (2, 2), both in x's graph
        assert batch.requires_grad and batch.shape == ((4, 2) if k == 0 else (2, 2))
        loss = (batch.sum(1) * weights[4 * k: 4 * k + len(batch)]).sum()
        total = loss if total is None else total + loss
    total.backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.repeat(np.arange(1.0, 7.0)[:, None], 2, axis=1))
    with minigan.no_grad():
        assert not next(iter(DataLoader(x, 4))).requires_grad
    torch = pytest.importorskip("torch")
    theirs = torch.tensor(points, requires_grad=True)
    sum(((b.sum(1) * torch.tensor([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])[4 * k: 4 * k + len(b)]).sum()
         for k, b in enumerate(torch.utils.data.DataLoader(theirs, 4)))).backward()
    np.testing.assert_array_equal(x.grad.numpy(), theirs.grad.numpy())


def test_a_list_of_examples_resumes_mid_epoch_exactly(tmp_path):
    examples = [(np.full(3, i, np.float32), i % 4) for i in range(13)]

    def which(batch):  # the example indices of a batch, checking each label went with its example
        points, labels = batch
        assert labels.tolist() == [int(v) % 4 for v in points.numpy()[:, 0]]
        return points.numpy()[:, 0].astype(int).tolist()

    straight = [which(b) for b in DataLoader(examples, 3, shuffle=True, seed=5)]
    assert sorted(i for b in straight for i in b) == list(range(13)) and straight[0] != [0, 1, 2]
    loader = DataLoader(examples, 3, shuffle=True, seed=5)
    batches = iter(loader)
    done = [which(next(batches)) for _ in range(2)]
    resumed = DataLoader(examples, 3, shuffle=True, seed=6)  # (its first batch, read mid-epoch, decides how it reads)
    resumed.load_state_dict(_through_disk(loader.state_dict(), tmp_path))
    assert done + [which(b) for b in resumed] == straight


def test_minigan_utils_data_is_torch_utils_data_s_names_for_minigan_data():
    from minigan.utils.data import DataLoader as Loader, TensorDataset  # as `from torch.utils.data import ...`

    import minigan.utils.data

    assert Loader is DataLoader and TensorDataset is minigan.data.TensorDataset
    names = ["ConcatDataset", "DataLoader", "Dataset", "Subset", "TensorDataset", "random_split"]
    assert sorted(minigan.utils.data.__all__) == names
    assert all(getattr(minigan.utils.data, name) is getattr(minigan.data, name) for name in names)
    (x,), = Loader(TensorDataset(minigan.arange(3.0)), 3)
    assert x.tolist() == [0.0, 1.0, 2.0]
    # first in a fresh interpreter: no circular import, and neither matplotlib nor CuPy loaded
    code = ("import sys; from minigan.utils.data import DataLoader; import minigan.data; "
            "assert DataLoader is minigan.data.DataLoader; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('matplotlib', 'cupy')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
    torch = pytest.importorskip("torch")
    assert all(hasattr(torch.utils.data, name) for name in names)
