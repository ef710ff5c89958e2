"""Synthetic feeds: realistic, reproducible and deliberately dirty, for the demo, tests and benchmarks.

Everything is built column-wise (numpy draws, polars string assembly) so that millions of rows
generate in seconds: there is no per-row Python code anywhere in this module.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path

import numpy as np
import numpy.typing as npt
import polars as pl

from schemas.enums import Initiator, LeadType, ReasonCode, Temperature
from schemas.feed import FEED_COLUMNS
from schemas.rules import SourceRule, source_rules
from tasks.fields import INN10_WEIGHTS, INN12_WEIGHTS_11, INN12_WEIGHTS_12

Ints = npt.NDArray[np.int64]

LABEL_COLUMNS: tuple[str, ...] = ("expected_reason", "duplicate_of")
RUSSIAN_HEADERS: dict[str, str] = {
    "inn": "ИНН",
    "kpp": "КПП",
    "company_name": "Наименование",
    "region": "Регион",
    "product": "Продукт",
    "phone": "Телефон",
    "email": "Email",
    "contact_name": "Контактное лицо",
    "lead_type": "Тип",
    "temperature": "Температура",
}
CSV_ENCODINGS: tuple[str, ...] = ("utf-8", "utf-8-sig", "cp1251")
CSV_CHUNK_ROWS = 200_000
XLSX_MAX_ROWS = 1_048_576  # header included
EVENT_WINDOW_SECONDS = 3 * 24 * 3600


# ---------------------------------------------------------------------------------------------
# Vocabularies. Surnames are in the masculine form ending in -ов/-ев/-ин, so the feminine form
# is the same word plus "а" (and "a" in Latin letters, for e-mail addresses).
SURNAMES: tuple[tuple[str, str], ...] = (
    ("Иванов", "ivanov"),
    ("Смирнов", "smirnov"),
    ("Кузнецов", "kuznetsov"),
    ("Попов", "popov"),
    ("Васильев", "vasiliev"),
    ("Петров", "petrov"),
    ("Соколов", "sokolov"),
    ("Михайлов", "mikhailov"),
    ("Новиков", "novikov"),
    ("Фёдоров", "fedorov"),
    ("Морозов", "morozov"),
    ("Волков", "volkov"),
    ("Алексеев", "alekseev"),
    ("Лебедев", "lebedev"),
    ("Семёнов", "semenov"),
    ("Егоров", "egorov"),
    ("Павлов", "pavlov"),
    ("Козлов", "kozlov"),
    ("Степанов", "stepanov"),
    ("Николаев", "nikolaev"),
    ("Орлов", "orlov"),
    ("Андреев", "andreev"),
    ("Макаров", "makarov"),
    ("Никитин", "nikitin"),
    ("Захаров", "zakharov"),
    ("Зайцев", "zaitsev"),
    ("Соловьёв", "soloviev"),
    ("Борисов", "borisov"),
    ("Яковлев", "yakovlev"),
    ("Григорьев", "grigoriev"),
    ("Романов", "romanov"),
    ("Воробьёв", "vorobiev"),
    ("Сергеев", "sergeev"),
    ("Кузьмин", "kuzmin"),
    ("Фролов", "frolov"),
    ("Александров", "aleksandrov"),
    ("Дмитриев", "dmitriev"),
    ("Королёв", "korolev"),
    ("Гусев", "gusev"),
    ("Киселёв", "kiselev"),
    ("Ильин", "ilyin"),
    ("Максимов", "maksimov"),
    ("Поляков", "polyakov"),
    ("Сорокин", "sorokin"),
    ("Виноградов", "vinogradov"),
    ("Ковалёв", "kovalev"),
    ("Белов", "belov"),
    ("Медведев", "medvedev"),
    ("Антонов", "antonov"),
    ("Тарасов", "tarasov"),
    ("Жуков", "zhukov"),
    ("Баранов", "baranov"),
    ("Филиппов", "filippov"),
    ("Комаров", "komarov"),
    ("Давыдов", "davydov"),
    ("Беляев", "belyaev"),
    ("Герасимов", "gerasimov"),
    ("Богданов", "bogdanov"),
    ("Осипов", "osipov"),
    ("Сидоров", "sidorov"),
    ("Матвеев", "matveev"),
    ("Титов", "titov"),
    ("Марков", "markov"),
    ("Миронов", "mironov"),
    ("Крылов", "krylov"),
    ("Куликов", "kulikov"),
    ("Карпов", "karpov"),
    ("Власов", "vlasov"),
    ("Мельников", "melnikov"),
    ("Денисов", "denisov"),
    ("Гаврилов", "gavrilov"),
    ("Тихонов", "tikhonov"),
    ("Казаков", "kazakov"),
    ("Афанасьев", "afanasiev"),
    ("Данилов", "danilov"),
    ("Савельев", "saveliev"),
    ("Тимофеев", "timofeev"),
    ("Фомин", "fomin"),
    ("Чернов", "chernov"),
    ("Абрамов", "abramov"),
    ("Мартынов", "martynov"),
    ("Ефимов", "efimov"),
    ("Щербаков", "shcherbakov"),
    ("Назаров", "nazarov"),
    ("Калинин", "kalinin"),
    ("Исаев", "isaev"),
    ("Быков", "bykov"),
    ("Маслов", "maslov"),
    ("Родионов", "rodionov"),
    ("Коновалов", "konovalov"),
    ("Лазарев", "lazarev"),
    ("Воронин", "voronin"),
    ("Климов", "klimov"),
    ("Филатов", "filatov"),
    ("Пономарёв", "ponomarev"),
    ("Голубев", "golubev"),
    ("Хабибуллин", "khabibullin"),
    ("Галиев", "galiev"),
    ("Сафин", "safin"),
    ("Ахметов", "akhmetov"),
    ("Гарипов", "garipov"),
    ("Шарипов", "sharipov"),
)
# first name, Latin, patronymic of his son, patronymic of his daughter
MALE_NAMES: tuple[tuple[str, str, str, str], ...] = (
    ("Александр", "aleksandr", "Александрович", "Александровна"),
    ("Сергей", "sergey", "Сергеевич", "Сергеевна"),
    ("Дмитрий", "dmitry", "Дмитриевич", "Дмитриевна"),
    ("Андрей", "andrey", "Андреевич", "Андреевна"),
    ("Алексей", "aleksey", "Алексеевич", "Алексеевна"),
    ("Максим", "maksim", "Максимович", "Максимовна"),
    ("Евгений", "evgeny", "Евгеньевич", "Евгеньевна"),
    ("Иван", "ivan", "Иванович", "Ивановна"),
    ("Михаил", "mikhail", "Михайлович", "Михайловна"),
    ("Владимир", "vladimir", "Владимирович", "Владимировна"),
    ("Николай", "nikolay", "Николаевич", "Николаевна"),
    ("Олег", "oleg", "Олегович", "Олеговна"),
    ("Павел", "pavel", "Павлович", "Павловна"),
    ("Юрий", "yury", "Юрьевич", "Юрьевна"),
    ("Виктор", "viktor", "Викторович", "Викторовна"),
    ("Игорь", "igor", "Игоревич", "Игоревна"),
    ("Роман", "roman", "Романович", "Романовна"),
    ("Денис", "denis", "Денисович", "Денисовна"),
    ("Антон", "anton", "Антонович", "Антоновна"),
    ("Артём", "artem", "Артёмович", "Артёмовна"),
    ("Вадим", "vadim", "Вадимович", "Вадимовна"),
    ("Константин", "konstantin", "Константинович", "Константиновна"),
    ("Василий", "vasily", "Васильевич", "Васильевна"),
    ("Пётр", "petr", "Петрович", "Петровна"),
    ("Анатолий", "anatoly", "Анатольевич", "Анатольевна"),
    ("Рустам", "rustam", "Рустамович", "Рустамовна"),
    ("Ильдар", "ildar", "Ильдарович", "Ильдаровна"),
)
FEMALE_NAMES: tuple[tuple[str, str], ...] = (
    ("Елена", "elena"),
    ("Ольга", "olga"),
    ("Наталья", "natalya"),
    ("Татьяна", "tatyana"),
    ("Ирина", "irina"),
    ("Светлана", "svetlana"),
    ("Анна", "anna"),
    ("Мария", "maria"),
    ("Екатерина", "ekaterina"),
    ("Юлия", "yulia"),
    ("Марина", "marina"),
    ("Галина", "galina"),
    ("Людмила", "lyudmila"),
    ("Надежда", "nadezhda"),
    ("Оксана", "oksana"),
    ("Анастасия", "anastasia"),
    ("Валентина", "valentina"),
    ("Алина", "alina"),
    ("Гульнара", "gulnara"),
    ("Дарья", "darya"),
)
# Company names are <first><second> ("Уралстрой") or <first>-<Second> ("Урал-Строй").
NAME_FIRST: tuple[tuple[str, str], ...] = (
    ("Урал", "ural"),
    ("Сиб", "sib"),
    ("Волга", "volga"),
    ("Кама", "kama"),
    ("Енисей", "enisey"),
    ("Байкал", "baikal"),
    ("Балт", "balt"),
    ("Дон", "don"),
    ("Север", "sever"),
    ("Восток", "vostok"),
    ("Амур", "amur"),
    ("Алтай", "altai"),
    ("Нева", "neva"),
    ("Вектор", "vektor"),
    ("Альфа", "alfa"),
    ("Гранит", "granit"),
    ("Меридиан", "meridian"),
    ("Прогресс", "progress"),
    ("Лидер", "lider"),
    ("Стандарт", "standart"),
    ("Техно", "tekhno"),
    ("Эко", "eko"),
    ("Агро", "agro"),
    ("Гео", "geo"),
    ("Мега", "mega"),
    ("Регион", "region"),
    ("Строй", "stroy"),
    ("Проф", "prof"),
    ("Инвест", "invest"),
    ("Феникс", "feniks"),
)
NAME_SECOND: tuple[tuple[str, str], ...] = (
    ("строй", "stroy"),
    ("торг", "torg"),
    ("сервис", "servis"),
    ("логистик", "logistik"),
    ("пром", "prom"),
    ("снаб", "snab"),
    ("инвест", "invest"),
    ("мед", "med"),
    ("тех", "tekh"),
    ("комплект", "komplekt"),
    ("маш", "mash"),
    ("энерго", "energo"),
    ("транс", "trans"),
    ("хлеб", "khleb"),
    ("лес", "les"),
    ("металл", "metall"),
    ("авто", "avto"),
    ("софт", "soft"),
    ("консалт", "konsalt"),
    ("монтаж", "montazh"),
    ("групп", "grupp"),
    ("маркет", "market"),
)
ORG_FORMS: tuple[tuple[str, float], ...] = (
    ("ООО", 0.86),
    ("АО", 0.08),
    ("ПАО", 0.01),
    ("ЗАО", 0.02),
    ("Общество с ограниченной ответственностью", 0.03),
)
QUOTES: tuple[tuple[str, str, float], ...] = (("«", "»", 0.8), ('"', '"', 0.2))
PERSONAL_DOMAINS: tuple[tuple[str, float], ...] = (
    ("mail.ru", 0.34),
    ("yandex.ru", 0.24),
    ("gmail.com", 0.1),
    ("bk.ru", 0.07),
    ("list.ru", 0.07),
    ("inbox.ru", 0.06),
    ("ya.ru", 0.06),
    ("rambler.ru", 0.06),
)
GENERIC_LOCALS: tuple[str, ...] = ("info", "office", "buh", "sales", "zakaz", "director")
# prefix, before area code, after area code, between groups 2-3, between groups 3-4
PHONE_FORMATS: tuple[tuple[str, str, str, str, str, float], ...] = (
    ("+7 ", "", " ", " ", " ", 0.2),  # +7 912 345 67 89
    ("8 ", "(", ") ", "-", "-", 0.25),  # 8 (912) 345-67-89
    ("8", "", "", "", "", 0.15),  # 89123456789
    ("+7", "", "", "", "", 0.15),  # +79123456789
    ("+7 ", "(", ") ", "-", "-", 0.15),  # +7 (912) 345-67-89
    ("8-", "", "-", "-", "-", 0.05),  # 8-912-345-67-89
    ("8 ", "", " ", "-", "-", 0.05),  # 8 912 345-67-89
)
# Area codes of the regional capitals, for landline numbers.
AREA_CODES: dict[int, int] = {
    2: 347,
    3: 3012,
    10: 8142,
    12: 8362,
    14: 4112,
    16: 843,
    18: 3412,
    19: 3902,
    21: 8352,
    22: 3852,
    23: 861,
    24: 391,
    25: 423,
    27: 4212,
    28: 4162,
    33: 4922,
    34: 8442,
    36: 473,
    38: 3952,
    39: 4012,
    40: 4842,
    42: 3842,
    45: 3522,
    47: 813,
    50: 496,
    52: 831,
    54: 383,
    55: 3812,
    56: 3532,
    61: 863,
    63: 846,
    66: 343,
    70: 3822,
    71: 4872,
    72: 3452,
    74: 351,
    77: 495,
    78: 812,
    86: 3467,
}
LANDLINE_SHARE = 0.2
IP_SHARE = 0.25
NO_INN_SHARE = 0.10  # client-initiated sources: a call-back form may carry just a phone
NAMELESS_SHARE = 0.6  # of the rows without INN, how many also lack a company name
DEFAULT_CLIENT_SHARE = 0.8
CONTACT_PATTERNS = (0.55, 0.30, 0.15)  # both, phone only, e-mail only
SC_TYPES_NEW = ((LeadType.CONNECTION, 0.6), (LeadType.SERVICE, 0.25), (LeadType.ACTIVATION, 0.15))
# Existing clients are usually not a new sale, so an SC does not ask for a connection for them.
SC_TYPES_KNOWN = ((LeadType.SERVICE, 0.6), (LeadType.ACTIVATION, 0.4))
SC_TEMPERATURES = ((Temperature.HOT, 0.3), (Temperature.WARM, 0.45), (Temperature.COLD, 0.25))

# Broken values: each one must send its row to quarantine with the paired reason code.
FICTITIOUS_PHONES: tuple[str, ...] = (
    "+7 999 999-99-99",
    "1234567890",
    "8 (000) 000-00-00",
    "+7 111 111 11 11",
    "+7 (123) 456-78-90",
    "9876543210",
    "8 912 345",
    "+7 912 345 67 89 12",
)
FICTITIOUS_EMAILS: tuple[str, ...] = (
    "test@example.com",
    "noemail@mail.ru",
    "no@yandex.ru",
    "test@test.ru",
    "info@example.com",
    "ivanov@test.ru",
    "ivanov.mail.ru",
    "petrov@@mail.ru",
    "sidorov@",
    "@mail.ru",
)
UNKNOWN_PRODUCTS: tuple[str, ...] = (
    "crm",
    "kontur-crm",
    "extern-old",
    "1c-buh",
    "bitrix24",
    "unknown",
    "kassa-2",
)
BAD_DATES: tuple[str, ...] = (
    "32.13.2026",
    "2026-02-30T10:00:00+03:00",
    "99/99/9999",
    "2026-13-01",
    "31.02.2026 25:61",
)
BAD_TEMPERATURES: tuple[str, ...] = ("lukewarm", "very hot", "5")
BAD_LEAD_TYPES: tuple[str, ...] = ("sale", "purchase", "new_client")
NEEDS_INN = frozenset({ReasonCode.BAD_INN, ReasonCode.BAD_KPP, ReasonCode.MISSING_INN})


# ---------------------------------------------------------------------------------------------
# INNs
def _check_digit(body: Ints, weights: Sequence[int]) -> Ints:
    """(sum of weight x digit mod 11) mod 10 over the digits of `body`, most significant first."""
    total = np.zeros(body.shape, dtype=np.int64)
    width = len(weights)
    for k, weight in enumerate(weights):
        total += weight * (body // 10 ** (width - 1 - k) % 10)
    return total % 11 % 10


def _distinct(n: int, rng: np.random.Generator, space: int) -> Ints:
    """n values in [0, space), pairwise distinct while n <= space: an affine permutation of a
    shuffled range, so uniqueness costs no set bookkeeping even at millions of rows."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    a = int(rng.integers(space // 3, space))
    while math.gcd(a, space) != 1:
        a += 1
    b = int(rng.integers(space))
    i = rng.permutation(n).astype(np.int64) % space
    return (a * i + b) % space


def _region_codes(regions: npt.ArrayLike, n: int) -> Ints:
    codes = np.atleast_1d(np.asarray(regions)).astype(np.int64)
    if codes.size not in (1, n):
        raise ValueError(f"regions: give one code or one per INN ({n}), not {codes.size}")
    if codes.size and ((codes < 1) | (codes > 99)).any():
        raise ValueError("regions: two-digit region codes 01-99 expected")
    return np.broadcast_to(codes, (n,)).astype(np.int64)


def _inn10_ints(rng: np.random.Generator, regions: Ints) -> Ints:
    # region (2) + tax office 01-99 (2) + serial (5) + check digit
    body = regions * 10**7 + 10**5 + _distinct(regions.size, rng, 99 * 10**5)
    return body * 10 + _check_digit(body, INN10_WEIGHTS)


def _inn12_ints(rng: np.random.Generator, regions: Ints) -> Ints:
    # region (2) + tax office 01-99 (2) + serial (6) + two check digits
    body = regions * 10**8 + 10**6 + _distinct(regions.size, rng, 99 * 10**6)
    body11 = body * 10 + _check_digit(body, INN12_WEIGHTS_11)
    return body11 * 10 + _check_digit(body11, INN12_WEIGHTS_12)


def _digit_strings(values: Ints, width: int) -> np.ndarray:
    """Zero-padded decimal strings through a byte view: no per-value formatting."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    digits = (values[:, None] // powers % 10 + ord("0")).astype(np.uint8)
    return np.ascontiguousarray(digits).view(f"S{width}").ravel().astype(f"U{width}")


def valid_inn10(n: int, rng: np.random.Generator, regions: np.ndarray) -> np.ndarray:
    """n distinct valid legal-entity INNs; `regions` gives each one's two-digit region code
    (one per INN, or a single code for all)."""
    return _digit_strings(_inn10_ints(rng, _region_codes(regions, n)), 10)


def valid_inn12(n: int, rng: np.random.Generator, regions: np.ndarray) -> np.ndarray:
    """n distinct valid individual-entrepreneur INNs; `regions` as for `valid_inn10`."""
    return _digit_strings(_inn12_ints(rng, _region_codes(regions, n)), 12)


# ---------------------------------------------------------------------------------------------
# Feeds
def _weights(values: Sequence[float]) -> npt.NDArray[np.float64]:
    raw = np.array(values, dtype=np.float64)
    return raw / raw.sum()


def _pick(rng: np.random.Generator, n: int, weights: npt.NDArray[np.float64]) -> Ints:
    return rng.choice(weights.size, size=n, p=weights).astype(np.int64)


def _table(values: Sequence[str | None]) -> pl.Expr:
    return pl.lit(pl.Series(values, dtype=pl.String))


def _at(values: Sequence[str | None], index: str) -> pl.Expr:
    """values[index] per row: a gather from a small literal vocabulary."""
    return _table(values).gather(pl.col(index))


def _normalise_clients(clients: pl.DataFrame) -> pl.DataFrame:
    missing = {"inn", "kpp", "company_name", "region"} - set(clients.columns)
    if missing:
        raise ValueError(f"clients: missing columns {sorted(missing)}")
    frame = clients.select(pl.col("inn", "kpp", "company_name", "region").cast(pl.String).str.strip_chars())
    if frame.get_column("inn").null_count():
        raise ValueError("clients: every client needs an INN")
    return frame.with_columns(pl.coalesce("region", pl.col("inn").str.head(2)))


def _offset_suffix(as_of: datetime) -> tuple[int, str]:
    offset = as_of.utcoffset()
    if offset is None:
        raise ValueError("as_of must carry a UTC offset, e.g. 2026-03-06T16:30:00+05:00")
    seconds = int(offset.total_seconds())
    if seconds % 60:
        raise ValueError("as_of: UTC offsets with seconds are not supported")
    sign = "-" if seconds < 0 else "+"
    hours, minutes = divmod(abs(seconds) // 60, 60)
    return seconds, f"{sign}{hours:02d}:{minutes:02d}"


def _defect_kinds(source: str) -> list[ReasonCode]:
    """The ways a row of this source can be broken; each is a reason the pipeline must give."""
    rule = source_rules()[source]
    kinds = [
        ReasonCode.BAD_INN,
        ReasonCode.BAD_KPP,
        ReasonCode.FICTITIOUS_PHONE,
        ReasonCode.FICTITIOUS_EMAIL,
        ReasonCode.MISSING_CONTACTS,
        ReasonCode.UNKNOWN_PRODUCT,
        ReasonCode.BAD_DATE,
    ]
    if rule.requires_inn:
        kinds.append(ReasonCode.MISSING_INN)
    if rule.temperature is None:
        kinds += [ReasonCode.BAD_TEMPERATURE, ReasonCode.BAD_LEAD_TYPE]
    return kinds


def _check_arguments(
    source: str,
    n: int,
    products: Sequence[str],
    regions: Sequence[str],
    seed: int,
    duplicate_share: float,
    bad_share: float,
    client_share: float | None,
) -> None:
    if source not in source_rules():
        raise ValueError(f"unknown source {source!r}; known: {', '.join(source_rules())}")
    if n < 0 or seed < 0:
        raise ValueError("n and seed must not be negative")
    if not products:
        raise ValueError("products: give at least one product code")
    if not regions or any(len(r) != 2 or not r.isdigit() or r == "00" for r in regions):
        raise ValueError("regions: give two-digit region codes such as '66' or '02'")
    shares = (duplicate_share, bad_share, 0.0 if client_share is None else client_share)
    if any(not 0.0 <= s <= 1.0 for s in shares) or duplicate_share + bad_share > 0.9:
        raise ValueError("shares must lie in [0, 1], duplicates and bad rows together <= 0.9")


def synthetic_feed(
    source: str,
    n: int,
    *,
    as_of: datetime,
    products: Sequence[str],
    regions: Sequence[str],
    seed: int = 0,
    duplicate_share: float = 0.05,
    bad_share: float = 0.03,
    clients: pl.DataFrame | None = None,
    client_share: float | None = None,
    labels: bool = False,
) -> pl.DataFrame:
    """A feed of `n` rows of `source` as String columns under the contract's names.

    `duplicate_share` of the rows repeat an earlier good row's client and product (new
    external id, contact written differently); `bad_share` are broken in one way each that
    the pipeline must quarantine. With `clients` (inn, kpp, company_name, region), about
    `client_share` of the rows (default 0.8, all of them for renewal and upsell bases) are
    those clients. `labels=True` adds `expected_reason` (the reason code a broken row must
    get) and `duplicate_of` (the external id a duplicate repeats), for tests and benchmarks.
    Deterministic in (source, seed, arguments).
    """
    _check_arguments(source, n, products, regions, seed, duplicate_share, bad_share, client_share)
    rule = source_rules()[source]
    utc_offset, offset_text = _offset_suffix(as_of)
    rng = np.random.default_rng([seed, zlib.crc32(source.encode())])
    kinds = _defect_kinds(source)
    known = _normalise_clients(clients) if clients is not None and clients.height else None
    if client_share is None:
        client_share = 1.0 if rule.base_lead_type is not None else DEFAULT_CLIENT_SHARE

    rows = _draw_rows(
        rng,
        n,
        rule=rule,
        kinds=kinds,
        products=products,
        regions=regions,
        known=known,
        client_share=client_share,
        bad_share=bad_share,
        duplicate_share=duplicate_share,
        event_times=_event_times(rng, n, as_of) + utc_offset,
    )
    plan = pl.DataFrame(rows)
    if known is not None:
        plan = plan.hstack(known[rows["client_i"]].select(pl.all().name.prefix("client_")).get_columns())
    else:
        plan = plan.with_columns(
            pl.lit(None, pl.String).alias(f"client_{c}") for c in ("inn", "kpp", "company_name", "region")
        )
    helpers = ("defect", "pick", "inn_bump", "dup_of")
    frame = (
        plan.lazy()
        .with_columns(_people())
        .with_columns(_identity(products, regions))
        .with_columns(_contacts(source, seed, offset_text, rule.temperature is None, known))
        .select(*FEED_COLUMNS, *helpers)
        .collect()
    )
    broken_rows = np.flatnonzero(rows["defect"] >= 0)
    if broken_rows.size:  # patch only the bad rows: cheaper than a branch over every row
        patch = frame[broken_rows].select(_defects(kinds, products))
        frame = frame.with_columns(
            frame.get_column(c).scatter(broken_rows, patch.get_column(c)) for c in patch.columns
        )
    labelled = frame.with_columns(
        expected_reason=_expected_reason(kinds), duplicate_of=_duplicate_of(source, seed)
    )
    return labelled.select(*FEED_COLUMNS, *(LABEL_COLUMNS if labels else ()))


def _draw_rows(
    rng: np.random.Generator,
    n: int,
    *,
    rule: SourceRule,
    kinds: Sequence[ReasonCode],
    products: Sequence[str],
    regions: Sequence[str],
    known: pl.DataFrame | None,
    client_share: float,
    bad_share: float,
    duplicate_share: float,
    event_times: Ints,
) -> dict[str, np.ndarray]:
    """Every random choice of the feed as numpy columns; strings are assembled afterwards."""
    # Roles: bad rows, duplicates and the earlier good rows they repeat.
    order = rng.permutation(n)
    n_bad = round(bad_share * n)
    n_dup = round(duplicate_share * n)
    bad_rows = order[:n_bad]
    dup_rows = np.sort(order[n_bad : n_bad + n_dup])
    originals = np.sort(order[n_bad + n_dup :])
    earlier = np.searchsorted(originals, dup_rows)  # how many originals precede each duplicate
    dup_rows, earlier = dup_rows[earlier > 0], earlier[earlier > 0]
    dup_src = originals[(rng.random(dup_rows.size) * earlier).astype(np.int64)]
    defect = np.full(n, -1, dtype=np.int64)
    defect[bad_rows] = rng.integers(len(kinds), size=n_bad)
    needs_inn = np.isin(defect, [kinds.index(k) for k in NEEDS_INN if k in kinds])
    needs_org = defect == kinds.index(ReasonCode.BAD_KPP)

    # What each row is; identity attributes first, so that duplicates can copy them.
    regions_int = np.array([int(r) for r in regions], dtype=np.int64)
    rows: dict[str, np.ndarray] = {}
    rows["region_i"] = rng.integers(len(regions), size=n)
    rows["product_i"] = _pick(rng, n, _weights([1.0 / (k + 1) ** 0.7 for k in range(len(products))]))
    no_inn_share = NO_INN_SHARE if rule.initiator is Initiator.CLIENT else 0.0
    rows["no_inn"] = (rng.random(n) < no_inn_share) & ~needs_inn
    rows["is_ip"] = (rng.random(n) < IP_SHARE) & ~needs_org
    rows["known"] = (
        (rng.random(n) < client_share) & ~rows["no_inn"] & ~needs_org
        if known is not None
        else np.zeros(n, dtype=np.bool_)
    )
    rows["client_i"] = rng.integers(known.height if known is not None else 1, size=n)
    inn = np.zeros(n, dtype=np.int64)
    ip = rows["is_ip"]
    inn[~ip] = _inn10_ints(rng, regions_int[rows["region_i"][~ip]])
    inn[ip] = _inn12_ints(rng, regions_int[rows["region_i"][ip]])
    rows["inn"] = inn
    rows["kpp_branch"] = rng.random(n) < 0.08  # reason code 43: a branch, not the head office
    rows["kpp_serial"] = np.where(rng.random(n) < 0.9, 1, rng.integers(2, 10, size=n))
    female = rng.random(n) < 0.45
    rows["surname_i"] = rng.integers(len(SURNAMES), size=n) + female * len(SURNAMES)
    rows["first_i"] = np.where(
        female,
        len(MALE_NAMES) + rng.integers(len(FEMALE_NAMES), size=n),
        rng.integers(len(MALE_NAMES), size=n),
    )
    rows["patronymic_i"] = rng.integers(len(MALE_NAMES), size=n) + female * len(MALE_NAMES)
    rows["name_first_i"] = rng.integers(len(NAME_FIRST), size=n)
    rows["hyphen"] = rng.random(n) < 0.2
    rows["name_second_i"] = rng.integers(len(NAME_SECOND), size=n)
    rows["form_i"] = _pick(rng, n, _weights([w for _, w in ORG_FORMS]))
    rows["quote_i"] = _pick(rng, n, _weights([q[2] for q in QUOTES]))
    rows["ip_full"] = rng.random(n) < 0.3
    rows["nameless"] = rows["no_inn"] & (rng.random(n) < NAMELESS_SHARE)
    pattern = _pick(rng, n, _weights(CONTACT_PATTERNS))
    rows["has_phone"] = (pattern != 2) | rows["no_inn"]
    rows["has_email"] = (pattern != 1) & ~rows["no_inn"]
    rows["phone"] = _phone_numbers(rng, regions_int[rows["region_i"]])
    company_domain = ~rows["is_ip"] & ~rows["known"] & (rng.random(n) < 0.35)
    rows["company_domain"] = company_domain
    rows["domain_i"] = _pick(rng, n, _weights([w for _, w in PERSONAL_DOMAINS]))
    rows["local_i"] = np.where(
        company_domain & (rng.random(n) < 0.5),
        5 + rng.integers(len(GENERIC_LOCALS), size=n),
        rng.integers(5, size=n),
    )
    year = rng.integers(1960, 2004, size=n)
    suffix = rng.random(n)
    rows["email_number"] = np.where(suffix < 0.2, year % 100, year)
    rows["email_number_width"] = np.where(
        rows["local_i"] >= 5, 0, np.where(suffix < 0.2, 2, np.where(suffix < 0.3, 4, 0))
    )
    for column in rows.values():  # a duplicate is its original's client, product and contacts
        column[dup_rows] = column[dup_src]

    # How each row is written: drawn afresh for duplicates too.
    rows["phone_format_i"] = _pick(rng, n, _weights([f[-1] for f in PHONE_FORMATS]))
    rows["contact_format"] = _pick(rng, n, _weights([0.45, 0.1, 0.1, 0.15, 0.12, 0.08]))
    rows["event_at"] = event_times
    if rule.temperature is None:
        sc_types = SC_TYPES_KNOWN if known is not None else SC_TYPES_NEW
        rows["lead_type_i"] = _pick(rng, n, _weights([w for _, w in sc_types]))
        rows["temperature_i"] = _pick(rng, n, _weights([w for _, w in SC_TEMPERATURES]))
    rows["defect"] = defect
    rows["pick"] = rng.integers(1 << 30, size=n)
    rows["inn_bump"] = rng.integers(1, 10, size=n)
    dup_of = np.full(n, -1, dtype=np.int64)
    dup_of[dup_rows] = dup_src
    rows["dup_of"] = dup_of

    return rows


def _phone_numbers(rng: np.random.Generator, region_codes: Ints) -> Ints:
    """Ten-digit national numbers: distinct mobiles (9xx), some city landlines by region."""
    n = region_codes.size
    area_of = np.zeros(100, dtype=np.int64)
    area_of[list(AREA_CODES)] = list(AREA_CODES.values())
    area = area_of[region_codes]
    landline = (area > 0) & (rng.random(n) < LANDLINE_SHARE)
    subscriber_digits = np.where(area >= 1000, 6, 7)
    low = 2 * 10 ** (subscriber_digits - 1)
    span = 10**subscriber_digits - low
    city = area * 10**subscriber_digits + low + (rng.random(n) * span).astype(np.int64)
    mobile = 9_010_000_000 + _distinct(n, rng, 980_000_000)  # 901...998: no 999 999-99-99
    return np.where(landline, city, mobile)


def _event_times(rng: np.random.Generator, n: int, as_of: datetime) -> Ints:
    """Epoch seconds within the 3 days up to `as_of`, ascending with the row number."""
    end = math.floor(as_of.timestamp())
    ago = np.sort(rng.integers(0, EVENT_WINDOW_SECONDS + 1, size=n))[::-1]
    return end - ago


def _people() -> list[pl.Expr]:
    surnames = [s for s, _ in SURNAMES] + [s + "а" for s, _ in SURNAMES]
    surnames_lat = [s for _, s in SURNAMES] + [s + "a" for _, s in SURNAMES]
    firsts = [m[0] for m in MALE_NAMES] + [f[0] for f in FEMALE_NAMES]
    firsts_lat = [m[1] for m in MALE_NAMES] + [f[1] for f in FEMALE_NAMES]
    patronymics = [m[2] for m in MALE_NAMES] + [m[3] for m in MALE_NAMES]
    return [
        _at(surnames, "surname_i").alias("surname"),
        _at(surnames_lat, "surname_i").alias("surname_lat"),
        _at(firsts, "first_i").alias("first"),
        _at(firsts_lat, "first_i").alias("first_lat"),
        _at(patronymics, "patronymic_i").alias("patronymic"),
        pl.col("phone").cast(pl.String).alias("phone_digits"),
    ]


def _identity(products: Sequence[str], regions: Sequence[str]) -> list[pl.Expr]:
    initials = pl.concat_str(
        pl.col("first").str.head(1), pl.lit("."), pl.col("patronymic").str.head(1), pl.lit(".")
    )
    seconds = [s for s, _ in NAME_SECOND] + [s.capitalize() for s, _ in NAME_SECOND]
    org_name = pl.concat_str(
        _at([f for f, _ in ORG_FORMS], "form_i"),
        pl.lit(" "),
        _at([q[0] for q in QUOTES], "quote_i"),
        _at([f for f, _ in NAME_FIRST], "name_first_i"),
        pl.when(pl.col("hyphen")).then(pl.lit("-")).otherwise(pl.lit("")),
        _table(seconds).gather(pl.col("name_second_i") + pl.col("hyphen") * len(NAME_SECOND)),
        _at([q[1] for q in QUOTES], "quote_i"),
    )
    full = pl.col("ip_full")
    ip_name = pl.concat_str(
        pl.lit("ИП"),
        pl.col("surname"),
        pl.when(full).then("first"),
        pl.when(full).then("patronymic"),
        pl.when(~full).then(initials),
        separator=" ",
        ignore_nulls=True,
    )
    fresh_inn = pl.col("inn").cast(pl.String).str.zfill(pl.when(pl.col("is_ip")).then(12).otherwise(10))
    fresh_kpp = pl.concat_str(
        fresh_inn.str.head(4),
        pl.when(pl.col("kpp_branch")).then(pl.lit("43")).otherwise(pl.lit("01")),
        pl.col("kpp_serial").cast(pl.String).str.zfill(3),
    )
    # contact_format: 0 "Фамилия Имя Отчество", 1 "Имя Отчество", 2 "Имя", 3 "Фамилия Имя",
    # 4 "Фамилия И.О.", 5 no name
    fmt = pl.col("contact_format")
    contact = pl.concat_str(
        pl.when(fmt.is_in([0, 3, 4])).then("surname"),
        pl.when(fmt <= 3).then("first"),
        pl.when(fmt <= 1).then("patronymic"),
        pl.when(fmt == 4).then(initials),
        separator=" ",
        ignore_nulls=True,
    )
    known = pl.col("known")
    return [
        pl.when(pl.col("no_inn")).then(None).when(known).then("client_inn").otherwise(fresh_inn).alias("inn"),
        pl.when(pl.col("no_inn"))
        .then(None)
        .when(known)
        .then("client_kpp")
        .when(pl.col("is_ip"))
        .then(None)
        .otherwise(fresh_kpp)
        .alias("kpp"),
        pl.when(pl.col("nameless"))
        .then(None)
        .when(known)
        .then("client_company_name")
        .when(pl.col("is_ip"))
        .then(ip_name)
        .otherwise(org_name)
        .alias("company_name"),
        pl.when(known).then("client_region").otherwise(_at(list(regions), "region_i")).alias("region"),
        _at(list(products), "product_i").alias("product"),
        pl.when(fmt < 5).then(contact).alias("contact_name"),
    ]


def _contacts(
    source: str, seed: int, offset_text: str, sc_created: bool, known: pl.DataFrame | None
) -> list[pl.Expr]:
    fmt = "phone_format_i"
    digits = pl.col("phone_digits")
    phone = pl.concat_str(
        _at([f[0] for f in PHONE_FORMATS], fmt),
        _at([f[1] for f in PHONE_FORMATS], fmt),
        digits.str.slice(0, 3),
        _at([f[2] for f in PHONE_FORMATS], fmt),
        digits.str.slice(3, 3),
        _at([f[3] for f in PHONE_FORMATS], fmt),
        digits.str.slice(6, 2),
        _at([f[4] for f in PHONE_FORMATS], fmt),
        digits.str.slice(8, 2),
    )
    # local_i: 0 ivanov, 1 s.ivanov, 2 ivanov.sergey, 3 sergey.ivanov, 4 sergey_ivanov,
    # 5+ a generic mailbox (info@, buh@, ...)
    surname, first, style = pl.col("surname_lat"), pl.col("first_lat"), pl.col("local_i")
    head = (
        pl.when(style == 1)
        .then(first.str.head(1))
        .when(style.is_in([3, 4]))
        .then(first)
        .when(style <= 2)
        .then(surname)
        .otherwise(_table(GENERIC_LOCALS).gather((style - 5).clip(0)))
    )
    joint = pl.when(style.is_in([1, 2, 3])).then(pl.lit(".")).when(style == 4).then(pl.lit("_"))
    tail = pl.when(style.is_in([1, 3, 4])).then(surname).when(style == 2).then(first)
    number = (
        pl.when(pl.col("email_number_width") == 0)
        .then(pl.lit(""))
        .otherwise(pl.col("email_number").cast(pl.String).str.zfill(pl.col("email_number_width")))
    )
    domain = (
        pl.when(pl.col("company_domain"))
        .then(
            pl.concat_str(
                _at([f for _, f in NAME_FIRST], "name_first_i"),
                pl.when(pl.col("hyphen")).then(pl.lit("-")).otherwise(pl.lit("")),
                _at([s for _, s in NAME_SECOND], "name_second_i"),
                pl.lit(".ru"),
            )
        )
        .otherwise(_at([d for d, _ in PERSONAL_DOMAINS], "domain_i"))
    )
    event_at = pl.from_epoch("event_at", time_unit="s").dt.strftime("%Y-%m-%dT%H:%M:%S" + offset_text)
    sc_types = SC_TYPES_KNOWN if known is not None else SC_TYPES_NEW
    return [
        pl.when(pl.col("has_phone")).then(phone).alias("phone"),
        pl.when(pl.col("has_email"))
        .then(pl.concat_str(head, joint, tail, number, pl.lit("@"), domain, ignore_nulls=True))
        .alias("email"),
        (_at([t.value for t, _ in sc_types], "lead_type_i") if sc_created else pl.lit(None, pl.String)).alias(
            "lead_type"
        ),
        (
            _at([t.value for t, _ in SC_TEMPERATURES], "temperature_i")
            if sc_created
            else pl.lit(None, pl.String)
        ).alias("temperature"),
        event_at.alias("event_at"),
        pl.concat_str(pl.lit(f"{source}-{seed}-"), (pl.int_range(pl.len()) + 1).cast(pl.String)).alias(
            "external_id"
        ),
    ]


def _defects(kinds: Sequence[ReasonCode], products: Sequence[str]) -> list[pl.Expr]:
    """Break each bad row in its one chosen way; everything else in the row stays good."""

    def broken(code: ReasonCode) -> pl.Expr:
        return pl.col("defect") == kinds.index(code) if code in kinds else pl.lit(False)

    def one_of(values: Sequence[str]) -> pl.Expr:
        return _table(values).gather(pl.col("pick") % len(values))

    inn, kpp = pl.col("inn"), pl.col("kpp")
    bad_inn = pl.concat_str(
        inn.str.head(-1),
        ((inn.str.tail(1).cast(pl.Int64) + pl.col("inn_bump")) % 10).cast(pl.String),
    )
    variant = pl.col("pick") % 3
    bad_kpp = (
        pl.when(variant == 0)
        .then(kpp.str.head(-2))  # 7 digits (8 are read as a lost leading zero)
        .when(variant == 1)
        .then(pl.concat_str(kpp, pl.lit("7")))  # 10 digits
        .otherwise(pl.concat_str(kpp.str.head(8), pl.lit("О")))  # Cyrillic O typed for a zero
    )
    unknown = [p for p in UNKNOWN_PRODUCTS if p not in set(products)] or ["-".join(products)]
    phone_gone = broken(ReasonCode.FICTITIOUS_EMAIL) | broken(ReasonCode.MISSING_CONTACTS)
    email_gone = broken(ReasonCode.FICTITIOUS_PHONE) | broken(ReasonCode.MISSING_CONTACTS)
    return [
        pl.when(broken(ReasonCode.BAD_INN))
        .then(bad_inn)
        .when(broken(ReasonCode.MISSING_INN))
        .then(None)
        .otherwise(inn)
        .alias("inn"),
        pl.when(broken(ReasonCode.BAD_KPP))
        .then(bad_kpp)
        .when(broken(ReasonCode.MISSING_INN))
        .then(None)
        .otherwise(kpp)
        .alias("kpp"),
        pl.when(broken(ReasonCode.FICTITIOUS_PHONE))
        .then(one_of(FICTITIOUS_PHONES))
        .when(phone_gone)
        .then(None)
        .otherwise("phone")
        .alias("phone"),
        pl.when(broken(ReasonCode.FICTITIOUS_EMAIL))
        .then(one_of(FICTITIOUS_EMAILS))
        .when(email_gone)
        .then(None)
        .otherwise("email")
        .alias("email"),
        pl.when(broken(ReasonCode.UNKNOWN_PRODUCT))
        .then(one_of(unknown))
        .otherwise("product")
        .alias("product"),
        pl.when(broken(ReasonCode.BAD_DATE)).then(one_of(BAD_DATES)).otherwise("event_at").alias("event_at"),
        pl.when(broken(ReasonCode.BAD_TEMPERATURE))
        .then(one_of(BAD_TEMPERATURES))
        .otherwise("temperature")
        .alias("temperature"),
        pl.when(broken(ReasonCode.BAD_LEAD_TYPE))
        .then(one_of(BAD_LEAD_TYPES))
        .otherwise("lead_type")
        .alias("lead_type"),
    ]


def _expected_reason(kinds: Sequence[ReasonCode]) -> pl.Expr:
    return pl.when(pl.col("defect") >= 0).then(
        _table([k.value for k in kinds]).gather(pl.col("defect").clip(0))
    )


def _duplicate_of(source: str, seed: int) -> pl.Expr:
    return pl.when(pl.col("dup_of") >= 0).then(
        pl.concat_str(pl.lit(f"{source}-{seed}-"), (pl.col("dup_of") + 1).cast(pl.String))
    )


# ---------------------------------------------------------------------------------------------
# Writers
def write_feed(
    frame: pl.DataFrame,
    path: Path,
    *,
    russian_headers: bool = False,
    encoding: str = "utf-8",
    delimiter: str = ",",
) -> Path:
    """Write a feed as the file type its extension names: .csv, .xlsx, .parquet or .jsonl.

    `encoding` ("utf-8", "utf-8-sig", "cp1251") and `delimiter` ("," or ";") apply to CSV;
    `russian_headers` writes the contract's Russian aliases (ИНН, КПП, ...) as headers.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx", ".parquet", ".jsonl"):
        raise ValueError(f"{path.name}: write .csv, .xlsx, .parquet or .jsonl")
    if encoding not in CSV_ENCODINGS or delimiter not in (",", ";"):
        raise ValueError(f"CSV encoding one of {CSV_ENCODINGS}, delimiter ',' or ';'")
    if suffix != ".csv" and (encoding, delimiter) != ("utf-8", ","):
        raise ValueError("encoding and delimiter apply to .csv files only")
    if russian_headers:
        frame = frame.rename(_present(RUSSIAN_HEADERS, frame.columns))
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".csv":
        _write_csv(frame, path, encoding=encoding, delimiter=delimiter)
    elif suffix == ".xlsx":
        if frame.height >= XLSX_MAX_ROWS:
            raise ValueError(f"{path.name}: a worksheet holds {XLSX_MAX_ROWS - 1} data rows at most")
        frame.write_excel(path, worksheet="Лиды", autofilter=False)
    elif suffix == ".parquet":
        frame.write_parquet(path)
    else:
        frame.write_ndjson(path)
    return path


def _present(mapping: Mapping[str, str], columns: Sequence[str]) -> dict[str, str]:
    return {k: v for k, v in mapping.items() if k in columns}


def _write_csv(frame: pl.DataFrame, path: Path, *, encoding: str, delimiter: str) -> None:
    if encoding != "cp1251":
        frame.write_csv(path, separator=delimiter, include_bom=encoding == "utf-8-sig")
        return
    # polars writes UTF-8 only: render slices of rows and re-encode each whole chunk.
    with path.open("wb") as fh:
        for offset in range(0, max(frame.height, 1), CSV_CHUNK_ROWS):
            text = frame.slice(offset, CSV_CHUNK_ROWS).write_csv(
                separator=delimiter, include_header=offset == 0
            )
            fh.write(text.encode("cp1251"))
