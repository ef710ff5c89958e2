"""The lake warehouse (DuckLake, its catalog in the session's embedded PostgreSQL): what it
lacks enforced by the pipeline, conflicting commits run again, passwords kept out of sight,
time travel, upkeep; and the one line a file from a newer DuckDB gets."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from flows.initialise import init_warehouse
from flows.maintenance import maintain_lake
from schemas.errors import PipelineError
from schemas.settings import load_settings
from tests.conftest import conninfo
from tests.support import query, run
from warehouse import store
from warehouse.locator import FileWarehouse, LakeWarehouse, attach_conninfo, locate, mask

GOLDEN = Path(__file__).parent / "golden"


def test_a_conninfo_is_parsed_once_and_its_password_never_shown():
    lake = locate("ducklake:postgres:dbname=pp host=db1 user=pp password='it\\'s secret'")
    assert isinstance(lake, LakeWarehouse)
    assert "secret" not in str(lake)
    assert "secret" not in repr(lake)
    assert str(lake) == "ducklake:postgres:dbname=pp host=db1 user=pp"
    assert "password='it\\'s secret'" in attach_conninfo(lake)  # libpq's quoting, for the ATTACH
    uri = locate("ducklake:postgres:postgresql://pp:hunter2@db1:5432/pp")
    assert str(uri) == "ducklake:postgres:postgresql://pp@db1:5432/pp"
    assert attach_conninfo(uri) == "postgresql://pp:hunter2@db1:5432/pp"
    assert mask("Unable to connect: password=hunter2 host=db1") == "Unable to connect: password=*** host=db1"
    assert locate("data/pp.duckdb") == FileWarehouse(load_settings().warehouse.path)  # the default's form
    assert isinstance(locate("//server/share/pp.duckdb"), FileWarehouse)


def test_a_catalog_other_than_postgres_is_one_line(monkeypatch, capsys):
    code, _, err = run(monkeypatch, capsys, "--warehouse", "ducklake:sqlite:x.db", "init")
    assert code == 2
    assert err.startswith("pp: error: setting PP_WAREHOUSE: ")
    assert "ducklake:postgres:" in err


def test_an_unreachable_catalog_is_one_line_without_the_password(monkeypatch, capsys, postgres):
    where = f"ducklake:postgres:{conninfo(postgres, 'no_such_db')} password=hunter2"
    code, _, err = run(monkeypatch, capsys, "--warehouse", where, "leads", "waiting")
    assert code == 2
    assert err.startswith("pp: error: cannot open warehouse ducklake:postgres:dbname=no_such_db")
    assert "hunter2" not in err
    assert len(err.strip().splitlines()) == 1


def test_init_needs_the_data_folder_and_creates_the_lake_once(postgres, tmp_path, monkeypatch):
    postgres.psql("CREATE DATABASE fresh_lake;")
    lake = locate(f"ducklake:postgres:{conninfo(postgres, 'fresh_lake')}")
    monkeypatch.delenv("PP_LAKE_DATA_PATH", raising=False)
    with pytest.raises(PipelineError, match="PP_LAKE_DATA_PATH is not set"):
        init_warehouse(lake)
    with pytest.raises(PipelineError, match="not initialised; run `pp init` first"), store.reader(lake):
        pass
    monkeypatch.setenv("PP_LAKE_DATA_PATH", str(tmp_path / "data"))
    first, second = init_warehouse(lake), init_warehouse(lake)
    assert first["migrations_applied"] == [version for version, _ in store.migrations()]
    assert second["migrations_applied"] == []
    claims = query(lake, "SELECT claim FROM write_claims ORDER BY claim")["claim"].to_list()
    assert claims == sorted(store.CLAIMS)
    assert any((tmp_path / "data").rglob("*.parquet"))  # the data is Parquet in the folder named


def test_what_ducklake_lacks_is_stripped_in_one_place_and_kept_to_check():
    ddl = store.lake_ddl(
        "CREATE TABLE t (\n    id BIGINT PRIMARY KEY,\n    code VARCHAR NOT NULL UNIQUE,\n"
        "    n INTEGER CHECK (n > (0)),\n    CHECK (id <> n),\n    PRIMARY KEY (id, code)\n);"
    )
    assert ddl == "CREATE TABLE t (\n    id BIGINT,\n    code VARCHAR NOT NULL,\n    n INTEGER\n);"
    kept = store.lake_constraints()
    assert ("feeds", "key", "sha256") in kept
    assert ("sla_breaches", "key", "lead_id, accept_deadline") in kept
    assert ("feeds", "check", "rows_read = created + merged + quarantined") in kept


@pytest.mark.parametrize(
    ("statement", "broken"),
    [
        ("INSERT INTO products VALUES ('extern', 'twice')", "products: duplicate product"),
        ("UPDATE service_centers SET capacity = 0 WHERE sc_id = 'sc-ekb-1'", "CHECK (capacity > 0)"),
    ],
)
def test_a_lake_commit_that_breaks_a_key_or_check_writes_nothing(lake, statement, broken):
    before = query(lake, "SELECT count(*) AS n, min(capacity) AS c FROM products, service_centers").row(0)

    def write() -> None:
        for attempt in store.write_attempts(lake):
            with attempt as con:
                con.execute(statement)

    with pytest.raises(PipelineError, match=f"would break .*{re.escape(broken)}.*nothing was written"):
        write()
    assert (
        query(lake, "SELECT count(*) AS n, min(capacity) AS c FROM products, service_centers").row(0)
        == before
    )


def test_a_lake_commit_checks_the_tables_its_statements_wrote_however_they_were_sent(lake):
    """The commit checks only what the transaction could have broken: the constrained tables
    its writing statements named, through `store.run` or straight on the connection."""
    with store.transaction(lake) as con:
        store.frame(con, "SELECT * FROM products JOIN regions ON true LIMIT 1")  # read: no check
        con.execute("WITH n AS (SELECT 1) UPDATE service_centers SET capacity = capacity + 0")
        store.run(con, "INSERT INTO calendar_overrides SELECT * FROM calendar_overrides WHERE false")
        with store.transaction(lake) as other:  # another at once: its statements are its own
            other.execute("INSERT INTO feeds SELECT * FROM feeds WHERE false")
            assert store._written_tables(other) == {"feeds"}
        assert store._written_tables(con) == {"service_centers", "calendar_overrides"}
    with store.transaction(lake) as con:  # the last writer emptied the log: it does not grow
        kept = "SELECT count(*) FROM duckdb_logs() WHERE message LIKE '%calendar_overrides%'"
        assert store.scalar(con, kept) == 1  # this very query
        assert store._written_tables(con) == set()


def test_the_file_and_the_lake_hold_the_same_contract(warehouse, lake):
    for where in (warehouse, lake):
        with store.reader(where) as con:
            assert store.broken_constraints(con) == []


def test_a_conflicting_commit_runs_the_whole_transaction_again(lake):
    """Another writer claims the same ids between this one's read and its commit: the commit
    conflicts, and the second run takes the id after the other's."""
    runs = []
    for attempt in store.write_attempts(lake):
        with attempt as con:
            from warehouse import repository as repo

            feed_id = repo.next_id(con, "feeds", "feed_id")
            runs.append(feed_id)
            if len(runs) == 1:  # meanwhile, another process takes feed id 1 and commits
                with store.transaction(lake) as other:
                    repo.next_id(other, "feeds", "feed_id")
                    other.execute(
                        "INSERT INTO feeds VALUES (1, 'a.csv', 'aa', 'call_base', NULL, NULL, now(), now(),"
                        " 0, 0, 0, 0, 0, 0)"
                    )
            con.execute(
                "INSERT INTO feeds VALUES (?, 'b.csv', 'bb', 'call_base', NULL, NULL, now(), now(),"
                " 0, 0, 0, 0, 0, 0)",
                [feed_id],
            )
    assert runs == [1, 2]
    assert query(lake, "SELECT feed_id FROM feeds ORDER BY 1")["feed_id"].to_list() == [1, 2]


def test_retries_have_a_bound(lake, monkeypatch):
    monkeypatch.setenv("PP_LAKE_WRITE_RETRIES", "1")
    runs = []

    def write() -> None:  # every run meets another writer's claim, committed meanwhile
        for attempt in store.write_attempts(lake):
            with attempt as con:
                runs.append(1)
                store.claim_writes(con, "leads")
                with store.transaction(lake) as other:
                    store.claim_writes(other, "leads")

    with pytest.raises(PipelineError, match="gave up after 1 retries"):
        write()
    assert len(runs) == 2


def test_the_report_reads_an_older_snapshot(monkeypatch, capsys, lake, tmp_path):
    with store.reader(lake) as con:
        before = con.execute(f"SELECT id FROM {store.LAKE}.current_snapshot()").fetchone()[0]
    with store.transaction(lake) as con:
        con.execute("UPDATE service_centers SET name = 'Renamed' WHERE sc_id = 'sc-ekb-1'")
    with store.analyst_reader(lake, snapshot=before) as (con, taken):
        assert con.execute("SELECT count(*) FROM service_centers WHERE name = 'Renamed'").fetchone() == (0,)
        assert taken < datetime.now(UTC)
    out = tmp_path / "old.html"
    code, _, err = run(
        monkeypatch,
        capsys,
        "--warehouse",
        str(lake),
        "report",
        "--out",
        str(out),
        "--as-of-snapshot",
        str(before),
    )
    assert code == 0, err
    assert out.exists()
    code, _, err = run(monkeypatch, capsys, "--warehouse", str(lake), "report", "--as-of-snapshot", "99999")
    assert code == 2
    assert "has no snapshot 99999" in err
    assert len(err.strip().splitlines()) == 1


def test_a_file_has_no_snapshots_and_nothing_to_maintain(monkeypatch, capsys, warehouse):
    code, _, err = run(monkeypatch, capsys, "--warehouse", str(warehouse), "report", "--as-of-snapshot", "1")
    assert code == 2
    assert "is a DuckDB file, which keeps no snapshots" in err
    code, out, _ = run(monkeypatch, capsys, "--warehouse", str(warehouse), "maintain-lake")
    assert code == 0
    assert out.strip() == f"warehouse {warehouse} is a DuckDB file: nothing to maintain"


def test_maintenance_merges_small_files_and_expires_old_snapshots(lake):
    for n in range(4):  # four small commits to one table
        with store.transaction(lake) as con:
            con.execute("INSERT INTO products VALUES (?, 'small')", [f"p{n}"])
    with store.reader(lake) as con:
        first_before, _ = con.execute(
            f"SELECT min(snapshot_id), max(snapshot_id) FROM {store.LAKE}.snapshots()"
        ).fetchone()
    result = maintain_lake(as_of=datetime.now(UTC) + timedelta(days=30), warehouse=str(lake))
    assert result["maintained"]
    assert result["snapshots_expired"] > 0
    first, last = result["snapshots_kept"]
    assert first > first_before
    assert first == last
    assert query(lake, "SELECT count(*) AS n FROM products WHERE name = 'small'")["n"].item() == 4
    with store.reader(lake) as con:
        assert store.broken_constraints(con) == []


def test_a_file_from_a_newer_duckdb_is_one_line(monkeypatch, capsys, tmp_path):
    """A file duckdb 2.0.1 wrote (tests/golden, its one table `t`), which 1.5.5 cannot read."""
    path = tmp_path / "newer.duckdb"
    path.write_bytes(gzip.decompress((GOLDEN / "written-by-duckdb-2.0.1.duckdb.gz").read_bytes()))
    code, _, err = run(monkeypatch, capsys, "--warehouse", str(path), "leads", "waiting")
    assert code == 2
    assert err.startswith(f"pp: error: warehouse {path} was written by a newer DuckDB than this pp's 1.5.5")
    assert "(STORAGE_VERSION 'v1.5.0') and COPY FROM DATABASE" in err
    assert len(err.strip().splitlines()) == 1


def test_a_corrupt_file_is_one_line_at_once(monkeypatch, capsys, caplog, tmp_path):
    """DuckDB's "checksum … in block at location 0" is no lock held by another process: no
    waiting for it to be released."""
    path = tmp_path / "corrupt.duckdb"
    duckdb.connect(str(path)).close()
    with path.open("r+b") as fh:
        fh.seek(12)
        fh.write(b"garbage!")
    monkeypatch.setenv("PP_LOCK_TIMEOUT_SECONDS", "30")
    code, _, err = run(monkeypatch, capsys, "--warehouse", str(path), "leads", "waiting")
    assert code == 2
    assert err.startswith(f"pp: error: cannot open warehouse {path}: IO Error: Corrupt database file")
    assert not [r for r in caplog.records if "waiting for it to finish" in r.getMessage()]


def test_a_lake_whose_catalog_connections_dropped_is_read_and_written_again(lake, postgres):
    """The process keeps the lake attached between connections: a catalog server that closed
    its connections meanwhile (a restart, a failover) costs the next one an attach, no error."""
    assert query(lake, "SELECT count(*) AS n FROM products")["n"].item() > 0
    database = lake.conninfo.split()[0].removeprefix("dbname=")
    postgres.psql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{database}' AND pid <> pg_backend_pid();"
    )
    assert query(lake, "SELECT count(*) AS n FROM products")["n"].item() > 0
    with store.transaction(lake) as con:
        store.claim_writes(con, "feeds")
