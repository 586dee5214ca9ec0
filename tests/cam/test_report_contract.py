"""report.json against its contract: what plan_intent writes is a ReportV1 and reads back unchanged."""
from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from chalicelib.contracts.report import ReportV1
from chalicelib.rmos.cam.pipeline import plan_intent
from tests.cam import intents
from tests.cam.truth import run_rs274


@pytest.mark.parametrize("make", [intents.rosette, intents.saw, intents.profile_with_tabs, intents.peck_drill])
def test_the_written_report_is_a_report_v1_and_round_trips(make, tmp_path):
    result = plan_intent(make(), post="grbl")
    run_rs274(result.program, tmp_path)
    written = json.loads(json.dumps(result.report))
    model = ReportV1.model_validate(written)
    assert model.as_json() == written
    assert list(model.as_json()) == list(result.report)
    assert model.totals.moves == sum(op.moves for op in model.operations)
    assert ("cut_list" in written) == (make is intents.saw)
    assert all(c.status == "pass" for c in model.checks)


def test_the_contract_refuses_an_unknown_field_and_a_bad_check_status(tmp_path):
    result = plan_intent(intents.rosette(), post="grbl")
    run_rs274(result.program, tmp_path)
    extra = dict(result.report, surprise=1)
    with pytest.raises(ValidationError):
        ReportV1.model_validate(extra)
    bad = json.loads(json.dumps(result.report))
    bad["checks"][0]["status"] = "maybe"
    with pytest.raises(ValidationError):
        ReportV1.model_validate(bad)
