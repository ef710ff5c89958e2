"""Reference data as users write it (docs/contract.md, SPEC §16): codes in any case,
names free of control characters, and feeds, options and commands matching codes and names."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from flows.ingest import check_feed, ingest_feed
from flows.initialise import DEMO_REFERENCE, init_warehouse
from flows.sanctions import close_product, exclude_centre
from schemas.errors import PipelineError
from tests.support import run

AS_OF = datetime(2026, 3, 6, 10, 0, tzinfo=UTC)


def _reference(tmp_path: Path, edits: dict[str, tuple[str, str]] | None = None) -> Path:
    """The bundled demo reference copied, with `file: (old, new)` replacements applied once."""
    target = tmp_path / "reference"
    shutil.copytree(Path(str(DEMO_REFERENCE)), target)
    for file_name, (old, new) in (edits or {}).items():
        path = target / file_name
        text = path.read_text(encoding="utf-8")
        assert old in text
        path.write_text(text.replace(old, new, 1), encoding="utf-8", newline="")
    return target


def _line_of(path: Path, needle: str) -> int:
    """The line a text editor shows `needle` on (the header is line 1)."""
    lines = path.read_text(encoding="utf-8").split("\n")
    return next(number for number, line in enumerate(lines, start=1) if needle in line)


def _refused(tmp_path: Path, reference: Path) -> str:
    target = tmp_path / "w.duckdb"
    with pytest.raises(PipelineError) as refused:
        init_warehouse(target, reference)
    assert not target.exists()
    message = str(refused.value)
    assert "\n" not in message
    return message


# --- Control characters in names --------------------------------------------------------------


@pytest.mark.parametrize(
    ("file_name", "old", "new", "column", "what"),
    [
        ("service_centers.csv", "ООО «Столичный сервисный центр»", '"ООО «Столичный\nсервисный центр»"',
         "name", "a line break (U+000A)"),
        ("service_centers.csv", "ООО «Столичный сервисный центр»", '"ООО «Столичный\r\nсервисный центр»"',
         "name", "a carriage return (U+000D)"),
        ("managers.csv", "Попова Татьяна Александровна", "Попова\tТатьяна", "name", "a tab (U+0009)"),
        ("products.csv", "Контур.Диадок", "\x1b[31mКонтур.Диадок", "name", "an ESC (U+001B)"),
        ("products.csv", "Контур.Диадок", "Контур.\x85Диадок", "name", "a control character (U+0085)"),
        ("products.csv", "Контур.Диадок", "Контур.\u2028Диадок", "name", "a line separator (U+2028)"),
        ("managers.csv", "msk-1-m1,sc-msk-1", "msk-1-m1,sc-msk-1\x00", "sc_id",
         "a control character (U+0000)"),
        ("service_centers.csv", "leads@msk1-partner.ru", "leads@msk1-partner.ru\x7f", "notify_email",
         "a control character (U+007F)"),
    ],
)  # fmt: skip
def test_control_characters_in_reference_cells_are_refused(
    tmp_path: Path, file_name: str, old: str, new: str, column: str, what: str
) -> None:
    reference = _reference(tmp_path, {file_name: (old, new)})
    line = _line_of(reference / file_name, new.strip('"').split("\n")[0].split("\r")[0])
    assert _refused(tmp_path, reference) == (
        f"{file_name} line {line}, column {column}: holds {what}; "
        "remove it: names and codes are one line of text"
    )


def test_lines_are_counted_as_an_editor_shows_them(tmp_path: Path) -> None:
    """A quoted cell spanning lines and blank lines move the lines after them down."""
    reference = _reference(tmp_path)
    path = reference / "products.csv"
    path.write_text(
        'product,name\nextern,"Контур.Экстерн,\nотчётность"\n\ndiadoc,Контур.Диадок\nelba,Контур\tЭльба\n',
        encoding="utf-8",
    )
    message = _refused(tmp_path, reference)
    assert message.startswith("products.csv line 2, column name: holds a line break")
    path.write_text(
        'product,name\nextern,"Контур.Экстерн, отчётность"\n\ndiadoc,Контур.Диадок\nelba,Контур\tЭльба\n',
        encoding="utf-8",
    )
    assert _refused(tmp_path, reference).startswith("products.csv line 5, column name: holds a tab")


def test_a_row_with_too_many_cells_is_refused_with_its_line(tmp_path: Path) -> None:
    reference = _reference(tmp_path, {"products.csv": ("Контур.Диадок", "Контур, Диадок")})
    line = _line_of(reference / "products.csv", "Контур, Диадок")
    assert _refused(tmp_path, reference) == (
        f"products.csv line {line}: 3 cells, the header has 2; put a cell holding a comma in double quotes"
    )


def test_a_reference_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    reference = _reference(tmp_path)
    path = reference / "managers.csv"
    path.write_bytes(path.read_text(encoding="utf-8").encode("cp1251"))
    assert _refused(tmp_path, reference) == "managers.csv is not UTF-8 text; save it as CSV UTF-8"


def test_pp_init_refuses_a_control_character_in_one_line(monkeypatch, capsys, tmp_path: Path) -> None:
    reference = _reference(tmp_path, {"managers.csv": ("Попова Татьяна Александровна", "Попова\x1bТатьяна")})
    target = tmp_path / "w.duckdb"
    code, _, err = run(monkeypatch, capsys, "--warehouse", str(target), "init", "--reference", str(reference))
    assert code == 2
    line = _line_of(reference / "managers.csv", "Попова")
    assert err.strip().splitlines() == [
        f"pp: error: managers.csv line {line}, column name: holds an ESC (U+001B); "
        "remove it: names and codes are one line of text"
    ]
    assert not target.exists()


# --- Codes in any case, names for codes -------------------------------------------------------


def _upper_case_products(tmp_path: Path) -> Path:
    """The vendor's spelling: EXTERN in products.csv; the SC file keeps writing `extern`."""
    return _reference(tmp_path, {"products.csv": ("extern,", "EXTERN,")})


def test_upper_case_product_codes_load_and_references_take_their_spelling(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    init_warehouse(target, _upper_case_products(tmp_path))
    with duckdb.connect(str(target), read_only=True) as con:
        products = con.sql("SELECT product FROM products ORDER BY product").pl()["product"].to_list()
        sold = con.sql("SELECT DISTINCT unnest(products) AS p FROM service_centers").pl()["p"].to_list()
    assert "EXTERN" in products
    assert "extern" not in products
    assert "EXTERN" in sold
    assert "extern" not in sold


@pytest.mark.parametrize(
    ("file_name", "old", "new", "message"),
    [
        ("products.csv", "diadoc,", "EXTERN,", "products.csv: duplicate product 'EXTERN' (codes are"),
        ("service_centers.csv", "sc-msk-2,", "SC-MSK-1,", "service_centers.csv: duplicate sc_id 'SC-MSK-1'"),
        ("products.csv", "Контур.Диадок — электронный документооборот", "EXTERN",
         "products.csv: the name of product 'diadoc' also names 'extern'"),
        ("managers.csv", "kgd-1-m1,sc-kgd-1", "kgd-1-m1,sc-kgd-9",
         "managers.csv: sc_id 'sc-kgd-9' is not in service_centers.csv"),
    ],
)  # fmt: skip
def test_codes_that_only_case_tells_apart_are_refused(
    tmp_path: Path, file_name: str, old: str, new: str, message: str
) -> None:
    assert _refused(tmp_path, _reference(tmp_path, {file_name: (old, new)})).startswith(message)


def test_managers_may_write_an_sc_code_in_another_case(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    init_warehouse(target, _reference(tmp_path, {"managers.csv": ("kgd-1-m1,sc-kgd-1", "kgd-1-m1,SC-KGD-1")}))
    with duckdb.connect(str(target), read_only=True) as con:
        assert con.sql("SELECT sc_id FROM managers WHERE manager_id = 'kgd-1-m1'").fetchall() == [
            ("sc-kgd-1",)
        ]


@pytest.mark.parametrize("given", ["extern", "Extern", " EXTERN ", "Контур.Экстерн"])
def test_the_product_option_matches_codes_in_any_case_and_names(tmp_path: Path, given: str) -> None:
    target = tmp_path / "w.duckdb"
    init_warehouse(target, _upper_case_products(tmp_path))
    feed = tmp_path / "feed.csv"
    feed.write_text("inn,phone,temperature\n7707083893,89123456789,hot\n", encoding="utf-8")
    request = check_feed(feed, source="call_base", product=given, sc_id=None, warehouse=target)
    assert request.product == "EXTERN"
    created = check_feed(feed, source="sc_created", product=given, sc_id="SC-MSK-1", warehouse=target)
    assert created.sc_id == "sc-msk-1"


def test_sanctions_match_sc_and_product_in_any_case(warehouse: Path) -> None:
    closed = close_product(warehouse, "SC-MSK-1", "Контур.Экстерн", reason=None, by="t", as_of=AS_OF)
    assert (closed["sc_id"], closed["product"], closed["already_in_force"]) == ("sc-msk-1", "extern", False)
    again = close_product(warehouse, "sc-msk-1", "EXTERN", reason=None, by="t", as_of=AS_OF)
    assert again["already_in_force"]
    assert exclude_centre(warehouse, "Sc-Msk-2", forever=True, reason=None, by="t", as_of=AS_OF)["sc_id"] == (
        "sc-msk-2"
    )


def test_feed_products_match_codes_in_any_case_and_names(tmp_path: Path) -> None:
    target = tmp_path / "w.duckdb"
    init_warehouse(target, _upper_case_products(tmp_path))
    feed = tmp_path / "feed.csv"
    feed.write_text(
        "inn,phone,product,region\n"
        "7707083893,89123456781,extern,Москва\n"
        "6663003127,89123456782,EXTERN,66\n"
        "7830002293,89123456783,Контур.Экстерн,78\n"
        "0274051582,89123456784,контур.диадок — электронный документооборот,\n"
        "500100732259,89123456785,Контур.Банк,\n",
        encoding="utf-8",
    )
    summary = ingest_feed(path=str(feed), source="call_base", as_of=AS_OF, warehouse=str(target))
    assert (summary["created"], summary["quarantined"]) == (4, 1)
    with duckdb.connect(str(target), read_only=True) as con:
        leads = con.sql("SELECT inn, product, region FROM leads ORDER BY inn").pl()
        reasons = con.sql("SELECT row_number, reason_code FROM quarantine").fetchall()
    assert leads.rows() == [
        ("0274051582", "diadoc", "02"),
        ("6663003127", "EXTERN", "66"),
        ("7707083893", "EXTERN", "77"),
        ("7830002293", "EXTERN", "78"),
    ]
    assert reasons == [(5, "unknown_product")]
