"""Reading and checking a reference data directory (`pp init --reference DIR`): the files' I/O."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import TextIO

import polars as pl
from pydantic import BaseModel, ValidationError

from schemas.errors import PipelineError
from schemas.reference import REFERENCE_FILES, ServiceCentre
from tasks.codes import code_lookup, product_lookup, resolve_codes


def _rows(path: Path, model: type[BaseModel]) -> list[BaseModel]:
    """The file's rows as models; the first bad one fails the load, named by the line a text
    editor shows it on (the header is line 1; a quoted cell may span lines)."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            return _parse(path.name, fh, model)
    except UnicodeDecodeError as exc:
        raise PipelineError(f"{path.name} is not UTF-8 text; save it as CSV UTF-8") from exc
    except csv.Error as exc:
        raise PipelineError(f"{path.name}: not a readable CSV file ({exc})") from exc


def _parse(file_name: str, text: TextIO, model: type[BaseModel]) -> list[BaseModel]:
    reader = csv.reader(text)
    headers = next(reader, [])
    missing = set(model.model_fields) - set(headers)
    if missing:
        raise PipelineError(
            f"{file_name}: missing column(s) {', '.join(sorted(missing))}; "
            f"expected {', '.join(model.model_fields)}"
        )
    rows = []
    last_line = reader.line_num
    for cells in reader:
        line, last_line = last_line + 1, reader.line_num
        if not cells:  # a blank line
            continue
        if len(cells) != len(headers):
            raise PipelineError(
                f"{file_name} line {line}: {len(cells)} cells, the header has {len(headers)}; "
                "put a cell holding a comma in double quotes"
            )
        try:
            rows.append(model.model_validate(dict(zip(headers, cells, strict=True))))
        except ValidationError as exc:
            problem = exc.errors()[0]
            field = ".".join(str(part) for part in problem["loc"])
            message = problem["msg"].removeprefix("Value error, ")
            raise PipelineError(f"{file_name} line {line}, column {field}: {message}") from exc
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
                raise PipelineError(f"{directory}: {file_name} is missing; see docs/contract.md")
            continue
        rows = _rows(path, model)
        if not rows and required:
            raise PipelineError(f"{path}: no rows")
        tables[file_name.removesuffix(".csv")] = pl.DataFrame(
            [row.model_dump() for row in rows], schema=_schema(model)
        )
    return _cross_check(tables)


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


def _cross_check(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Keys unique ignoring case, product names naming one product, and every SC and product
    a row refers to known; references are rewritten to the code as its own file spells it."""
    for table, key in (("service_centers", "sc_id"), ("products", "product"), ("managers", "manager_id")):
        duplicated = tables[table].filter(pl.col(key).str.to_lowercase().is_duplicated())[key].sort()
        if duplicated.len():
            raise PipelineError(
                f"{table}.csv: duplicate {key} {duplicated[0]!r} (codes are compared ignoring case)"
            )
    products = tables["products"]
    names = (
        products.select(alias=pl.col("name").str.to_lowercase(), named="product")
        .join(
            products.select(alias=pl.col("product").str.to_lowercase(), other="product").vstack(
                products.select(alias=pl.col("name").str.to_lowercase(), other="product")
            ),
            on="alias",
        )
        .filter(pl.col("named") != pl.col("other"))
    )
    if names.height:
        clash = names.sort("named").row(0, named=True)
        raise PipelineError(
            f"products.csv: the name of product {clash['named']!r} also names {clash['other']!r}; "
            "a feed could mean either, give each product its own name"
        )
    centres_lookup = code_lookup(tables["service_centers"]["sc_id"])
    products_lookup = product_lookup(products)
    managers = tables["managers"].with_columns(code=resolve_codes(pl.col("sc_id"), centres_lookup))
    unknown_sc = managers.filter(pl.col("code").is_null())["sc_id"].sort()
    if unknown_sc.len():
        raise PipelineError(f"managers.csv: sc_id {unknown_sc[0]!r} is not in service_centers.csv")
    sold = (
        tables["service_centers"]
        .select("sc_id", pl.col("products").alias("given"))
        .explode("given")
        .with_columns(code=resolve_codes(pl.col("given"), products_lookup))
    )
    unknown_products = sold.filter(pl.col("code").is_null())["given"].sort()
    if unknown_products.len():
        raise PipelineError(f"service_centers.csv: product {unknown_products[0]!r} is not in products.csv")
    centres = (
        tables["service_centers"]
        .drop("products")
        .join(
            sold.group_by("sc_id", maintain_order=True).agg(products=pl.col("code")), on="sc_id", how="left"
        )
    )
    return {
        **tables,
        "service_centers": centres.select(tables["service_centers"].columns),
        "managers": managers.with_columns(sc_id="code").drop("code"),
    }
