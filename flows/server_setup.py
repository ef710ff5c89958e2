"""What a Prefect server needs before the deployments of `prefect.yaml` can run unattended:
the process work pool, the `warehouse-write` limit that keeps writers one at a time, and an
alert that posts to a webhook when any run of the pipeline fails, crashes or times out.

`prefect.yaml` can declare deployments but not a global concurrency limit nor an automation
watching them all, so `pp server setup` makes them; it is safe to run again (it updates the
webhook and the alert in place)."""

from __future__ import annotations

import os
from typing import Any, cast
from uuid import UUID

from schemas.errors import PipelineError
from warehouse.store import WRITE_SLOT

WORK_POOL = "potential-sales"
DEPLOYMENT_TAG = "potential-sales"  # every deployment of prefect.yaml carries it
WEBHOOK_BLOCK = "potential-sales-alerts"
AUTOMATION = "potential-sales run failed"
FAILED_STATES = ("Failed", "Crashed", "TimedOut")
ALERT_SUBJECT = "Potential Sales: {{ flow.name }} run {{ flow_run.name }} is {{ flow_run.state.name }}"
ALERT_BODY = (
    "Deployment {{ deployment.name }}, flow run {{ flow_run.name }} ({{ flow_run.id }}) "
    "ended {{ flow_run.state.name }}: {{ flow_run.state.message }}"
)


def set_up_server(webhook: str | None = None) -> dict[str, Any]:
    """Create what is missing on the server `PREFECT_API_URL` names; returns what it holds."""
    from prefect.client.orchestration import get_client

    server = os.environ.get("PREFECT_API_URL")
    if not server:
        raise PipelineError(
            "PREFECT_API_URL is not set; point it at the server's API, e.g. http://127.0.0.1:4200/api"
        )
    with get_client(sync_client=True) as client:
        unhealthy = client.api_healthcheck()
        if unhealthy is not None:
            raise PipelineError(
                f"the Prefect server {server} does not answer ({unhealthy}); start it and run this again"
            )
        created_pool = _ensure_work_pool(client)
        client.upsert_global_concurrency_limit_by_name(WRITE_SLOT, 1)
        alert = _ensure_alert(client, webhook) if webhook else None
    return {
        "work_pool": WORK_POOL,
        "work_pool_created": created_pool,
        "write_limit": WRITE_SLOT,
        "alert": alert,
    }


def _ensure_work_pool(client: Any) -> bool:
    from prefect.client.schemas.actions import WorkPoolCreate
    from prefect.exceptions import ObjectNotFound
    from prefect.workers.process import ProcessWorker

    try:
        client.read_work_pool(WORK_POOL)
        return False
    except ObjectNotFound:
        template = ProcessWorker.get_default_base_job_template()
        client.create_work_pool(WorkPoolCreate(name=WORK_POOL, type="process", base_job_template=template))
        return True


def _ensure_alert(client: Any, webhook: str) -> str:
    """The webhook block and the automation posting to it, replaced if they exist."""
    from prefect.automations import AutomationCore
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import EventTrigger, Posture

    block = CustomWebhookNotificationBlock(
        name=WEBHOOK_BLOCK,
        url=webhook,
        method="POST",
        json_data={"subject": "{{subject}}", "body": "{{body}}"},
        headers=None,
        cookies=None,
    )
    block_id = cast(UUID, block.save(WEBHOOK_BLOCK, overwrite=True))  # sync here: the id itself
    automation = AutomationCore(
        name=AUTOMATION,
        description="Posts to the webhook when a Potential Sales run fails, crashes or times out.",
        trigger=EventTrigger(
            expect={f"prefect.flow-run.{state}" for state in FAILED_STATES},
            match_related={
                "prefect.resource.role": "tag",
                "prefect.resource.id": f"prefect.tag.{DEPLOYMENT_TAG}",
            },
            posture=Posture.Reactive,
            threshold=1,
        ),
        actions=[SendNotification(block_document_id=block_id, subject=ALERT_SUBJECT, body=ALERT_BODY)],
    )
    existing = client.read_automations_by_name(AUTOMATION)
    if existing:
        client.update_automation(existing[0].id, automation)
        for duplicate in existing[1:]:
            client.delete_automation(duplicate.id)
    else:
        client.create_automation(automation)
    return AUTOMATION
