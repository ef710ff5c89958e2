"""Reading and checking a reference data directory (`pp init --reference DIR`)."""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl
from pydantic import BaseModel, ValidationError

from schemas.errors import PipelineError
from schemas.reference import REFERENCE_FILES, ServiceCentre


def _rows(path: Path, model: type[BaseModel]) -> list[BaseModel]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        missing = set(model.model_fields) - set(reader.fieldnames or ())
        if missing:
            raise PipelineError(
                f"{path.name}: missing column(s) {', '.join(sorted(missing))}; "
                f"expected {', '.join(model.model_fields)}"
            )
        rows = []
        for line, record in enumerate(reader, start=2):
            try:
                rows.append(model.model_validate(record))
            except ValidationError as exc:
                problem = exc.errors()[0]
                field = ".".join(str(part) for part in problem["loc"])
                raise PipelineError(f"{path.name} line {line}: {field}: {problem['msg']}") from exc
    return rows


def read_reference(directory: Path) -> dict[str, pl.DataFrame]:
    """Every reference file of the directory as a frame keyed by table name; cross-checked."""
    if not directory.is_dir():
        raise PipelineError(f"reference directory {directory} does not exist")
    tables: dict[str, pl.DataFrame] = {}
    for file_name, (model, required) in REFERENCE_FILES.items():
        path = directory / file_name
        if not path.is_file():
            if required:
                raise PipelineError(f"{directory}: {file_name} is missing; see CONTRACT.md")
            continue
        rows = _rows(path, model)
        if not rows and required:
            raise PipelineError(f"{path}: no rows")
        tables[file_name.removesuffix(".csv")] = pl.DataFrame(
            [row.model_dump() for row in rows], schema=_schema(model)
        )
    _cross_check(tables)
    return tables


def _schema(model: type[BaseModel]) -> dict[str, pl.DataType]:
    lists = {"regions", "products"} if model is ServiceCentre else set()
    types: dict[str, pl.DataType] = {}
    for name in model.model_fields:
        if name in lists:
            types[name] = pl.List(pl.String)
        elif name == "capacity":
            types[name] = pl.Float64()
        elif name == "date":
            types[name] = pl.Date()
        else:
            types[name] = pl.String()
    return types


def _cross_check(tables: dict[str, pl.DataFrame]) -> None:
    centres, products = tables["service_centers"], tables["products"]
    for table, key in (("service_centers", "sc_id"), ("products", "product"), ("managers", "manager_id")):
        duplicated = tables[table].filter(pl.col(key).is_duplicated())[key].unique().to_list()
        if duplicated:
            raise PipelineError(f"{table}.csv: duplicate {key} {duplicated[0]!r}")
    unknown_sc = set(tables["managers"]["sc_id"]) - set(centres["sc_id"])
    if unknown_sc:
        raise PipelineError(f"managers.csv: sc_id {sorted(unknown_sc)[0]!r} is not in service_centers.csv")
    sold = set(centres["products"].explode().drop_nulls())
    unknown_products = sold - set(products["product"])
    if unknown_products:
        raise PipelineError(
            f"service_centers.csv: product {sorted(unknown_products)[0]!r} is not in products.csv"
        )
