"""Session state machine, history, optimistic versions and approval gating, over HTTP."""
from __future__ import annotations

import itertools
import json
import threading

import pytest

from chalicelib.art_studio import sessions
from chalicelib.art_studio.errors import StaleVersion
from chalicelib.art_studio.store import SessionStore
from chalicelib.contracts.rosette import RosetteDesignV1
from tests.art_studio_support import (JSON, PREFIX, classical_design, create, failing_design, move, post)

STATES = ["draft", "in_review", "approved", "rejected", "exported"]
ALLOWED = {("draft", "in_review"), ("in_review", "approved"), ("in_review", "rejected"),
           ("in_review", "draft"), ("rejected", "draft"), ("approved", "exported"),
           ("approved", "draft"), ("exported", "draft")}
# How to reach each state from a fresh draft (feasibility first, so approval is possible).
PATHS = {
    "draft": [],
    "in_review": ["in_review"],
    "approved": ["in_review", "approved"],
    "rejected": ["in_review", "rejected"],
    "exported": ["in_review", "approved", "exported"],
}


def _session_in(client, state: str) -> dict:
    session = create(client)
    sid = session["session_id"]
    assert post(client, f"/sessions/{sid}/feasibility").status_code == 200
    for step in PATHS[state]:
        resp = move(client, sid, step)
        assert resp.status_code == 200, resp.json_body
        session = resp.json_body
    assert session["state"] == state
    return client.http.get(f"{PREFIX}/sessions/{sid}").json_body


@pytest.mark.parametrize("from_state,to_state", list(itertools.product(STATES, STATES)))
def test_every_transition_pair(client, from_state, to_state):
    before = _session_in(client, from_state)
    sid = before["session_id"]
    resp = move(client, sid, to_state, note=f"{from_state} to {to_state}")
    # Signed per tests.signin: reviews by the reviewer, every other move by the owning designer.
    mover = "rita" if to_state in {"approved", "rejected"} else "dana"
    after = client.http.get(f"{PREFIX}/sessions/{sid}").json_body
    if (from_state, to_state) in ALLOWED:
        assert resp.status_code == 200, resp.json_body
        assert resp.json_body == after
        assert after["state"] == to_state
        assert after["version"] == before["version"] + 1
        assert len(after["history"]) == len(before["history"]) + 1
        entry = after["history"][-1]
        assert (entry["from_state"], entry["to_state"], entry["actor"], entry["actor_sub"], entry["note"]) == (
            from_state, to_state, mover, client.sub(mover), f"{from_state} to {to_state}")
        assert entry["at"] >= before["updated_at"]
    else:
        assert resp.status_code == 409
        assert resp.json_body["code"] == "invalid_transition"
        [issue] = resp.json_body["details"]
        assert (issue["code"], issue["path"]) == ("invalid_transition", "to_state")
        move_text, allowed = issue["message"].split(" is not allowed; allowed from ")
        assert move_text == f"{from_state} -> {to_state}"
        assert allowed.startswith(f"{from_state}: ")
        assert sorted(allowed.split(": ", 1)[1].split(", ")) == sorted(t for f, t in ALLOWED if f == from_state)
        assert after == before  # nothing written


def test_exactly_eight_moves_are_allowed():
    from chalicelib.art_studio.workflow import ALLOWED as CODE_ALLOWED

    assert {(f, t) for f, ts in CODE_ALLOWED.items() for t in ts} == ALLOWED


def test_history_records_every_step_in_order(client):
    session = _session_in(client, "exported")
    assert [(h["from_state"], h["to_state"]) for h in session["history"]] == [
        ("draft", "in_review"), ("in_review", "approved"), ("approved", "exported")]
    assert [(h["actor"], h["actor_sub"]) for h in session["history"]] == [
        (user, client.sub(user)) for user in ("dana", "rita", "dana")]
    stamps = [h["at"] for h in session["history"]]
    assert stamps == sorted(stamps)


def test_design_edits_only_in_draft(client):
    for state in ("in_review", "approved", "rejected", "exported"):
        session = _session_in(client, state)
        sid = session["session_id"]
        resp = client.http.put(f"{PREFIX}/sessions/{sid}/design", headers=JSON,
                               body=json.dumps({"design": classical_design(channel_depth_mm=1.5)}))
        assert resp.status_code == 409, state
        assert resp.json_body["code"] == "not_editable"
        [issue] = resp.json_body["details"]
        assert (issue["code"], issue["path"]) == ("not_editable", "state")
        assert issue["message"] == f"state is {state}; allowed in: draft"
        assert client.http.get(f"{PREFIX}/sessions/{sid}").json_body == session


def test_design_edit_clears_feasibility_and_recomputes_summary(client):
    session = create(client)
    sid = session["session_id"]
    post(client, f"/sessions/{sid}/feasibility")
    rings = [{"width_mm": 5.0, "pattern_type": "SOLID"}, {"width_mm": 5.0, "pattern_type": "SOLID"}]
    resp = client.http.put(f"{PREFIX}/sessions/{sid}/design", headers=JSON,
                           body=json.dumps({"design": classical_design(rings=rings), "version": 2}))
    assert resp.status_code == 200, resp.json_body
    edited = resp.json_body
    assert edited["feasibility"] is None
    assert edited["version"] == 3
    assert edited["design_fingerprint"] != session["design_fingerprint"]
    assert edited["design_summary"]["ring_count"] == 2
    assert edited["design_summary"]["min_ring_width_mm"] == 5.0
    assert edited["design_summary"]["complexity"]["score"] < session["design_summary"]["complexity"]["score"]


def test_stale_feasibility_blocks_approval(client):
    """Feasibility ran, then the design changed: the old result must not approve the new design."""
    session = create(client)
    sid = session["session_id"]
    assert post(client, f"/sessions/{sid}/feasibility").json_body["passed"] is True
    resp = client.http.put(f"{PREFIX}/sessions/{sid}/design", headers=JSON,
                           body=json.dumps({"design": classical_design(channel_depth_mm=1.7)}))
    assert resp.status_code == 200
    assert move(client, sid, "in_review").status_code == 200
    resp = move(client, sid, "approved")
    assert resp.status_code == 409
    assert resp.json_body["code"] == "feasibility_required"
    assert client.http.get(f"{PREFIX}/sessions/{sid}").json_body["state"] == "in_review"


def test_feasibility_for_another_design_is_stale(client):
    session = create(client)
    sid = session["session_id"]
    post(client, f"/sessions/{sid}/feasibility")
    move(client, sid, "in_review")
    # A result stored for a different design (e.g. written by an older release).
    store = SessionStore()
    current = store.get(sid)
    other = RosetteDesignV1.model_validate(classical_design(top_thickness_mm=3.2))
    from chalicelib.art_studio.feasibility import evaluate

    tampered = current.model_copy(update={"feasibility": evaluate(other), "version": current.version + 1})
    store.save(tampered, current.version)
    resp = move(client, sid, "approved")
    assert resp.status_code == 409
    assert resp.json_body["code"] == "feasibility_stale"
    [issue] = resp.json_body["details"]
    assert (issue["code"], issue["path"]) == ("feasibility_stale", "feasibility")
    assert issue["message"] == (f"design {session['design_fingerprint']}; feasibility computed for "
                                f"{RosetteDesignV1.model_validate(classical_design(top_thickness_mm=3.2)).fingerprint()}")


@pytest.mark.parametrize("with_feasibility", [False, True])
def test_approval_requires_passing_feasibility(client, with_feasibility):
    session = create(client, failing_design())
    sid = session["session_id"]
    if with_feasibility:
        result = post(client, f"/sessions/{sid}/feasibility").json_body
        assert result["passed"] is False and result["risk_level"] == "RED"
    assert move(client, sid, "in_review").status_code == 200
    resp = move(client, sid, "approved")
    assert resp.status_code == 409
    assert resp.json_body["code"] == ("feasibility_failed" if with_feasibility else "feasibility_required")
    # The reviewer can still send it back.
    assert move(client, sid, "rejected").json_body["state"] == "rejected"


def test_yellow_feasibility_can_be_approved(client):
    session = create(client, classical_design(channel_depth_mm=2.0))  # 1.0 mm left: warn
    sid = session["session_id"]
    result = post(client, f"/sessions/{sid}/feasibility").json_body
    assert result["passed"] is True and result["risk_level"] == "YELLOW"
    move(client, sid, "in_review")
    assert move(client, sid, "approved").status_code == 200


def test_feasibility_refused_for_a_rejected_design(client):
    session = _session_in(client, "rejected")
    resp = post(client, f"/sessions/{session['session_id']}/feasibility")
    assert resp.status_code == 409
    assert resp.json_body["code"] == "not_editable"


@pytest.mark.parametrize("state", ["approved", "exported"])
def test_an_approved_design_may_be_checked_for_another_profile(client, state):
    session = _session_in(client, state)
    sid = session["session_id"]
    resp = post(client, f"/sessions/{sid}/feasibility", {"cam_profile_id": "rosette-1-8-spruce-grbl"})
    assert resp.status_code == 200
    assert resp.json_body["cam_profile_id"] == "rosette-1-8-spruce-grbl"
    after = client.http.get(f"{PREFIX}/sessions/{sid}").json_body
    # Not an edit: the state and the design stay, the stored result is the new one.
    assert after["state"] == state and after["design"] == session["design"]
    assert after["feasibility"]["cam_profile_id"] == "rosette-1-8-spruce-grbl"


def test_feasibility_for_an_unknown_profile_names_the_field(client):
    sid = create(client)["session_id"]
    resp = post(client, f"/sessions/{sid}/feasibility", {"cam_profile_id": "laser-9000"})
    assert resp.status_code == 422
    assert resp.json_body["details"][0]["path"] == "cam_profile_id"
    assert client.http.get(f"{PREFIX}/sessions/{sid}").json_body["feasibility"] is None


def test_reopen_keeps_feasibility_for_unchanged_design(client):
    session = _session_in(client, "exported")
    sid = session["session_id"]
    reopened = move(client, sid, "draft", note="customer wants a wider band").json_body
    assert reopened["state"] == "draft"
    assert reopened["feasibility"] == session["feasibility"]
    move(client, sid, "in_review")
    assert move(client, sid, "approved").status_code == 200


def test_stale_version_is_refused_everywhere(client):
    session = create(client)
    sid = session["session_id"]
    edit = {"design": classical_design(channel_depth_mm=1.5), "version": 1}
    assert client.http.put(f"{PREFIX}/sessions/{sid}/design", headers=JSON, body=json.dumps(edit)).status_code == 200
    current = client.http.get(f"{PREFIX}/sessions/{sid}").json_body
    attempts = [
        client.http.put(f"{PREFIX}/sessions/{sid}/design", headers=JSON, body=json.dumps(edit)),
        post(client, f"/sessions/{sid}/feasibility", {"version": 1}),
        move(client, sid, "in_review", version=1),
        client.http.delete(f"{PREFIX}/sessions/{sid}?version=1"),
    ]
    for resp in attempts:
        assert resp.status_code == 409, resp.json_body
        assert resp.json_body["code"] == "stale_version"
        assert resp.json_body["details"] == [{"code": "stale_version", "path": "version",
                                              "message": "expected version 1, found 2"}]
    assert client.http.get(f"{PREFIX}/sessions/{sid}").json_body == current
    assert move(client, sid, "in_review", version=2).status_code == 200


def test_concurrent_edits_never_lose_an_update(client):
    sid = create(client)["session_id"]
    outcomes: list[str] = []
    barrier = threading.Barrier(8)

    def edit(depth: float) -> None:
        design = RosetteDesignV1.model_validate(classical_design(channel_depth_mm=depth))
        barrier.wait()
        try:
            sessions.update_design(sid, design, version=1)
            outcomes.append(f"ok {depth}")
        except StaleVersion as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=edit, args=(1.1 + i / 10,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [o for o in outcomes if o.startswith("ok")]
    assert len(winners) == 1
    assert sorted(set(outcomes) - set(winners)) == ["stale_version"]
    final = client.http.get(f"{PREFIX}/sessions/{sid}").json_body
    assert final["version"] == 2
    assert final["design"]["channel_depth_mm"] == float(winners[0].split()[1])
