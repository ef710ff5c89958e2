"""Synthetic feeds: valid where they should be, broken exactly where they say, reproducible."""

from __future__ import annotations

import io
import json
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from demo.synthetic import synthetic_feed, valid_inn10, valid_inn12, write_feed
from schemas.enums import Initiator
from schemas.feed import FEED_COLUMNS
from schemas.rules import source_rules
from tests.inn_oracle import inn_is_valid

AS_OF = datetime(2026, 3, 6, 16, 30, tzinfo=timezone(timedelta(hours=5)))
PRODUCTS = ["extern", "diadoc", "elba", "focus", "market", "ofd", "bukhgalteria"]
REGIONS = ["39", "77", "50", "78", "16", "63", "02", "66", "74", "54", "24", "38", "25"]
N = 4000


# Independent validators: written from the public rules, not from the generator's code.
def kpp_is_valid(kpp: str) -> bool:
    return re.fullmatch(r"\d{4}[\dA-Z]{2}\d{3}", kpp) is not None


def phone_is_real(phone: str) -> bool:
    digits = re.sub(r"\D", "", phone)
    if len(digits) == 11 and digits[0] in "78":
        digits = digits[1:]
    if len(digits) != 10 or len(set(digits)) == 1:
        return False
    return digits not in "01234567890" and digits not in "9876543210"


def email_is_real(email: str) -> bool:
    match = re.fullmatch(r"([a-z0-9._-]+)@([a-z0-9-]+(?:\.[a-z0-9-]+)+)", email)
    if match is None:
        return False
    local, domain = match.groups()
    return local not in {"test", "noemail", "no"} and domain not in {"example.com", "test.ru"}


def event_ok(value: str) -> bool:
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return False
    return at.tzinfo is not None and AS_OF - timedelta(days=3) <= at <= AS_OF


def feed(source: str, n: int = N, **kwargs: object) -> pl.DataFrame:
    options: dict = {"as_of": AS_OF, "products": PRODUCTS, "regions": REGIONS, "seed": 7}
    options.update(kwargs)
    return synthetic_feed(source, n, labels=True, **options)


@pytest.fixture(scope="module")
def call_base() -> pl.DataFrame:
    return feed("call_base")


@pytest.fixture(scope="module")
def callback() -> pl.DataFrame:
    return feed("callback_order")


# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("make", "width"), [(valid_inn10, 10), (valid_inn12, 12)])
def test_generated_inns_pass_an_independent_checksum(make, width) -> None:
    regions = np.array(["02", "66", "77", "25"] * 250)
    inns = make(1000, np.random.default_rng(3), regions)
    assert inns.shape == (1000,)
    assert all(len(i) == width and inn_is_valid(i) for i in inns)
    assert [i[:2] for i in inns] == list(regions)
    assert len(set(inns)) == 1000
    one_region = make(50, np.random.default_rng(3), np.array(["39"]))
    assert all(i.startswith("39") and inn_is_valid(i) for i in one_region)


def test_inn_helpers_reject_bad_region_arrays() -> None:
    with pytest.raises(ValueError, match="one code or one per INN"):
        valid_inn10(5, np.random.default_rng(0), np.array(["66", "77"]))
    with pytest.raises(ValueError, match="region codes 01-99"):
        valid_inn12(1, np.random.default_rng(0), np.array(["00"]))


def test_feed_has_the_contract_columns_as_strings(call_base) -> None:
    assert call_base.height == N
    assert tuple(call_base.columns[: len(FEED_COLUMNS)]) == FEED_COLUMNS
    assert all(dtype == pl.String for dtype in call_base.dtypes)
    plain = synthetic_feed("call_base", 10, as_of=AS_OF, products=PRODUCTS, regions=REGIONS)
    assert tuple(plain.columns) == FEED_COLUMNS
    assert call_base["external_id"].n_unique() == N
    assert call_base["external_id"][0] == "call_base-7-1"
    assert call_base["lead_type"].null_count() == N
    assert call_base["temperature"].null_count() == N


def test_empty_feed() -> None:
    empty = synthetic_feed("registration", 0, as_of=AS_OF, products=PRODUCTS, regions=REGIONS)
    assert empty.height == 0
    assert tuple(empty.columns) == FEED_COLUMNS


def test_same_seed_same_feed_other_seed_other_feed() -> None:
    first = feed("demo_order", 500)
    assert first.equals(feed("demo_order", 500))
    assert not first.equals(feed("demo_order", 500, seed=8))
    assert not first["inn"].equals(feed("consultation_order", 500)["inn"])


def test_requested_bad_share_holds_and_every_bad_row_is_really_broken(call_base) -> None:
    bad = call_base.filter(pl.col("expected_reason").is_not_null())
    assert bad.height == round(0.03 * N)
    assert bad["expected_reason"].n_unique() >= 6  # broken in varied ways
    for row in bad.iter_rows(named=True):
        reason = row["expected_reason"]
        if reason == "bad_inn":
            assert row["inn"] is not None
            assert not inn_is_valid(row["inn"])
        elif reason == "missing_inn":
            assert row["inn"] is None
        elif reason == "bad_kpp":
            assert row["inn"]
            assert inn_is_valid(row["inn"])
            assert not kpp_is_valid(row["kpp"])
        elif reason == "fictitious_phone":
            assert not phone_is_real(row["phone"])
            assert row["email"] is None
        elif reason == "fictitious_email":
            assert not email_is_real(row["email"])
            assert row["phone"] is None
        elif reason == "missing_contacts":
            assert row["phone"] is None
            assert row["email"] is None
        elif reason == "unknown_product":
            assert row["product"] not in PRODUCTS
        elif reason == "bad_date":
            assert not event_ok(row["event_at"])
        else:
            pytest.fail(f"unexpected reason {reason}")


@pytest.mark.parametrize("source", ["call_base", "callback_order", "sc_created", "renewal_base"])
def test_good_rows_pass_every_check(source) -> None:
    frame = feed(source, 2000)
    good = frame.filter(pl.col("expected_reason").is_null())
    for row in good.iter_rows(named=True):
        assert row["product"] in PRODUCTS
        assert row["region"] in REGIONS
        assert event_ok(row["event_at"])
        assert row["phone"] is not None or row["email"] is not None
        assert row["phone"] is None or phone_is_real(row["phone"])
        assert row["email"] is None or email_is_real(row["email"])
        if row["inn"] is None:
            assert source_rules()[source].initiator is Initiator.CLIENT
            assert row["kpp"] is None
            assert row["phone"] is not None
            continue
        assert inn_is_valid(row["inn"])
        assert row["inn"][:2] == row["region"]
        if len(row["inn"]) == 12:
            assert row["kpp"] is None
            assert row["company_name"].startswith("ИП ")
        else:
            assert kpp_is_valid(row["kpp"])
            assert row["kpp"][:4] == row["inn"][:4]
            assert re.match(r"(ООО|АО|ПАО|ЗАО|Общество) ", row["company_name"])


def parse_instant(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def test_event_at_is_never_after_as_of(call_base, callback) -> None:
    for frame in (call_base, callback):
        instants = [t for v in frame["event_at"] if (t := parse_instant(v)) is not None]
        assert len(instants) == N - (frame["expected_reason"] == "bad_date").sum()
        assert all(t.utcoffset() == timedelta(hours=5) for t in instants)
        assert max(instants) <= AS_OF
        assert min(instants) >= AS_OF - timedelta(days=3)
        assert instants == sorted(instants)  # a feed lists its events in time order


def test_requested_duplicate_share_holds_and_duplicates_repeat_a_client(call_base) -> None:
    dups = call_base.filter(pl.col("duplicate_of").is_not_null())
    assert abs(dups.height - 0.05 * N) <= 0.005 * N
    originals = call_base.select(
        pl.col("external_id").alias("duplicate_of"),
        pl.col("inn", "kpp", "product", "phone", "email").name.suffix("_orig"),
        pl.col("expected_reason").alias("orig_reason"),
    )
    joined = dups.join(originals, on="duplicate_of", how="left")
    assert joined["orig_reason"].null_count() == dups.height  # an original is a good row
    assert joined["expected_reason"].null_count() == dups.height
    for column in ("inn", "kpp", "product", "email"):
        assert joined[column].equals(joined[f"{column}_orig"], null_equal=True, check_names=False)
    digits = pl.col("phone").str.replace_all(r"\D", "").str.tail(10)
    same_phone = joined.select(
        (digits == pl.col("phone_orig").str.replace_all(r"\D", "").str.tail(10)).all()
    ).item()
    assert same_phone in (True, None)
    order = {e: i for i, e in enumerate(call_base["external_id"])}
    assert all(order[o] < order[d] for o, d in joined.select("duplicate_of", "external_id").rows())
    assert (joined["phone"] != joined["phone_orig"]).sum() > 0  # written differently at times


def test_client_sources_carry_some_rows_without_inn(call_base, callback) -> None:
    no_inn = callback.filter(pl.col("inn").is_null() & pl.col("expected_reason").is_null())
    assert 0.06 * N < no_inn.height < 0.14 * N
    assert no_inn["phone"].null_count() == 0
    assert no_inn["email"].null_count() == no_inn.height
    principal = call_base.filter(pl.col("expected_reason") != "missing_inn")
    assert principal["inn"].null_count() == 0


def test_contacts_vary_realistically(call_base) -> None:
    good = call_base.filter(pl.col("expected_reason").is_null())
    phone_only = good.filter(pl.col("email").is_null()).height
    email_only = good.filter(pl.col("phone").is_null()).height
    assert phone_only > 0.2 * N
    assert email_only > 0.08 * N
    phones = good["phone"].drop_nulls()
    assert phones.str.starts_with("8 (").any()
    assert phones.str.starts_with("+7 ").any()
    assert phones.str.contains(r"^\d{11}$").any()
    assert good["email"].drop_nulls().str.ends_with("@mail.ru").any()
    entrepreneurs = good["company_name"].str.starts_with("ИП ").sum()
    assert entrepreneurs > 0.15 * good.height
    assert good["company_name"].str.contains("«").any()


def test_sc_created_rows_carry_type_and_temperature() -> None:
    frame = feed("sc_created", 1000)
    good = frame.filter(pl.col("expected_reason").is_null())
    assert set(good["lead_type"]) <= {"connection", "service", "activation"}
    assert set(good["temperature"]) == {"hot", "warm", "cold"}
    reasons = set(frame["expected_reason"].drop_nulls())
    assert {"bad_temperature", "bad_lead_type"} & reasons


def test_clients_supply_most_rows_when_given() -> None:
    rng = np.random.default_rng(1)
    inns = valid_inn10(200, rng, np.array(["66"]))
    clients = pl.DataFrame(
        {
            "inn": inns,
            "kpp": [i[:4] + "01001" for i in inns],
            "company_name": [f"ООО «Клиент {k}»" for k in range(200)],
            "region": ["66"] * 200,
        }
    )
    frame = feed("upsell_base", 1000, clients=clients, bad_share=0.0)
    assert frame["inn"].is_in(clients["inn"].implode()).all()
    frame = feed("demo_order", 1000, clients=clients)
    known = frame["inn"].is_in(clients["inn"].implode()).sum()
    assert 0.6 * frame.height < known < 0.85 * frame.height


def test_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="unknown source"):
        synthetic_feed("nope", 1, as_of=AS_OF, products=PRODUCTS, regions=REGIONS)
    with pytest.raises(ValueError, match="UTC offset"):
        synthetic_feed("call_base", 1, as_of=datetime(2026, 3, 6), products=PRODUCTS, regions=REGIONS)
    with pytest.raises(ValueError, match="two-digit"):
        synthetic_feed("call_base", 1, as_of=AS_OF, products=PRODUCTS, regions=["660"])


# ---------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small() -> pl.DataFrame:
    return synthetic_feed("sc_created", 300, as_of=AS_OF, products=PRODUCTS, regions=REGIONS, seed=2)


def test_csv_cp1251_semicolon_russian_headers_round_trip(small, tmp_path: Path) -> None:
    path = write_feed(small, tmp_path / "feed.csv", russian_headers=True, encoding="cp1251", delimiter=";")
    raw = path.read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("cp1251")
    assert text.splitlines()[0].startswith("ИНН;КПП;Наименование;Регион;Продукт;Телефон;Email;")
    back = pl.read_csv(io.StringIO(text), separator=";", infer_schema=False)
    assert back.columns[-2:] == ["event_at", "external_id"]
    assert back.columns[7:10] == ["Контактное лицо", "Тип", "Температура"]
    assert back.rename(dict(zip(back.columns, small.columns, strict=True))).equals(small)


def test_csv_utf8_with_and_without_bom(small, tmp_path: Path) -> None:
    plain = write_feed(small, tmp_path / "plain.csv")
    assert pl.read_csv(plain, infer_schema=False).equals(small)
    bom = write_feed(small, tmp_path / "bom.csv", encoding="utf-8-sig")
    assert bom.read_bytes().startswith(b"\xef\xbb\xbf")
    text = bom.read_text(encoding="utf-8-sig")
    assert pl.read_csv(io.StringIO(text), infer_schema=False).equals(small)


def test_xlsx_parquet_jsonl_round_trip(small, tmp_path: Path) -> None:
    xlsx = write_feed(small, tmp_path / "feed.xlsx")
    assert pl.read_excel(xlsx, sheet_id=1, infer_schema_length=0).equals(small)
    parquet = write_feed(small, tmp_path / "feed.parquet")
    assert pl.read_parquet(parquet).equals(small)
    jsonl = write_feed(small, tmp_path / "feed.jsonl", russian_headers=True)
    lines = jsonl.read_text(encoding="utf-8").splitlines()
    assert len(lines) == small.height
    assert "ИНН" in json.loads(lines[0])
    back = pl.read_ndjson(jsonl, schema=dict.fromkeys(json.loads(lines[0]), pl.String))
    assert back.rename(dict(zip(back.columns, small.columns, strict=True))).equals(small)


def test_writer_refuses_what_it_cannot_write(small, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"write \.csv, \.xlsx"):
        write_feed(small, tmp_path / "feed.txt")
    with pytest.raises(ValueError, match="CSV encoding one of"):
        write_feed(small, tmp_path / "feed.csv", encoding="latin-1")
    with pytest.raises(ValueError, match=r"apply to \.csv files only"):
        write_feed(small, tmp_path / "feed.parquet", delimiter=";")
