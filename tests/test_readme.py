"""The README's files and commands, as written, run from a fresh directory."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import rung

README = Path(__file__).resolve().parent.parent / "README.md"


def blocks() -> list[tuple[str, str]]:
    """``(language, text)`` of every fenced block of the README."""
    return re.findall(r"```(\w*)\n(.*?)```", README.read_text(), flags=re.DOTALL)


def named_files() -> dict[str, str]:
    """The blocks that open with ``# <file name>``: the files a reader writes."""
    files = {}
    for _, text in blocks():
        first = text.splitlines()[0]
        if re.fullmatch(r"# [\w.-]+\.(py|yaml)", first):
            files[first[2:]] = text
    return files


def commands() -> list[str]:
    """The shell block that starts with ``python tune.py``, a command a line."""
    (text,) = [t for lang, t in blocks() if lang == "bash" and t.startswith("python tune.py")]
    return [line.split("#")[0].strip() for line in text.splitlines() if line.strip()]


def test_the_readme_files_and_commands_run_as_written(tmp_path):
    files = named_files()
    assert set(files) == {"digits_sgd.py", "tune.py", "experiment.yaml"}
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    bin_dir = os.path.dirname(sys.executable)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PYTHONPATH", None)
    for command in commands():
        words = shlex.split(command)
        if words[0] == "python":
            words[0] = sys.executable
        ran = subprocess.run(
            words, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
        )
        assert ran.returncode == 0, f"{command}:\n{ran.stdout[-2000:]}\n{ran.stderr[-2000:]}"
    assert len(rung.load(tmp_path / "rung_results" / "sgd").trials) == 40
    from_file = rung.load(tmp_path / "rung_results" / "sgd-from-file")
    assert len(from_file.trials) == 30 and from_file.best_result["accuracy"] > 0.8


def test_the_readme_space_examples_build(tmp_path):
    (python_space,) = [
        t for lang, t in blocks() if lang == "python" and "space = {" in t and "sample_from" in t
    ]
    namespace: dict = {}
    exec(python_space, namespace)
    rung.Space(namespace["space"])
    (yaml_space,) = [t for lang, t in blocks() if lang == "yaml" and t.startswith("lr:")]
    (tmp_path / "space.yaml").write_text(yaml_space)
    assert rung.load_space(tmp_path / "space.yaml").params
