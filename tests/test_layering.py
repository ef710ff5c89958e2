"""The layers stay apart (docs/architecture.md): flows sequence, tasks decide, only warehouse/
talks to the database. Read from the source files with `ast`, nothing imported."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FLOWS = sorted((ROOT / "flows").glob("*.py"))
TASKS = sorted((ROOT / "tasks").glob("*.py"))
# A flow opens its connection (or the analysts' snapshot) and checks (or, `pp init`, migrates)
# the schema; the rest is the repository's.
STORE_IN_FLOWS = {
    "transaction", "write_attempts", "creating", "reader", "analyst_reader", "require_schema", "migrate",
    "schema_version", "Connection",
}
DATABASE_CALLS = {"execute", "executemany", "sql"}
SQL_TEXT = re.compile(
    r"\b(SELECT\s.*\bFROM|INSERT\s+INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM|DROP\s+TABLE|CREATE\s+(TEMP\s+)?TABLE)\b",
    re.DOTALL,
)


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def inline_sql(tree: ast.Module) -> list[int]:
    """Lines of string literals that hold an SQL statement."""
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and SQL_TEXT.search(node.value)
    ]


def database_calls(tree: ast.Module) -> list[str]:
    """Calls that reach the database around `warehouse.repository`: `store.<x>(…)` other than
    opening a connection and checking its schema, and DuckDB's own `execute`/`sql`."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            owner, name = node.func.value, node.func.attr
            if isinstance(owner, ast.Name) and owner.id == "store" and name not in STORE_IN_FLOWS:
                found.append(f"line {node.lineno}: store.{name}")
            elif name in DATABASE_CALLS:
                found.append(f"line {node.lineno}: .{name}")
    return found


def imported_modules(tree: ast.Module) -> set[str]:
    """Every module the source imports, at the top or inside a function."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def import_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph (module → modules it imports), or None."""
    state: dict[str, str] = {}

    def visit(module: str, path: list[str]) -> list[str] | None:
        state[module] = "open"
        for target in sorted(graph.get(module, ())):
            if state.get(target) == "open":
                return [*path[path.index(target) :], target]
            if target not in state:
                cycle = visit(target, [*path, target])
                if cycle:
                    return cycle
        state[module] = "done"
        return None

    for module in sorted(graph):
        if module not in state:
            cycle = visit(module, [module])
            if cycle:
                return cycle
    return None


def flows_graph() -> dict[str, set[str]]:
    modules = {f"flows.{path.stem}" for path in FLOWS}
    return {
        f"flows.{path.stem}": (imported_modules(_tree(path)) & modules) - {f"flows.{path.stem}"}
        for path in FLOWS
    }


@pytest.mark.parametrize("path", FLOWS, ids=lambda p: p.name)
def test_flows_hold_no_sql_and_reach_the_database_only_through_the_repository(path: Path) -> None:
    tree = _tree(path)
    assert inline_sql(tree) == [], f"{path.name}: SQL text belongs in warehouse/"
    assert database_calls(tree) == [], f"{path.name}: call a warehouse.repository function instead"


@pytest.mark.parametrize("path", TASKS, ids=lambda p: p.name)
def test_tasks_are_pure(path: Path) -> None:
    imported = imported_modules(_tree(path))
    impure = {"warehouse", "duckdb", "flows", "prefect", "adapters", "smtplib"}
    assert not {m for m in imported if m.split(".")[0] in impure}


def test_the_flows_import_no_cycle() -> None:
    assert import_cycle(flows_graph()) is None


def test_lead_history_has_one_writer() -> None:
    """Every row of `lead_events` goes through `history.append` (frames through
    `repository.record_events`)."""
    for sql in sorted((ROOT / "warehouse" / "sql").glob("*.sql")):
        assert not re.search(r"INSERT\s+INTO\s+lead_events", sql.read_text(encoding="utf-8"), re.I), sql.name
    writers = []
    for path in [*FLOWS, *TASKS, *sorted((ROOT / "warehouse").glob("*.py"))]:
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.FunctionDef):
                texts = [
                    n.value
                    for n in ast.walk(node)
                    if isinstance(n, ast.Constant) and n.value == "lead_events"
                ]
                if texts:
                    writers.append(f"{path.name}:{node.name}")
    assert writers == ["history.py:append"]


def test_the_checks_see_what_they_look_for() -> None:
    """The detectors themselves, on a small made-up source."""
    tree = ast.parse(
        "from flows.b import x\n"
        "def f(con):\n"
        "    store.frame(con, 'SELECT a FROM t')\n"
        "    con.execute('UPDATE t SET a = 1')\n"
        "    with store.transaction(path) as con:\n"
        "        store.require_schema(con, path)\n"
    )
    assert inline_sql(tree) == [3, 4]
    assert database_calls(tree) == ["line 3: store.frame", "line 4: .execute"]
    assert "flows.b" in imported_modules(tree)
    assert import_cycle({"flows.a": {"flows.b"}, "flows.b": {"flows.c"}, "flows.c": {"flows.a"}}) == [
        "flows.a",
        "flows.b",
        "flows.c",
        "flows.a",
    ]
    assert import_cycle({"flows.a": {"flows.b"}, "flows.b": set()}) is None
