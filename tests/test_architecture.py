"""The package's layers: contracts (import-linter) and what importing the engine loads."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

from analysis import paths

LINT = Path(sys.executable).parent / "lint-imports"


def _lint(root):
    env = dict(os.environ, PYTHONPATH=str(root))
    return subprocess.run([str(LINT)], cwd=root, env=env, capture_output=True, text=True)


def test_import_linter_contracts_are_kept():
    result = _lint(paths.ROOT)
    assert result.returncode == 0, result.stdout
    assert "4 kept, 0 broken" in result.stdout


def _lint_with_import(tmp_path, module: str, line: str):
    """Lint a copy of the package in which ``module`` (a path under analysis/) adds ``line``."""
    shutil.copytree(
        paths.ROOT / "analysis", tmp_path / "analysis", ignore=shutil.ignore_patterns("__pycache__")
    )
    shutil.copy(paths.ROOT / "pyproject.toml", tmp_path)
    source = tmp_path / "analysis" / module
    source.write_text(source.read_text() + f"\n{line}  # noqa\n")
    return _lint(tmp_path)


def test_import_linter_catches_the_engine_importing_the_review(tmp_path):
    result = _lint_with_import(tmp_path, "engine/pooling.py", "from ..review import settings")
    assert result.returncode == 1
    assert "analysis.engine.pooling -> analysis.review.settings" in result.stdout


def test_import_linter_catches_a_shared_module_importing_a_page(tmp_path):
    result = _lint_with_import(tmp_path, "publish/sof.py", "from .chapters import outcomes")
    assert result.returncode == 1
    assert "analysis.publish.sof -> analysis.publish.chapters.outcomes" in result.stdout


def test_importing_the_engine_loads_no_plotting_notebook_or_data_library():
    code = (
        "import sys, analysis.engine.pooling, analysis.engine.subgroups, "
        "analysis.engine.influence, analysis.engine.crosscheck; "
        "print(sorted(m for m in ('matplotlib', 'seaborn', 'IPython', 'myst_nb', "
        "'frictionless', 'analysis.publish', 'analysis.review') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=paths.ROOT, check=True
    )
    assert out.stdout.strip() == "[]"


def test_the_public_api_is_one_lazy_import():
    code = (
        "import sys, analysis as an; before = 'matplotlib' in sys.modules; "
        "an.cite_this, an.pool_proportions, an.forest_plot; "
        "print(before, 'matplotlib' in sys.modules, sorted(set(an.__all__) - set(dir(an))))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=paths.ROOT, check=True
    )
    assert out.stdout.strip() == "False True []"


def test_only_the_data_package_layer_reads_data_files():
    """One loader: review and publish get every table from analysis.datapackage."""
    offenders = []
    for layer in ("review", "publish"):
        for path in sorted((paths.ROOT / "analysis" / layer).glob("*.py")):
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if "read_csv(" in line and "data" in line.lower():
                    offenders.append(f"{path.relative_to(paths.ROOT)}:{number}")
    assert offenders == []
