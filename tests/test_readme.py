"""The README's Python examples run as written (a learner copies them first)."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def test_the_readme_has_python_examples():
    assert BLOCKS


@pytest.mark.parametrize("code", BLOCKS)
def test_readme_python_example_runs(code):
    namespace = {}
    exec(compile(code, str(README), "exec"), namespace)  # noqa: S102 (our own README)
    # the first example's promises: x.grad filled, g = 2x
    if "x.grad" in code:
        import numpy as np

        np.testing.assert_allclose(namespace["g"].numpy(), 2 * namespace["x"].numpy(), rtol=1e-6)
        assert namespace["x"].grad.shape == (4, 3)
