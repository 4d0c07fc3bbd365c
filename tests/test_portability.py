"""What differs on Windows and macOS, simulated on Linux: learners train on all three."""

import os
import subprocess
import sys
import types

import numpy as np
import pytest

import minigan as mg
from minigan import serialization
from minigan.experiments import peak_memory_mb


def test_every_module_imports_without_the_unix_only_resource_module():
    # Windows has no `resource`; `minigan train mnist`, `eval` of an MNIST checkpoint and lessons 08-10 import these
    code = ("import sys; sys.modules['resource'] = None\n"
            "import minigan.experiments.mnist, minigan.benchmarks.dcgan, minigan.cli\n"
            "from minigan.experiments import peak_memory_mb\n"
            "assert peak_memory_mb() is None, peak_memory_mb()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("platform, maxrss, mib", [("linux", 2048, 2.0), ("darwin", 2 * 2**20, 2.0)])
def test_peak_memory_is_read_in_each_systems_units(monkeypatch, platform, maxrss, mib):
    # getrusage's ru_maxrss is in KiB on Linux and in bytes on macOS
    fake = types.SimpleNamespace(RUSAGE_SELF=0, getrusage=lambda who: types.SimpleNamespace(ru_maxrss=maxrss))
    monkeypatch.setitem(sys.modules, "resource", fake)
    monkeypatch.setattr(sys, "platform", platform)
    assert peak_memory_mb() == mib


def test_this_machine_reports_a_plausible_peak_memory():
    mb = peak_memory_mb()
    assert mb is not None and 10 < mb < 64 * 1024  # this Python process: more than 10 MiB, less than 64 GiB


def test_checkpoints_are_written_in_binary_mode(tmp_path, monkeypatch):
    # On Windows os.open without O_BINARY makes a text-mode file that turns every \n byte into \r\n
    binary = 1 << 28  # a stand-in for Windows' O_BINARY, taken off again before the real open
    flags_seen = []
    real_open = os.open

    def windows_like_open(path, flags, mode=0o777):
        flags_seen.append(flags)
        return real_open(path, flags & ~binary, mode)

    monkeypatch.setattr(os, "O_BINARY", binary, raising=False)
    monkeypatch.setattr(os, "open", windows_like_open)
    mg.save({"w": np.arange(300, dtype=np.float32)}, tmp_path / "a.npz")  # 10 = "\n" among the bytes
    assert len(flags_seen) == 1 and flags_seen[0] & binary
    monkeypatch.undo()
    np.testing.assert_array_equal(mg.load(tmp_path / "a.npz")["w"], np.arange(300, dtype=np.float32))


def test_replacing_a_file_that_windows_holds_open_is_tried_again(tmp_path, monkeypatch):
    # Windows refuses os.replace while another program (a virus scanner, an open np.load) holds the target
    (tmp_path / "new").write_text("new")
    (tmp_path / "old").write_text("old")
    real_replace, attempts, waits = os.replace, [], []

    def busy_twice(src, dst):
        attempts.append(dst)
        if len(attempts) <= 2:
            raise PermissionError(13, "The process cannot access the file", str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", busy_twice)
    monkeypatch.setattr(serialization.time, "sleep", waits.append)
    monkeypatch.setattr(os, "name", "nt")
    serialization.replace_file(tmp_path / "new", tmp_path / "old")
    assert len(attempts) == 3 and len(waits) == 2 and (tmp_path / "old").read_text() == "new"

    attempts.clear()
    monkeypatch.setattr(os, "name", "posix")  # elsewhere a PermissionError is a real one: passed on at once
    (tmp_path / "new").write_text("new")
    with pytest.raises(PermissionError):
        serialization.replace_file(tmp_path / "new", tmp_path / "old")
    assert len(attempts) == 1


def test_a_file_windows_keeps_busy_is_reported_after_the_retries(tmp_path, monkeypatch):
    def always_busy(src, dst):
        raise PermissionError(13, "The process cannot access the file", str(dst))

    monkeypatch.setattr(os, "replace", always_busy)
    monkeypatch.setattr(serialization.time, "sleep", lambda s: None)
    monkeypatch.setattr(os, "name", "nt")
    with pytest.raises(PermissionError):
        mg.save({"v": 1}, tmp_path / "a.npz")
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []  # the temporary file is removed, nothing half-written is left


def test_the_resume_hint_quotes_a_folder_with_spaces(tmp_path, monkeypatch):
    # Windows' user folders often have spaces ("C:\Users\Jane Doe"): the hint must paste back as one argument
    from minigan.experiments import shell_quoted, toy

    out = tmp_path / "my runs" / "toy"
    settings = dict(hidden=8, z_dim=2, batch_size=16, eval_every=2, checkpoint_every=2)
    toy.run(out, steps=2, progress=False, pictures=False, **settings)
    with pytest.raises(ValueError, match="already holds a run") as refused:
        toy.run(out, steps=2, progress=False, pictures=False, **settings)
    assert f"--resume '{out}'," in str(refused.value)
    monkeypatch.setattr(os, "name", "nt")
    assert shell_quoted(r"C:\Users\Jane Doe\runs") == r'"C:\Users\Jane Doe\runs"'
    assert shell_quoted(r"C:\runs\toy") == r"C:\runs\toy"
