"""docs/integrations.md's "Coming from Optuna" and "Coming from Ray Tune" run as written:
every python snippet of the two sections, each in a fresh namespace, in a temporary folder."""

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "integrations.md"


def snippets(section: str) -> list[str]:
    text = DOC.read_text()
    start = text.index(f"## {section}\n")
    end = text.find("\n## ", start + 1)
    return re.findall(r"```python\n(.*?)```", text[start : end if end >= 0 else None], re.S)


CASES = [
    pytest.param(code, id=f"{section.split()[-1].lower()}-{i}")
    for section in ("Coming from Optuna", "Coming from Ray Tune")
    for i, code in enumerate(snippets(section))
]


def test_both_sections_have_their_snippets():
    assert len(snippets("Coming from Optuna")) >= 5
    assert len(snippets("Coming from Ray Tune")) >= 3


@pytest.mark.parametrize("code", CASES)
def test_a_snippet_runs_as_written(code, tmp_path, monkeypatch):
    pytest.importorskip("optuna", reason="the Optuna snippets need optuna (rung[optuna])")
    monkeypatch.chdir(tmp_path)
    exec(compile(code, str(DOC), "exec"), {"__name__": "__snippet__"})
