"""The demo lives apart from the product: the product works without the demo's numpy, the
demo says in one line what to install, and the demo's SQL ships in its own package."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from importlib.resources import files

from demo import queries
from tests.test_demo_folder import run

WITHOUT_NUMPY = "import sys; sys.modules['numpy'] = None  # any `import numpy` now fails\n"


def test_the_product_imports_and_initialises_without_numpy(tmp_path):
    script = WITHOUT_NUMPY + textwrap.dedent(
        f"""
        import importlib, pkgutil
        for package in ("schemas", "tasks", "warehouse", "flows"):
            root = importlib.import_module(package)
            for module in pkgutil.walk_packages(root.__path__, package + "."):
                importlib.import_module(module.name)
        sys.argv = ["pp", "--warehouse", {str(tmp_path / "pp.duckdb")!r}, "init"]
        from flows.cli import main
        main()
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert "loaded service_centers" in " ".join(done.stdout.split())
    assert (tmp_path / "pp.duckdb").is_file()


def test_pp_demo_without_numpy_says_what_to_install(monkeypatch, capsys, tmp_path):
    monkeypatch.setitem(sys.modules, "numpy", None)
    for module in ("demo.flow", "demo.synthetic"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    code, out, err = run(monkeypatch, capsys, "demo", "--dir", str(tmp_path / "demo"))
    assert code == 2 and out == ""
    assert err.startswith("pp: error: the demo needs numpy") and "pip install -e '.[demo]'" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "demo").exists()


def test_the_demo_reads_its_queries_from_its_own_package():
    demo_sql = {entry.name for entry in (files("demo") / "sql").iterdir() if entry.name.endswith(".sql")}
    assert {f"summary_{name}.sql" for name in queries.SUMMARIES} <= demo_sql
    assert all(queries.sql(name.removesuffix(".sql")).startswith("--") for name in demo_sql)
    product_sql = {entry.name for entry in (files("warehouse") / "sql").iterdir()}
    assert not {name for name in product_sql if name.startswith(("summary_", "demo_"))}
