"""Worker processes never import the user's main module: a script without a main guard,
code from stdin, python -c, IPython and a Jupyter notebook all run with the default
process executor."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

TEMPLATE = textwrap.dedent(
    """
    import rung
    print("MAIN RAN", flush=True)

    class Model:
        depth = 3

    def train(config):
        rung.report(loss=config["x"], depth=config["model"]().depth)

    results = rung.run(train, {"x": rung.uniform(0, 1), "model": Model}, metric="loss",
                       mode="min", num_trials=4, max_concurrent=2, verbose=0, seed=0,
                       executor=EXECUTOR)
    print("TRIALS", len(results.trials), sorted({t.status.value for t in results.trials}),
          {t.last_result["depth"] for t in results.trials}, flush=True)
    """
)
CODE = TEMPLATE.replace("EXECUTOR", "'process'")
EXPECTED = "TRIALS 4 ['TERMINATED'] {3}"


def python(*args, stdin=None, cwd=None):
    return subprocess.run(
        [sys.executable, *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        cwd=cwd or os.getcwd(),
    )


def check(ran):
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert EXPECTED in ran.stdout
    assert ran.stdout.count("MAIN RAN") == 1, "workers did not run the main module again"


@pytest.mark.parametrize("executor", ["process", "ray"])
def test_a_script_without_a_main_guard(tmp_path, executor):
    if executor == "ray":
        pytest.importorskip("ray", reason="Ray is not installed (pip install 'rung[ray]')")
    script = tmp_path / "unguarded.py"
    script.write_text(TEMPLATE.replace("EXECUTOR", repr(executor)))
    check(python(str(script), cwd=tmp_path))


def test_a_script_from_stdin(tmp_path):
    check(python("-", stdin=CODE, cwd=tmp_path))


def test_python_dash_c(tmp_path):
    check(python("-c", CODE, cwd=tmp_path))


def test_ipython(tmp_path):
    pytest.importorskip("IPython", reason="IPython is not installed")
    check(python("-m", "IPython", "--no-banner", "--quick", "-c", CODE, cwd=tmp_path))


def test_a_jupyter_notebook(tmp_path):
    nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed")
    nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(CODE)]
    client = nbclient.NotebookClient(
        notebook, timeout=180, kernel_name="python3", resources={"metadata": {"path": tmp_path}}
    )
    client.execute()
    output = "".join(o.get("text", "") for o in notebook.cells[0].outputs)
    assert EXPECTED in output, notebook.cells[0].outputs
