import subprocess
import sys

# Optional extras, and the heavy parts of required ones that only some features use: worker
# processes import rung, so this keeps their start fast.
HEAVY = [
    "torch",
    "ray",
    "tensorboardX",
    "mlflow",
    "wandb",
    "matplotlib",
    "sklearn",
    "optuna",
    "scipy",
    "pandas",
]


def test_import_rung_stays_light():
    code = "import sys, rung; print(' '.join(m for m in sys.argv[1:] if m in sys.modules))"
    out = subprocess.run(
        [sys.executable, "-c", code, *HEAVY], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == ""
