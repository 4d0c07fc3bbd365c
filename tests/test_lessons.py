"""The lesson notebooks run top to bottom, and are stored without outputs.

Each notebook reads ``FAST = os.environ.get("MINIGAN_FAST", "0") == "1"`` in its
first code cell; this test sets ``MINIGAN_FAST=1`` so every lesson runs with tiny
sizes (a learner who opens it gets the full-size run). Any error in any cell
fails the test, with the cell's traceback, and so does a warning any cell prints
(NumPy's RuntimeWarning, scikit-learn's ConvergenceWarning, a DeprecationWarning, ...).

The kernel is this very interpreter (``sys.executable``), through a kernel spec
written to a temporary folder: no ``python -m ipykernel install`` is needed, and
a fresh virtual environment tests its own minigan, not some other Python's.

Every figure is checked when ``plt.show()`` draws it: labelled axes and a title
(FIGURE_CHECK, run in the kernel before the lesson's cells).

Every answer-checking cell is run again after the lesson, once with the right answers
(ANSWERS) and once with wrong ones: it must print "✓ correct" for each right answer and
"✗" for each wrong one, so a checker that accepts anything, or refuses the right answer, fails.
"""

import re
import sys
from pathlib import Path

import pytest

LESSONS = Path(__file__).resolve().parent.parent / "lessons"
NOTEBOOKS = sorted(LESSONS.glob("[0-9][0-9]_*.ipynb"))
FAST_LINE = 'FAST = os.environ.get("MINIGAN_FAST", "0") == "1"'
FAST_PRINT = 'print("fast mode (tiny sizes)" if FAST else "full mode")'

# Run first, before the lesson's own cells: every plt.show() checks that each
# plotted axes has an x label, a y label (its own or a shared one's) and a title
# (its own or the figure's). Colorbars and empty axes are skipped.
FIGURE_CHECK = """
import matplotlib.pyplot as _plt


def _check_figures():
    problems = set()
    for num in _plt.get_fignums():
        fig = _plt.figure(num)
        suptitle = fig.get_suptitle() if hasattr(fig, "get_suptitle") else (fig._suptitle.get_text() if fig._suptitle else "")
        for ax in fig.axes:
            if hasattr(ax, "_colorbar") or not ax.has_data():
                continue
            if not ax.get_xlabel():
                problems.add("an axes has no x label")
            if not any(a.get_ylabel() for a in ax.get_shared_y_axes().get_siblings(ax)):
                problems.add("an axes has no y label")
            if not (ax.get_title() or suptitle):
                problems.add("an axes has no title (and the figure has no suptitle)")
    if problems:
        raise AssertionError("figure check: " + "; ".join(sorted(problems)))


_plain_show = _plt.show


def _checked_show(*args, **kwargs):
    _check_figures()
    return _plain_show(*args, **kwargs)


_plt.show = _checked_show
"""

# For each lesson: (right answers, wrong answers), as source lines for the names its last cell
# sets to None. A wrong answer is a likely mistake: Lesson 2's Square that is really Cube
# (forward and backward agree, so gradcheck alone passes it), a forgotten term, a swapped ratio.
SQUARE = """class MySquare(minigan.Function):
    def forward(self, x):
        return x * x

    def backward(self, gy):
        (x,) = self.inputs
        return gy * 2.0 * x"""
G_PARAMETERS = "100 * 6272 + 6272 + 2 * 6272 + 128 * 64 * 16 + 64 + 2 * 64 + 64 * 16 + 1"
ANSWERS = {
    "01": ({"answer_1": "64 * 28 * 28 * 4", "answer_2": '"float64"'},
           {"answer_1": "64 * 28 * 28", "answer_2": '"float32"'}),
    "02": ({"answer_1": "64", "MySquare": SQUARE}, {"answer_1": "48", "MySquare": "Cube"}),
    "03": ({"answer_1": "1185"}, {"answer_1": "32 * 2 + 32 * 32 + 32"}),
    "04": ({"answer_1": "c_of_g(log_p_data, log_p_data)", "answer_2": "0.75", "answer_3": "0.0"},
           {"answer_1": "0.0", "answer_2": "3 / 5", "answer_3": "-math.log(4)"}),
    "05": ({"answer_1": '"k"'}, {"answer_1": '"steps"'}),
    "06": ({"answer_1": "99", "answer_2": "0.693"}, {"answer_1": "1 / 99", "answer_2": "math.log(4)"}),
    "07": ({"answer_1": "14", "answer_2": "64 * 4 * 4 * 64 * 7 * 7"}, {"answer_1": "13", "answer_2": "64 * 4 * 4 * 64 * 14 * 14"}),
    "08": ({"answer_1": G_PARAMETERS, "answer_2": "1.0"},
           {"answer_1": "100 * 6272 + 6272 + 128 * 64 * 16 + 64 + 64 * 16 + 1", "answer_2": "10.0"}),
    "09": ({"answer_1": "5.0", "answer_2": "160.0"}, {"answer_1": "7.0", "answer_2": "250.0"}),
    "10": ({"answer_1": "468"}, {"answer_1": "469"}),
    "11": ({"answer_1": "45 ** 0.5", "answer_2": "1.0"}, {"answer_1": "50 ** 0.5", "answer_2": "3.0"}),
    "12": ({"answer_1": "1.0", "answer_2": "4", "answer_3": "10.0"},
           {"answer_1": "10.0", "answer_2": "math.log(4)", "answer_3": "(0 - 3) ** 2 + (1 - 4) ** 2"}),
    "13": ({"answer_1": "32 * 7 * 7", "answer_2": "0.9 + 0.1 * 5 / 3", "answer_3": "0.0"},
           {"answer_1": "32", "answer_2": "0.9 + 0.1 * 1.25", "answer_3": "1.0"}),
    "14": ({"answer_1": "2 * (16 * 128 + 128)", "answer_2": "0.001"}, {"answer_1": "16 * 128 + 128", "answer_2": "-0.001"}),
    "15": ({"answer_1": "100", "answer_2": "50", "answer_3": "0.317"},
           {"answer_1": "10", "answer_2": "100", "answer_3": "math.erf(1 / math.sqrt(2))"}),
    "16": ({"answer_1": "-math.log(4)", "answer_2": '"nonsaturating"', "answer_3": "-1 / (1 + math.exp(10))",
            "answer_4": "1 / (1 + math.exp(10)) - 1", "answer_5": "2"},
           {"answer_1": "-math.log(2)", "answer_2": '"minimax"', "answer_3": "1 / (1 + math.exp(10))",
            "answer_4": "1 - 1 / (1 + math.exp(10))", "answer_5": "4"}),
}


def _with_answers(checker, answers):
    """The checking cell's source with each `name = None` line replaced by the given answer."""
    for name, value in answers.items():
        pattern = re.compile(rf"^{re.escape(name)} = None\b.*$", re.M)
        assert pattern.search(checker), f"the checking cell has no line `{name} = None`"
        checker = pattern.sub(lambda _: value if value.startswith("class ") else f"{name} = {value}", checker)
    return checker


def _read(path):
    nbformat = pytest.importorskip("nbformat")
    return nbformat.read(path, as_version=4)


def test_the_lessons_are_there_in_order():
    numbers = [int(p.name[:2]) for p in NOTEBOOKS]
    assert numbers == list(range(1, 17)), f"expected lessons 01..16 in {LESSONS}, found {[p.name for p in NOTEBOOKS]}"
    readme = (LESSONS / "README.md").read_text(encoding="utf-8")
    for p in NOTEBOOKS:
        assert p.name in readme, f"lessons/README.md does not list {p.name}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_lesson_is_stored_clean_and_reads_fast_flag(path):
    nb = _read(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{path.name} has no code cells"
    assert FAST_LINE in code[0].source, f"the first code cell of {path.name} must contain: {FAST_LINE}"
    assert FAST_PRINT in code[0].source, f"the first code cell of {path.name} must end with: {FAST_PRINT}"
    for i, cell in enumerate(code):
        assert cell.outputs == [] and cell.execution_count is None, (
            f"{path.name}: code cell {i} is stored with outputs; clear them before committing "
            "(Jupyter: Edit > Clear Outputs of All Cells)"
        )
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", f"{path.name}: kernel must be python3"
    # Every lesson ends with exercises (their text, then at most one cell that checks answers).
    last = [c for c in nb.cells[-2:] if c.cell_type == "markdown"]
    assert any(re.search(r"^#+\s*Exercises", c.source, re.M) for c in last), (
        f"{path.name} must end with an Exercises section (and at most one answer-checking cell after it)"
    )


@pytest.fixture(scope="module")
def kernel_specs(tmp_path_factory):
    """A kernel-spec manager whose only kernel, python3, is this interpreter."""
    pytest.importorskip("nbclient")
    ipykernel_spec = pytest.importorskip("ipykernel.kernelspec")
    from jupyter_client.kernelspec import KernelSpecManager

    folder = tmp_path_factory.mktemp("kernels")
    ipykernel_spec.write_kernel_spec(path=str(folder / "python3"))
    manager = KernelSpecManager(kernel_dirs=[str(folder)])
    assert manager.get_kernel_spec("python3").argv[0] == sys.executable
    return manager


STAND_IN = "10_on_a_gpu, its cuda cells through the CuPy stand-in"


@pytest.fixture(scope="module")
def fast_runs(kernel_specs):
    """Every lesson run in fast mode, and lesson 10 once more with the CuPy stand-in: {name: (notebook, failure)}.

    Two kernels at a time: this process only waits on them, so with one at a time the second core would idle
    (a third of a minute of the suite on two cores).
    """
    import os
    from concurrent.futures import ThreadPoolExecutor

    fake = str(Path(__file__).resolve().parent / "fake_cupy")
    runs = {path.stem: (path, {}) for path in NOTEBOOKS}
    runs[STAND_IN] = (LESSONS / "10_on_a_gpu.ipynb",
                      {"PYTHONPATH": os.pathsep.join(filter(None, [fake, os.environ.get("PYTHONPATH")]))})
    with ThreadPoolExecutor(max_workers=2) as pool:
        started = {name: pool.submit(_execute, path, kernel_specs, env) for name, (path, env) in runs.items()}
        return {name: future.result() for name, future in started.items()}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_lesson_runs_in_fast_mode(path, fast_runs):
    _check_run(path, *fast_runs[path.stem])


def test_lesson_10_runs_its_gpu_part_through_the_cupy_stand_in(fast_runs):
    """Without a GPU lesson 10 only prints why; with tests/fake_cupy (see test_fake_cupy.py) its cuda cells run."""
    nb = _check_run(LESSONS / "10_on_a_gpu.ipynb", *fast_runs[STAND_IN])
    printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs
                      if o.output_type == "stream")
    assert "Found a CUDA GPU: NumPy stand-in for CuPy" in printed and "is on cuda" in printed, printed[-2000:]


def _execute(path, kernel_specs, env):
    """Run a lesson top to bottom in fast mode in a kernel of its own (`env` added to its environment), every
    figure checked, then its checking cell with right and with wrong answers: (the notebook, the failing cell's
    text and traceback or None)."""
    import os

    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from nbformat import v4

    nb = _read(path)
    nb.cells.insert(0, v4.new_code_cell(FIGURE_CHECK))
    right, wrong = ANSWERS[path.name[:2]]
    checker = nb.cells[-1].source
    assert nb.cells[-1].cell_type == "code" and "def check(" in checker, f"{path.name}: no answer-checking cell last"
    nb.cells += [v4.new_code_cell(_with_answers(checker, answers)) for answers in (right, wrong)]
    km = KernelManager(kernel_name="python3", kernel_spec_manager=kernel_specs)
    client = NotebookClient(
        nb,
        km=km,
        timeout=300,
        allow_errors=False,
        resources={"metadata": {"path": str(LESSONS)}},  # run from lessons/, as Jupyter does
    )
    # MINIGAN_FAST: the tiny sizes; PYDEVD_...: quiets a debugger warning at kernel start
    env = dict(os.environ, MINIGAN_FAST="1", PYDEVD_DISABLE_FILE_VALIDATION="1", **env)
    failure = None
    try:
        client.execute(env=env)  # (handed on to the kernel manager's start_kernel)
    except CellExecutionError as err:  # its text holds the failing cell and the traceback
        failure = re.sub(r"\x1b\[[0-9;]*m", "", str(err))  # without terminal colour codes
    except Exception as err:  # a dead kernel, a timeout: this lesson's test fails, not every lesson's
        failure = f"{type(err).__name__}: {err}"
    finally:  # a client given its kernel manager leaves the kernel to us: stop it and close its sockets
        if client.kc is not None:
            client.kc.stop_channels()
        if km.has_kernel:
            km.shutdown_kernel(now=True)
    return nb, failure


def _check_run(path, nb, failure):
    """A lesson's fast run: no failing cell, no warning printed, fast mode on, and its checking cell telling
    right answers from wrong ones. Returns the notebook without the two added checking cells."""
    right, wrong = ANSWERS[path.name[:2]]
    first = next(c for c in nb.cells[1:] if c.cell_type == "code")  # (after FIGURE_CHECK)
    if failure:
        pytest.fail(f"{path.name} failed in fast mode:\n{failure}", pytrace=False)
    warned = [o.text for c in nb.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "stream" and o.name == "stderr" and re.search(r"\w+Warning: ", o.text)]
    assert not warned, f"{path.name} printed a warning in fast mode:\n" + "".join(warned)[-2000:]
    printed = "".join(o.get("text", "") for o in first.outputs if o.output_type == "stream")
    assert "fast mode" in printed, f"{path.name} did not run in fast mode; its first cell printed {printed!r}"
    for cell, answers, mark, kind in ((nb.cells[-2], right, "✓ correct", "right"), (nb.cells[-1], wrong, "✗", "wrong")):
        said = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert said.count(mark) == len(answers) and said.count("\n") == len(answers), (
            f"{path.name}: its checking cell, given {kind} answers {answers}, printed:\n{said}"
        )
    del nb.cells[-2:]
    return nb
