"""A session's history stays bounded in its item; older entries move to S3, none is lost."""
from __future__ import annotations

import json

from chalicelib import aws, config
from chalicelib.art_studio import sessions
from chalicelib.art_studio.store import SessionStore
from tests.art_studio_support import JSON, PREFIX, classical_design


def _transition(client, sid, state, note):
    response = client.http.post(f"{PREFIX}/sessions/{sid}/transition", headers=JSON,
                                body=json.dumps({"to_state": state, "note": note}))
    assert response.status_code == 200, response.body
    return json.loads(response.body)


def test_old_history_moves_to_s3_in_order_and_the_item_stays_small(client, monkeypatch):
    monkeypatch.setattr(sessions, "HISTORY_KEPT", 4)
    created = client.http.post(f"{PREFIX}/sessions", headers=JSON, body=json.dumps({"design": classical_design()}))
    sid = json.loads(created.body)["session_id"]
    notes = [f"note {i}" for i in range(11)]
    for i, note in enumerate(notes):
        last = _transition(client, sid, "in_review" if i % 2 == 0 else "draft", note)
    assert [e["note"] for e in last["history"]] == notes[-4:]
    s3 = aws.s3()
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=config.artifacts_bucket(),
                                                        Prefix=f"sessions/{sid}/history/")["Contents"])
    archived = [e for key in keys
                for e in json.loads(s3.get_object(Bucket=config.artifacts_bucket(), Key=key)["Body"].read())]
    assert [e["note"] for e in archived] == notes[:7]
    assert len(keys) == 7


def test_kept_history_is_bounded_in_bytes(client):
    created = client.http.post(f"{PREFIX}/sessions", headers=JSON, body=json.dumps({"design": classical_design()}))
    sid = json.loads(created.body)["session_id"]
    wide = "\u00e9" * 1000  # escaped in the stored JSON: 6 bytes a character
    for i in range(30):
        _transition(client, sid, "in_review" if i % 2 == 0 else "draft", wide)
    item = SessionStore().table.get(f"SESSION#{sid}", "META")
    assert len(str(item["doc"])) < sessions.HISTORY_KEPT_BYTES + 20_000
    session = sessions.get_session(sid)
    listed = aws.s3().list_objects_v2(Bucket=config.artifacts_bucket(), Prefix=f"sessions/{sid}/history/")
    archived = sum(len(json.loads(aws.s3().get_object(Bucket=config.artifacts_bucket(), Key=o["Key"])["Body"].read()))
                   for o in listed["Contents"])
    assert archived + len(session.history) == 30 and archived > 0
