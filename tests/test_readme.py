"""The README's Python examples run as written (a learner copies them first), and the
README's and docs' command lines, links and file names still fit the code."""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
PAGES = [README, *sorted((ROOT / "docs").glob("*.md"))]


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


def _code_spans(text):
    """Each fenced block's lines and each inline `code` span of a Markdown page."""
    fenced = re.findall(r"```[^\n]*\n(.*?)```", text, re.S)
    inline = re.findall(r"`([^`]+)`", re.sub(r"```.*?```", "", text, flags=re.S))
    return [line for block in fenced for line in block.splitlines()] + inline


def _command_lines(text):
    """The `minigan SUBCOMMAND ...` lines of a page, as argument lists ready to parse.

    Placeholders become values ([--opt X] is given, a|b gives one line each, DIR or N is 1,
    `--device cuda` is cpu, which any machine accepts); prose such as `minigan bench ...` is left out.
    """
    commands = []
    for span in _code_spans(text):
        for part in span.split("&&"):
            words = part.replace("\\|", "|").replace("[", " ").replace("]", " ").split()
            if "minigan" not in words or words.index("minigan") + 1 == len(words):
                continue
            words = words[words.index("minigan") + 1:]
            if words[0] not in ("train", "sample", "eval", "bench", "demo"):
                continue
            if "..." in words and not words[words.index("...") - 1].startswith("-"):
                continue  # "minigan train mnist ...": any options, not a command line
            words = ["1" if re.fullmatch(r"[A-Z]+|\.\.\.", w) else w for w in words]
            words = ["cpu" if w == "cuda" and i and words[i - 1] == "--device" else w for i, w in enumerate(words)]
            if words[0] in ("sample", "eval") and "--checkpoint" not in words:
                words += ["--checkpoint", "run"]  # "`minigan eval` names the judge": the command, named in prose
            alternatives = [w for w in words if "|" in w]
            for choice in alternatives[0].split("|") if alternatives else [None]:
                commands.append([choice if "|" in w else w for w in words])
    return commands


def test_every_minigan_command_line_in_the_readme_and_docs_parses():
    from minigan.cli import build_parser

    bad = []
    for page in PAGES:
        for argv in _command_lines(page.read_text(encoding="utf-8")):
            try:
                args, unknown = build_parser().parse_known_args(argv)
            except SystemExit:  # argparse refused it (and printed why)
                args, unknown = None, argv
            if unknown or not getattr(args, "func", None):
                bad.append(f"{page.name}: minigan {' '.join(argv)} (not understood: {' '.join(unknown)})")
    assert not bad, "command lines the CLI no longer takes:\n" + "\n".join(bad)


def test_every_option_the_readme_and_docs_name_is_one_the_command_takes():
    """`--g-steps 2` in a sentence, too: an option named anywhere in code is the CLI's (or its script's)."""
    import argparse

    from minigan.cli import build_parser

    def options(parser):
        found = set()
        for action in parser._actions:
            found.update(action.option_strings)
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    found |= options(sub)
        return found

    known = options(build_parser())
    bad = []
    for page in PAGES:
        for span in _code_spans(page.read_text(encoding="utf-8")):
            script = re.search(r"python -m (minigan\.benchmarks\.\w+)", span)  # its own options, in its source
            source = (ROOT / (script.group(1).replace(".", "/") + ".py")).read_text(encoding="utf-8") if script else ""
            for option in re.findall(r"(?<![\w-])--[a-z][\w-]*", span):
                if option not in known and f'"{option}"' not in source:
                    bad.append(f"{page.name}: {option} in `{span.strip()}`")
    assert not bad, "options the command line does not take:\n" + "\n".join(bad)


def _anchor(heading):
    """GitHub's anchor of a Markdown heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_relative_link_and_anchor_in_the_readme_and_docs_resolves():
    bad = []
    for page in PAGES:
        for target in re.findall(r"\]\(([^)\s]+)\)", page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):  # https:, mailto:
                continue
            path, _, anchor = target.partition("#")
            linked = (page.parent / path).resolve() if path else page
            if not linked.exists():
                bad.append(f"{page.name}: {target} (no such file)")
                continue
            headings = re.findall(r"^#+ (.*)$", linked.read_text(encoding="utf-8"), re.M) if anchor else []
            if anchor and anchor not in {_anchor(h) for h in headings}:
                bad.append(f"{page.name}: {target} (no such heading in {linked.name})")
    assert not bad, "links that lead nowhere:\n" + "\n".join(bad)


def test_every_file_the_readme_and_docs_name_exists():
    bad = []
    for page in PAGES:
        for span in _code_spans(page.read_text(encoding="utf-8")):
            if re.fullmatch(r"(minigan|tests|docs|lessons|\.ci)/[\w./-]+", span) and not (ROOT / span).exists():
                bad.append(f"{page.name}: {span}")
    assert not bad, "files named in the docs that are not in the repository:\n" + "\n".join(bad)
