"""DataLoader: batching, shuffling, determinism and exact resume from its saved state."""

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
    return [int(v) for real, _ in loader for v in real.numpy().ravel()]


def test_batches_in_order_with_a_short_last_batch():
    batches = list(DataLoader(_dataset(10), batch_size=4))
    assert [tuple(real.shape) for real, _ in batches] == [(4, 1, 1, 1), (4, 1, 1, 1), (2, 1, 1, 1)]
    real, labels = batches[0]
    assert isinstance(real, minigan.Tensor) and real.dtype == np.float32 and labels.dtype == np.int64
    assert labels.tolist() == [0, 1, 2, 0]
    assert len(DataLoader(_dataset(10), 4)) == 3


def test_drop_last():
    loader = DataLoader(_dataset(10), batch_size=4, drop_last=True)
    assert len(loader) == 2 and _order(loader) == list(range(8))


def test_shuffle_is_a_permutation_deterministic_by_seed_and_new_each_epoch():
    a = DataLoader(_dataset(50), 8, shuffle=True, seed=3)
    b = DataLoader(_dataset(50), 8, shuffle=True, seed=3)
    first, second = _order(a), _order(a)
    assert sorted(first) == list(range(50)) and sorted(second) == list(range(50))
    assert first != second and first != list(range(50))
    assert _order(b) == first and _order(b) == second
    assert _order(DataLoader(_dataset(50), 8, shuffle=True, seed=4)) != first


def test_shuffling_ignores_the_global_generator():
    a = DataLoader(_dataset(30), 5, shuffle=True, seed=0)
    b = DataLoader(_dataset(30), 5, shuffle=True, seed=0)
    first = _order(a)
    minigan.randn(1000)  # the model drawing noise must not change the data order
    assert _order(b) == first


def test_state_dict_resumes_between_epochs(tmp_path):
    a = DataLoader(_dataset(40), 6, shuffle=True, seed=1)
    _order(a)
    state = _through_disk(a.state_dict(), tmp_path)
    expected = [_order(a), _order(a)]
    b = DataLoader(_dataset(40), 6, shuffle=True, seed=99)
    b.load_state_dict(state)
    assert [_order(b), _order(b)] == expected


def test_state_dict_resumes_in_the_middle_of_an_epoch(tmp_path):
    a = DataLoader(_dataset(40), 6, shuffle=True, seed=1)
    full = [_order(a), _order(a)]
    c = DataLoader(_dataset(40), 6, shuffle=True, seed=1)
    it = iter(c)
    seen = [int(v) for _ in range(3) for v in next(it)[0].numpy().ravel()]
    state = _through_disk(c.state_dict(), tmp_path)
    d = DataLoader(_dataset(40), 6, shuffle=True, seed=7)
    d.load_state_dict(state)
    assert seen + _order(d) == full[0]
    assert _order(d) == full[1]


def test_breaking_out_of_an_epoch_starts_a_fresh_one_next_time():
    loader = DataLoader(_dataset(12), 4)
    for _ in loader:
        break
    assert _order(loader) == list(range(12))


def test_bad_arguments():
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(_dataset(), 0)
    with pytest.raises(ValueError, match="drop_last"):
        DataLoader(_dataset(3), 4, drop_last=True)
