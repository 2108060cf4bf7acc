import ast
import graphlib
import subprocess
import sys
from pathlib import Path

import rung

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


def rung_imports() -> dict[str, set[str]]:
    """Each rung module and the rung modules it imports anywhere: at the top, inside
    functions, and under ``TYPE_CHECKING``. ``from package import name`` counts as an
    import of the package unless ``name`` is one of its modules."""
    root = Path(rung.__file__).parent
    modules = {}
    for path in root.rglob("*.py"):
        parts = path.relative_to(root.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path

    def known(name: str) -> str:
        while name not in modules:
            name = name.rpartition(".")[0]
        return name

    imports: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                submodules = [f"{base}.{a.name}" for a in node.names]
                targets = [m for m in submodules if m in modules] or [base]
            else:
                continue
            imports[name] |= {known(t) for t in targets if t.startswith("rung")} - {name}
    return imports


def test_no_rung_module_imports_one_that_imports_it_back():
    """No import cycle, counting every import: a module may only lean on the floors below."""
    imports = rung_imports()
    sorter = graphlib.TopologicalSorter(imports)
    try:
        sorter.prepare()
    except graphlib.CycleError as error:
        raise AssertionError(f"import cycle: {' -> '.join(error.args[1])}") from None


def test_the_results_value_imports_nothing_above_the_log():
    """``Results`` is a value: it reads trials and the objective, nothing that runs them."""
    imports = rung_imports()
    reached, todo = set(), ["rung.results"]
    while todo:
        for module in imports[todo.pop()] - reached:
            reached.add(module)
            todo.append(module)
    assert not reached & {"rung.api", "rung.experiment", "rung.storage", "rung.repeat"}
