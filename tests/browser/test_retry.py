"""A failed CAM job is run again from the page's Retry button, as a new attempt of the same request."""
from __future__ import annotations

import boto3
import pytest

from chalicelib.contracts.jobs import job_key
from tests.browser.helpers import (JOB_TIMEOUT_MS, LUTHIER, UUID, api_get, check_feasibility, create, fill_design,
                                   start, switch_user)
from tests.stackproc import Stack

pytestmark = pytest.mark.browser


def _aws(stack: Stack, service: str):
    return boto3.client(service, endpoint_url=stack.aws, region_name="us-east-1",
                        aws_access_key_id="local", aws_secret_access_key="local")


def test_a_failed_job_is_retried_from_the_page(page, stack: Stack) -> None:
    start(page, stack)
    fill_design(page, **LUTHIER)
    create(page)
    check_feasibility(page)
    page.get_by_role("button", name="Submit for review").click()
    page.wait_for_selector("#session-state.state-in_review")
    switch_user(page, stack, "reviewer")
    page.get_by_role("button", name="Approve").click()
    page.wait_for_selector("#session-state.state-approved")
    switch_user(page, stack, "operator")
    page.get_by_role("button", name="Promote to CAM").click()
    page.wait_for_selector("#job-state:not([hidden])")
    job_id = UUID.search(page.locator("#job-info").inner_text()).group(0)
    page.wait_for_selector("#job-state.job-completed, #job-state.job-failed", timeout=JOB_TIMEOUT_MS)
    assert page.locator("#job-retry").is_hidden()

    # The job ends failed the way a run of transient AWS errors leaves it.
    pk, sk = job_key(job_id)
    _aws(stack, "dynamodb").update_item(
        TableName=stack.env["TABLE_NAME"], Key={"pk": {"S": pk}, "sk": {"S": sk}},
        UpdateExpression="SET #s = :f, reason = :r, gsi1pk = :p",
        ExpressionAttributeNames={"#s": "status"},
        ExpressionAttributeValues={":f": {"S": "failed"}, ":p": {"S": "JOBS#failed"},
                                   ":r": {"S": "the CAM worker was started 5 times and never finished"}})
    page.reload()
    # A reload signs in again from the kept refresh token, then reloads the session and its job.
    page.wait_for_selector("body[data-user='operator']", timeout=JOB_TIMEOUT_MS)
    page.wait_for_selector("#job-state.job-failed", timeout=JOB_TIMEOUT_MS)
    assert "never finished" in page.locator("#job-info").inner_text()

    page.get_by_role("button", name="Retry").click()
    page.wait_for_selector("#job-state.job-completed", timeout=JOB_TIMEOUT_MS)
    assert page.locator("#job-retry").is_hidden()
    request = api_get(stack, f"/art/design-first-workflow/cam-promotion/requests/{job_id}")
    assert request["status"] == "completed"
    assert [a["attempt"] for a in request["attempts"]] == [1]
