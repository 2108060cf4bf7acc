import subprocess
import sys

OPTIONAL = ["torch", "ray", "tensorboardX", "mlflow", "wandb", "matplotlib", "sklearn", "optuna"]


def test_import_rung_loads_no_optional_dependency():
    code = "import sys, rung; print(' '.join(m for m in sys.argv[1:] if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code, *OPTIONAL], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""
