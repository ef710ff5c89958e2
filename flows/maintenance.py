"""Upkeep of a lake warehouse (`maintain-lake`, on a schedule): the small files that single-lead
actions and sweeps leave merged, snapshots older than `PP_LAKE_KEEP_SNAPSHOTS_DAYS` expired
and the files only they used deleted. A DuckDB file has nothing of the kind to do."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from flows.engine import pipeline_flow
from flows.outcomes import publish_table
from flows.runtime import run_as_of, run_name
from schemas.settings import load_settings
from warehouse import lake, store
from warehouse.locator import LakeWarehouse

log = logging.getLogger(__name__)  # an extra logger of Prefect: it reaches the run's logs


@pipeline_flow(name="maintain-lake", flow_run_name=run_name("maintain lake"), timeout_seconds=3600)
def maintain_lake(as_of: datetime | None = None, warehouse: str | None = None) -> dict[str, Any]:
    """Merge the lake's small files, expire the snapshots taken before `as_of` less the days
    kept, delete the files those held alone; on a DuckDB file, nothing (`maintained` false)."""
    settings = load_settings(warehouse=warehouse)
    if not isinstance(settings.warehouse, LakeWarehouse):
        log.info("warehouse %s is a DuckDB file: nothing to maintain", settings.warehouse)
        return {"maintained": False, "warehouse": str(settings.warehouse)}
    kept_since = run_as_of(as_of) - timedelta(days=settings.lake_keep_snapshots_days)
    for attempt in store.write_attempts(settings.warehouse):
        with attempt as con:
            store.require_schema(con, settings.warehouse)
            merged = lake.merge_small_files(con)
            expired = lake.expire_snapshots(con, kept_since)
    for attempt in store.write_attempts(settings.warehouse):  # after the expiry has committed
        with attempt as con:
            deleted = lake.delete_expired_files(con, kept_since)
            first, last = lake.snapshot_range(con)
    merged = merged.filter(merged["files_processed"] > 0)
    files_merged = int(merged["files_processed"].sum())
    publish_table(
        "maintain-lake",
        merged,
        f"lake upkeep: {files_merged} small files merged, {expired} snapshots before "
        f"{kept_since.isoformat(timespec='minutes')} expired, {deleted} files deleted; "
        f"snapshots {first}-{last} kept",
    )
    return {
        "maintained": True,
        "warehouse": str(settings.warehouse),
        "files_merged": files_merged,
        "tables_merged": merged.height,
        "snapshots_expired": expired,
        "files_deleted": deleted,
        "kept_since": kept_since,
        "snapshots_kept": [first, last],
    }
