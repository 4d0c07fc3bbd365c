"""minigan.save / minigan.load: round trips, atomic writes, and files that must be refused.

The round trips take the `device` fixture: tensors (and raw arrays) on any device are
saved through an explicit copy to the host and always load back as NumPy arrays."""

import io
import os
import pickle
import zipfile

import numpy as np
import pytest

import minigan as mg
from minigan import nn


def test_nested_round_trip(device, tmp_path):
    obj = {
        "model": {"0.weight": np.arange(6, dtype=np.float32).reshape(2, 3),
                  "0.bias": mg.tensor([1.5, -2.0], device=device)},
        "optim": {"state": {"0": {"step": 3, "exp_avg": np.ones((2, 3))}}, "param_groups": [{"lr": 1e-3, "betas": (0.5, 0.99)}]},
        "meta": {"epoch": 7, "name": "dcgan", "done": False, "best": None, "scores": [0.5, 1, "x"]},
        "ints": np.array([1, 2, 3], dtype=np.int64),
        "scalar": np.float32(2.5),
        "raw": mg.arange(5, dtype="float64", device=device).data,  # a bare device array, not wrapped in a Tensor
        "labels": mg.tensor([4, 0, 9], device=device),
    }
    assert obj["model"]["0.bias"].device == device and mg.backend.device_of(obj["raw"]) == device
    path = tmp_path / "ckpt.npz"
    mg.save(obj, path)
    back = mg.load(path)
    np.testing.assert_array_equal(back["model"]["0.weight"], obj["model"]["0.weight"])
    assert back["model"]["0.weight"].dtype == np.float32
    np.testing.assert_array_equal(back["model"]["0.bias"], [1.5, -2.0])
    assert isinstance(back["model"]["0.bias"], np.ndarray) and back["model"]["0.bias"].dtype == np.float32
    assert isinstance(back["raw"], np.ndarray) and back["raw"].dtype == np.float64
    np.testing.assert_array_equal(back["raw"], np.arange(5.0))
    assert isinstance(back["labels"], np.ndarray) and back["labels"].dtype == np.int64
    assert back["labels"].tolist() == [4, 0, 9]
    assert back["optim"]["state"]["0"]["step"] == 3
    assert back["optim"]["state"]["0"]["exp_avg"].dtype == np.float64
    assert back["optim"]["param_groups"] == [{"lr": 1e-3, "betas": (0.5, 0.99)}]
    assert back["meta"] == obj["meta"]
    assert back["ints"].dtype == np.int64 and back["ints"].tolist() == [1, 2, 3]
    assert back["scalar"] == 2.5


def test_module_state_dict_round_trip(device, tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1)).to(device)
    x = mg.randn(5, 3, device=device)
    model(x)  # train mode: the batch-norm statistics move away from their initial values
    model.eval()
    mg.save(model.state_dict(), tmp_path / "m.npz")
    assert all(t.device == device for t in model.state_dict().values())  # saving moved nothing
    fresh = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 1)).to(device).eval()
    fresh.load_state_dict(mg.load(tmp_path / "m.npz"))
    for (key, a), b in zip(model.state_dict().items(), fresh.state_dict().values()):
        assert b.device == device and b.dtype == a.dtype, key  # loaded onto the model's own device, dtype kept
        np.testing.assert_array_equal(b.numpy(), a.numpy(), err_msg=key)
    np.testing.assert_array_equal(fresh(x).numpy(), model(x).numpy())


def test_optimizer_state_round_trip_continues_identically(device, tmp_path, rng):
    # Adam's moments are device arrays: saved to the host, loaded back onto the parameters' device
    def setup():
        mg.manual_seed(0)
        model = nn.Linear(3, 2).to(device, dtype="float64")
        return model, mg.optim.Adam(model.parameters(), lr=0.1)

    x = mg.tensor(rng.standard_normal((6, 3)), dtype="float64", device=device)

    def step(model, opt):
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()

    model, opt = setup()
    for _ in range(3):
        step(model, opt)
    mg.save({"model": model.state_dict(), "opt": opt.state_dict()}, tmp_path / "o.npz")
    step(model, opt)
    back = mg.load(tmp_path / "o.npz")
    assert all(isinstance(st["exp_avg"], np.ndarray) and st["step"] == 3 for st in back["opt"]["state"].values())
    other, other_opt = setup()
    other.load_state_dict(back["model"])
    other_opt.load_state_dict(back["opt"])
    assert all(mg.backend.device_of(v) == device for st in other_opt.state.values() for k, v in st.items() if k != "step")
    step(other, other_opt)
    for a, b in zip(model.parameters(), other.parameters()):
        assert b.device == device
        np.testing.assert_array_equal(b.numpy(), a.numpy())  # the same step as the uninterrupted run


def test_save_overwrites_atomically_and_leaves_no_temp_files(tmp_path):
    path = tmp_path / "ckpt.npz"
    mg.save({"a": np.zeros(2)}, path)
    mg.save({"a": np.ones(2)}, path)
    assert os.listdir(tmp_path) == ["ckpt.npz"]
    np.testing.assert_array_equal(mg.load(path)["a"], [1.0, 1.0])


def test_a_crash_mid_write_keeps_the_old_checkpoint(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.npz"
    mg.save({"a": np.zeros(2)}, path)

    def crash(f, **arrays):
        f.write(b"PK\x03\x04 half a zip")
        raise KeyboardInterrupt  # the worst case: interrupted while writing

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(KeyboardInterrupt):
        mg.save({"a": np.ones(2)}, path)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == ["ckpt.npz"]  # the temp file was removed
    np.testing.assert_array_equal(mg.load(path)["a"], [0.0, 0.0])


def test_save_refuses_objects_it_cannot_store_without_pickle(tmp_path):
    with pytest.raises(TypeError, match="cannot store"):
        mg.save({"f": lambda: 0}, tmp_path / "x.npz")
    with pytest.raises(TypeError, match="keys must be strings"):
        mg.save({1: 2}, tmp_path / "x.npz")
    model = mg.nn.Linear(2, 1)
    for whole in (model, mg.optim.Adam(model.parameters())):  # torch.save(model) pickles it; here: its state_dict
        with pytest.raises(TypeError, match=rf"save: cannot store a {type(whole).__name__} object itself .* "
                                            r"minigan.save\(obj.state_dict\(\), path\)"):
            mg.save({"model": whole}, tmp_path / "x.npz")
    assert os.listdir(tmp_path) == []


def test_save_refuses_object_arrays_and_self_containing_lists_and_keeps_the_old_file(tmp_path):
    path = tmp_path / "ckpt.npz"
    mg.save({"w": np.ones(2)}, path)
    with pytest.raises(TypeError, match="array of Python objects"):  # NumPy would pickle it, and load refuses pickles
        mg.save({"names": np.array(["a", None], dtype=object)}, path)
    loop = [1]
    loop.append(loop)
    with pytest.raises(ValueError, match="contains itself"):
        mg.save({"loop": loop}, path)
    shared = [1.0]  # the same list twice, side by side, is no loop: stored twice
    mg.save({"a": shared, "b": shared}, tmp_path / "shared.npz")
    assert mg.load(tmp_path / "shared.npz") == {"a": [1.0], "b": [1.0]}
    assert sorted(os.listdir(tmp_path)) == ["ckpt.npz", "shared.npz"]
    np.testing.assert_array_equal(mg.load(path)["w"], [1.0, 1.0])


@pytest.mark.skipif(os.name == "nt", reason="Windows has no Unix permission bits, and links need admin rights")
def test_saved_files_get_the_usual_permissions_and_links_are_followed(tmp_path):
    umask = os.umask(0o022)
    try:
        mg.save({"v": 1}, tmp_path / "a.npz")
    finally:
        os.umask(umask)
    assert (tmp_path / "a.npz").stat().st_mode & 0o777 == 0o644  # as open(..., "w") makes it, not a temp file's 0o600
    (tmp_path / "a.npz").chmod(0o600)
    mg.save({"v": 1}, tmp_path / "a.npz")
    assert (tmp_path / "a.npz").stat().st_mode & 0o777 == 0o600  # replacing a private checkpoint keeps it private
    (tmp_path / "a.npz").chmod(0o644)
    (tmp_path / "latest.npz").symlink_to(tmp_path / "a.npz")
    mg.save({"v": 2}, tmp_path / "latest.npz")
    assert (tmp_path / "latest.npz").is_symlink() and mg.load(tmp_path / "a.npz") == {"v": 2}


def test_load_takes_pytorchs_map_location_and_weights_only(tmp_path):
    path = tmp_path / "a.npz"
    mg.save({"w": np.ones(2, dtype=np.float32)}, path)
    for kwargs in ({"map_location": "cpu"}, {"map_location": "cuda:0"}, {"weights_only": True}):
        w = mg.load(path, **kwargs)["w"]
        assert isinstance(w, np.ndarray) and w.dtype == np.float32  # arrays load on the host either way
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        mg.load(path, map_location="tpu")
    with pytest.raises(TypeError, match="map_location must be a device name"):
        mg.load(path, map_location={"cuda:0": "cpu"})
    with pytest.raises(ValueError, match="weights_only=False would allow unpickling"):
        mg.load(path, weights_only=False)


@pytest.mark.parametrize("meta", [
    "5",  # not a description at all
    '{"format": "minigan-checkpoint-v1", "tree": {"dict": [1]}}',  # a dict entry that is a list
    '{"format": "minigan-checkpoint-v1", "tree": {"list": 3}}',
    '{"format": "minigan-checkpoint-v1", "tree": [1, 2]}',
    '{"format": "minigan-checkpoint-v1", "tree": ' + '{"list": [' * 5000 + '{"value": 1}' + "]}" * 5000 + "}",
])
def test_crafted_descriptions_raise_checkpoint_error(tmp_path, meta):
    path = tmp_path / "crafted.npz"
    np.savez(path, __minigan_meta__=np.array(meta))
    with pytest.raises(mg.CheckpointError, match="not a readable minigan checkpoint"):
        mg.load(path)


def test_truncated_file_raises_checkpoint_error(tmp_path):
    path = tmp_path / "ckpt.npz"
    mg.save({"w": np.random.default_rng(0).standard_normal((50, 50))}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(mg.CheckpointError, match="truncated or foreign"):
        mg.load(path)


def test_damaged_checkpoints_load_unchanged_or_raise_checkpoint_error(tmp_path):
    """Bytes overwritten, cut off or inserted anywhere: load gives the saved values back or a CheckpointError.

    (Zip's CRC guards every entry; a change in a byte that no entry holds, such as a header's
    timestamp, may still load. Before 3 Dec, a damaged compression-method field escaped as a bare
    NotImplementedError from zipfile.)"""
    rng = np.random.default_rng(0)
    saved = {"w": rng.standard_normal((6, 5)).astype(np.float32), "step": 3, "config": {"lr": 2e-4, "tags": ["a", None]}}
    path, damaged = tmp_path / "ckpt.npz", tmp_path / "damaged.npz"
    mg.save(saved, path)
    data = path.read_bytes()
    damages = [data[:at] for at in range(len(data))]  # cut off at every byte
    damages += [data[:at] + bytes([(data[at] + change) % 256]) + data[at + 1 :]  # every byte changed, two ways
                for at in range(len(data)) for change in (1, 128)]
    damages += [data[:at] + rng.integers(0, 256, 5).astype(np.uint8).tobytes() + data[at:]  # bytes inserted
                for at in rng.integers(0, len(data), 200)]
    outcomes = set()
    for bad in damages:
        damaged.write_bytes(bad)
        try:
            back = mg.load(damaged)
        except mg.CheckpointError:
            outcomes.add("refused")
            continue
        outcomes.add("loaded")
        np.testing.assert_array_equal(back["w"], saved["w"])
        assert back["w"].dtype == np.float32 and back["step"] == 3 and back["config"] == saved["config"]
    assert "refused" in outcomes


def test_a_compressed_checkpoint_is_refused_before_anything_is_inflated(tmp_path):
    # save stores every entry as it is, so the size on disk bounds what load allocates; a compressed
    # entry (np.savez_compressed, or a crafted "zip bomb") could inflate to gigabytes
    path, packed = tmp_path / "ckpt.npz", tmp_path / "packed.npz"
    mg.save({"w": np.zeros((300, 300), dtype=np.float32)}, path)
    with zipfile.ZipFile(path) as plain, zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as out:
        for info in plain.infolist():
            out.writestr(info.filename, plain.read(info))
    assert packed.stat().st_size < path.stat().st_size // 10  # zeros compress well: it really is compressed
    with pytest.raises(mg.CheckpointError, match=r"its entry a0\.npy is compressed, and minigan\.save stores every "
                                                 r"entry as it is"):
        mg.load(packed)
    assert mg.load(path)["w"].shape == (300, 300)  # the same entries stored: loads


def test_an_entry_claiming_more_bytes_than_the_file_holds_is_refused_before_anything_is_allocated(tmp_path):
    # the zip's headers and the array's header may agree with each other and both lie: NumPy would allocate
    # the 3.9 GB they claim before finding the file short
    import struct

    path = tmp_path / "ckpt.npz"
    mg.save({"w": np.zeros(4, dtype=np.float32)}, path)
    raw = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("a0.npy")
    name_length, extra_length = struct.unpack_from("<HH", raw, info.header_offset + 26)  # (the local header's)
    start = info.header_offset + 30 + name_length + extra_length  # the entry's data: the .npy file
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f4", "fortran_order": False, "shape": (975_000_000,)})
    assert raw[start : start + 6] == b"\x93NUMPY" and len(header.getvalue()) <= info.file_size - 16
    raw[start : start + len(header.getvalue())] = header.getvalue()
    claimed = 975_000_000 * 4 + len(header.getvalue())
    struct.pack_into("<II", raw, info.header_offset + 18, claimed, claimed)  # the local header's two sizes
    central = next(at for at in range(len(raw)) if raw[at : at + 4] == b"PK\x01\x02"  # its central directory entry
                   and raw[at + 46 : at + 46 + len(info.filename)] == info.filename.encode())
    struct.pack_into("<II", raw, central + 20, claimed, claimed)  # and the central directory's
    path.write_bytes(bytes(raw))
    with pytest.raises(mg.CheckpointError, match=r"its entry a0\.npy claims 3,900,000,128 bytes, more than the "
                                                 r"file holds"):
        mg.load(path)


def test_missing_and_non_zip_files_raise_checkpoint_error(tmp_path):
    with pytest.raises(mg.CheckpointError, match="not found"):
        mg.load(tmp_path / "nope.npz")
    (tmp_path / "text.npz").write_text("hello")
    with pytest.raises(mg.CheckpointError):
        mg.load(tmp_path / "text.npz")


def test_foreign_npz_raises_checkpoint_error(tmp_path):
    path = tmp_path / "foreign.npz"
    np.savez(path, weights=np.zeros(3))
    with pytest.raises(mg.CheckpointError, match="not a minigan checkpoint"):
        mg.load(path)


def test_other_format_version_raises_checkpoint_error(tmp_path):
    path = tmp_path / "future.npz"
    np.savez(path, __minigan_meta__=np.array('{"format": "minigan-checkpoint-v99", "tree": {"value": 1}}'))
    with pytest.raises(mg.CheckpointError, match="v99"):
        mg.load(path)


def test_damaged_tree_raises_checkpoint_error(tmp_path):
    path = tmp_path / "damaged.npz"
    meta = '{"format": "minigan-checkpoint-v1", "tree": {"dict": {"w": {"array": "a7"}}}}'
    np.savez(path, __minigan_meta__=np.array(meta))
    with pytest.raises(mg.CheckpointError):
        mg.load(path)


class _Exploit:
    """Unpickling this would run code (here: create a marker file)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (open, (self.marker, "w"))


def test_pickle_inside_npz_is_refused_and_never_run(tmp_path):
    marker = tmp_path / "pwned"
    path = tmp_path / "evil.npz"
    evil = np.empty(1, dtype=object)
    evil[0] = _Exploit(str(marker))
    meta = '{"format": "minigan-checkpoint-v1", "tree": {"dict": {"w": {"array": "a0"}}}}'
    np.savez(path, __minigan_meta__=np.array(meta), a0=evil)
    with pytest.raises(mg.CheckpointError):
        mg.load(path)
    assert not marker.exists()
    # the same holds when the metadata entry itself is a pickle
    with zipfile.ZipFile(tmp_path / "evil2.npz", "w") as z:
        z.writestr("__minigan_meta__.npy", pickle.dumps(_Exploit(str(marker))))
    with pytest.raises(mg.CheckpointError):
        mg.load(tmp_path / "evil2.npz")
    assert not marker.exists()


def test_load_gives_numpy_arrays_and_save_keeps_model_on_its_device(device, tmp_path):
    t = mg.randn(2, 2, device=device)
    mg.save({"t": t}, tmp_path / "t.npz")
    assert t.device == device
    back = mg.load(tmp_path / "t.npz")["t"]
    assert isinstance(back, np.ndarray)
    np.testing.assert_array_equal(back, t.numpy())


def test_plain_npy_file_raises_checkpoint_error(tmp_path):
    path = tmp_path / "weights.npz"
    with open(path, "wb") as f:
        np.save(f, np.zeros(3))
    with pytest.raises(mg.CheckpointError, match="not a .npz \\(zip\\) archive"):
        mg.load(path)


def test_pickles_and_empty_files_are_named_without_suggesting_to_unpickle(tmp_path):
    path = tmp_path / "model.pkl"
    path.write_bytes(pickle.dumps({"w": np.zeros(3)}))
    with pytest.raises(mg.CheckpointError, match="not a .npz \\(zip\\) archive"):
        mg.load(path)
    (tmp_path / "empty.npz").write_bytes(b"")
    with pytest.raises(mg.CheckpointError, match="it is empty"):
        mg.load(tmp_path / "empty.npz")
    evil = np.empty(1, dtype=object)
    meta = '{"format": "minigan-checkpoint-v1", "tree": {"dict": {"w": {"array": "a0"}}}}'
    np.savez(tmp_path / "objects.npz", __minigan_meta__=np.array(meta), a0=evil)
    with pytest.raises(mg.CheckpointError, match="pickled Python objects, which minigan never loads") as err:
        mg.load(tmp_path / "objects.npz")
    assert "allow_pickle" not in str(err.value)


def test_a_pytorch_checkpoint_is_named_as_one(tmp_path):
    torch = pytest.importorskip("torch")
    torch.save({"w": torch.zeros(2)}, tmp_path / "model.pth")
    with pytest.raises(mg.CheckpointError, match="is a PyTorch checkpoint .* minigan never unpickles"):
        mg.load(tmp_path / "model.pth")


@pytest.mark.parametrize("version", [(1, 0), (2, 0)])
def test_a_header_declaring_more_than_the_file_holds_is_refused_before_anything_is_allocated(tmp_path, version):
    path = tmp_path / "huge.npz"
    mg.save({"w": np.zeros(4, np.float32)}, path)
    with zipfile.ZipFile(path) as z:
        entries = {name: z.read(name) for name in z.namelist()}
    header = io.BytesIO()  # a header that claims 10^11 float32 (400 GB), followed by 16 bytes of data
    write = np.lib.format.write_array_header_1_0 if version == (1, 0) else np.lib.format.write_array_header_2_0
    write(header, {"descr": "<f4", "fortran_order": False, "shape": (10**11,)})
    entries["a0.npy"] = header.getvalue() + bytes(16)
    with zipfile.ZipFile(path, "w") as z:
        for name, data in entries.items():
            z.writestr(name, data)
    with pytest.raises(mg.CheckpointError, match=r"its entry a0.npy declares an array of shape \(100000000000,\) "
                                                 r"\(400,000,000,000 bytes\) but holds 16 bytes"):
        mg.load(path)


def test_require_entries_names_the_first_missing_one(tmp_path):
    from minigan.serialization import require_entries

    state = {"config": {"conditional": False}, "G": {}}
    require_entries(state, "x.npz", ("config.conditional", "G"))
    with pytest.raises(mg.CheckpointError, match=r"x.npz: the checkpoint lacks its 'config.seed' entry"):
        require_entries(state, "x.npz", ("G", "config.seed", "epoch"))
    with pytest.raises(mg.CheckpointError, match=r"lacks its 'G.weight' entry"):
        require_entries({"G": "not a dict"}, "x.npz", ("G.weight",))


def test_saving_to_a_folder_is_refused_and_leaves_nothing_in_the_folder_above(tmp_path):
    target = tmp_path / "runs"
    target.mkdir()
    with pytest.raises(IsADirectoryError, match=r"save: .*runs is a folder; give a file name, e\.g\. .*checkpoint\.npz"):
        mg.save({"w": np.zeros(2, np.float32)}, target)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["runs"] and not any(target.iterdir())


def test_numpy_scalars_load_as_the_python_numbers_they_hold(tmp_path):
    # (found by mutation testing: only a float32 scalar was saved, so an int turned float went unnoticed)
    mg.save({"step": np.int64(3), "lr": np.float32(0.5), "done": np.bool_(True), "n": [np.int32(-2)]}, tmp_path / "s.npz")
    back = mg.load(tmp_path / "s.npz")
    assert back == {"step": 3, "lr": 0.5, "done": True, "n": [-2]}
    assert [type(back[k]) for k in ("step", "lr", "done")] == [int, float, bool] and type(back["n"][0]) is int


def test_save_writes_the_whole_file_beside_the_target_then_renames_it_in_one_step(tmp_path, monkeypatch):
    # (found by mutation testing: copying the finished temporary file over the target passed every other test,
    # but a crash mid-copy leaves half a checkpoint, which the rename never can)
    mg.save({"a": np.zeros(2)}, tmp_path / "ckpt.npz")
    real_replace, renames = os.replace, []

    def spy(src, dst):
        renames.append((os.fspath(src), os.fspath(dst), mg.load(src)))  # complete before it replaces the target
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    mg.save({"a": np.ones(2)}, tmp_path / "ckpt.npz")
    (src, dst, written), = renames
    folder = os.path.realpath(tmp_path)  # (save follows links to the real file)
    assert dst == os.path.join(folder, "ckpt.npz") and os.path.dirname(src) == folder and src != dst
    np.testing.assert_array_equal(written["a"], [1.0, 1.0])
    assert os.listdir(tmp_path) == ["ckpt.npz"]


def test_an_open_file_object_is_refused_by_name(tmp_path):
    # torch.save(obj, f) takes an open file; here os.fspath gave a bare "expected str, bytes or os.PathLike"
    mg.save({"a": 1}, tmp_path / "ok.npz")
    with open(tmp_path / "f.npz", "wb") as f, pytest.raises(TypeError, match="save: expected a path .* got "
                                                                              "BufferedWriter.*pass the file's path"):
        mg.save({"a": 1}, f)
    with open(tmp_path / "ok.npz", "rb") as f, pytest.raises(TypeError, match="load: expected a path .* got "
                                                                              "BufferedReader"):
        mg.load(f)
    assert mg.load(str(tmp_path / "ok.npz")) == {"a": 1}
