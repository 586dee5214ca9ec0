"""Session use cases: create, edit the design, evaluate feasibility, move state, export, delete.

Each write reads the session, applies the change in memory and stores it with
`version + 1` on the condition that the stored version is still the one read,
so a concurrent writer gets 409 `stale_version` instead of losing an update.
A caller that sends `version` asserts which version it edited.

`caller` is the verified principal of an HTTP request: each use case reads the
session, then asks the policy (`chalicelib.auth`) with the session's owner
before changing anything. Code inside the service (repairs, tests of the
domain alone) passes no caller and acts as the system.
"""
from __future__ import annotations

import json
import uuid

from chalicelib import auth, config
from chalicelib.art_studio import drawing, feasibility, promotion, workflow
from chalicelib.art_studio.errors import NotEditable, StaleVersion
from chalicelib.art_studio.store import HistoryEntry, Session, SessionStore, now_iso
from chalicelib.art_studio.summary import summarise
from chalicelib.contracts.rosette import FeasibilitySummaryV1, RosetteDesignV1
from chalicelib.storage import blobs

DEFAULT_ACTOR = "system"
# Sessions stored before owners were recorded: only roles acting on any session reach them.
NO_OWNER = "no-owner"
# The session item keeps only its latest history: at most this many entries
# and this many bytes of JSON, far below DynamoDB's 400 KB item limit even
# with the largest design. Older entries move to S3 under history_key().
HISTORY_KEPT = 50
HISTORY_KEPT_BYTES = 100_000


def _store(store: SessionStore | None) -> SessionStore:
    return store or SessionStore()


def _authorize(caller: auth.Principal | None, action: str, session: Session) -> None:
    if caller is not None:
        auth.authorize(caller, action, session.owner_sub or NO_OWNER)


def load(session_id: str, caller: auth.Principal | None, action: str,
         store: SessionStore | None = None) -> Session:
    """The session, if `caller` may take `action` on it (else 403 / 404 from the policy)."""
    session = _store(store).get(session_id)
    _authorize(caller, action, session)
    return session


def _check_version(session: Session, version: int | None) -> None:
    if version is not None and version != session.version:
        raise StaleVersion(version, session.version)


def _save(store: SessionStore, session: Session) -> Session:
    expected = session.version
    updated = session.model_copy(update={"version": expected + 1, "updated_at": now_iso()})
    store.save(updated, expected)
    return updated


def create_session(design: RosetteDesignV1, store: SessionStore | None = None, name: str | None = None,
                   caller: auth.Principal | None = None) -> Session:
    now = now_iso()
    session = Session(session_id=str(uuid.uuid4()), name=name, state="draft", version=1, design=design,
                      design_fingerprint=design.fingerprint(), design_summary=summarise(design),
                      feasibility=None, history=[], created_at=now, updated_at=now,
                      owner_sub=caller.sub if caller else None,
                      owner_username=caller.username if caller else None)
    _store(store).create(session)
    return session


def get_session(session_id: str, store: SessionStore | None = None,
                caller: auth.Principal | None = None) -> Session:
    return load(session_id, caller, "session.read", store)


def list_sessions(limit: int, cursor: str | None, store: SessionStore | None = None,
                  caller: auth.Principal | None = None) -> tuple[list[Session], str | None]:
    own_only = caller is not None and not auth.sees_all(caller, "session.list")
    return _store(store).list(limit, cursor, owner_sub=caller.sub if caller and own_only else None)


def delete_session(session_id: str, version: int | None = None, store: SessionStore | None = None,
                   caller: auth.Principal | None = None) -> None:
    store = _store(store)
    if caller is not None:
        load(session_id, caller, "session.delete", store)
    store.delete(session_id, version)


def update_design(session_id: str, design: RosetteDesignV1, version: int | None = None,
                  store: SessionStore | None = None, name: str | None = None,
                  caller: auth.Principal | None = None) -> Session:
    store = _store(store)
    session = load(session_id, caller, "session.edit", store)
    _check_version(session, version)
    workflow.require_editable(session.state)
    # The stored feasibility judged the old design; it no longer says anything.
    session = session.model_copy(update={"design": design, "design_fingerprint": design.fingerprint(),
                                         "design_summary": summarise(design), "feasibility": None,
                                         "name": name if name is not None else session.name})
    return _save(store, session)


def evaluate_feasibility(session_id: str, version: int | None = None, store: SessionStore | None = None,
                         cam_profile_id: str | None = None,
                         caller: auth.Principal | None = None) -> FeasibilitySummaryV1:
    """Judge the session's design for one CAM profile and keep the result.

    Draft and in-review designs may be checked for any profile. An approved or
    exported design may be checked again for another profile (the design is
    unchanged, so this is not an edit); a result that fails then blocks
    promotion until a passing profile is checked.
    """
    store = _store(store)
    session = load(session_id, caller, "session.check", store)
    _check_version(session, version)
    if session.state not in workflow.FEASIBILITY_STATES + workflow.PROMOTABLE_STATES:
        raise NotEditable(f"feasibility is evaluated in draft, in_review, approved or exported; "
                          f"this session is {session.state!r}", session.state,
                          workflow.FEASIBILITY_STATES + workflow.PROMOTABLE_STATES)
    result = feasibility.evaluate(session.design, cam_profile_id=cam_profile_id)
    _save(store, session.model_copy(update={"feasibility": result}))
    return result


def export_keys(session: Session) -> dict[str, str]:
    base = f"exports/{session.session_id}/{session.design_fingerprint}"
    return {"svg": f"{base}.svg", "dxf": f"{base}.dxf"}


def _write_drawings(session: Session) -> dict[str, str]:
    """Content-addressed by design, so a retried export rewrites nothing."""
    keys = export_keys(session)
    bucket = config.artifacts_bucket()
    if not blobs.exists(bucket, keys["svg"]):
        title = f"Rosette {session.design_fingerprint[:12]}"
        blobs.put_immutable(bucket, keys["svg"], drawing.render_svg(session.design, title), "image/svg+xml")
    if not blobs.exists(bucket, keys["dxf"]):
        blobs.put_immutable(bucket, keys["dxf"], drawing.render_dxf(session.design), "application/dxf")
    return keys


def transition(session_id: str, to_state: str, caller: auth.Principal | None = None, note: str | None = None,
               version: int | None = None, store: SessionStore | None = None) -> Session:
    store = _store(store)
    session = store.get(session_id)
    action = auth.transition_action(session.state, to_state)
    # A move the workflow lacks is still refused by workflow; until then the
    # caller must at least be allowed to read the session to learn that.
    _authorize(caller, action or "session.read", session)
    _check_version(session, version)
    workflow.require_transition(session.state, to_state)
    if to_state == "approved":
        blocked = workflow.feasibility_gate(session.design_fingerprint, session.feasibility)
        if blocked:
            raise blocked
        # The approved design is what CAM will plan from: it is stored now, before the session says
        # approved, so an approved session's snapshot exists and promoting it need not write it.
        promotion.store_design(session)
    if to_state == "exported":
        # Drawings first: an exported session always has its files.
        _write_drawings(session)
    entry = HistoryEntry(from_state=session.state, to_state=to_state,
                         actor=caller.username if caller else DEFAULT_ACTOR,
                         actor_sub=caller.sub if caller else None, note=note, at=now_iso())
    session = _bounded_history(session.model_copy(update={"state": to_state,
                                                          "history": [*session.history, entry]}))
    return _save(store, session)


def history_key(session_id: str, first: HistoryEntry, last: HistoryEntry) -> str:
    """Where the archived entries first..last of a session's history are kept.

    Entry times are fixed-width UTC, so the keys of one session list in the
    order the entries were made.
    """
    return f"sessions/{session_id}/history/{first.at}_{last.at}.json"


def _bounded_history(session: Session) -> Session:
    """The session with its oldest entries moved to S3 once the kept history passes its bounds."""
    history = session.history
    keep, size = 0, 0
    for entry in reversed(history):
        size += len(json.dumps(entry.model_dump(mode="json")))  # as the item stores it
        if keep == HISTORY_KEPT or size > HISTORY_KEPT_BYTES:
            break
        keep += 1
    moved = history[:len(history) - keep]
    if not moved:
        return session
    body = json.dumps([e.model_dump(mode="json") for e in moved], sort_keys=True).encode()
    # A plain write: a save retried after a stale version moves the same entries to the same key.
    blobs.put(config.artifacts_bucket(), history_key(session.session_id, moved[0], moved[-1]), body,
              "application/json")
    return session.model_copy(update={"history": history[len(moved):]})


def export(session_id: str, caller: auth.Principal | None = None, note: str | None = None,
           version: int | None = None,
           store: SessionStore | None = None) -> tuple[Session, dict[str, str]]:
    """approved -> exported with SVG + DXF; an exported session gets fresh links to the same files."""
    store = _store(store)
    session = load(session_id, caller, "session.export", store)
    if session.state == "exported":
        _check_version(session, version)
        keys = _write_drawings(session)
    else:
        session = transition(session_id, "exported", caller=caller, note=note, version=version, store=store)
        keys = export_keys(session)
    bucket = config.artifacts_bucket()
    stem = f"rosette-{session.design_fingerprint[:12]}"
    downloads = {kind: blobs.presigned_get(bucket, key, filename=f"{stem}.{kind}") for kind, key in keys.items()}
    return session, downloads


def drawings(session_id: str, store: SessionStore | None = None,
             caller: auth.Principal | None = None) -> dict[str, str]:
    """SVG and DXF links for the current design in any state: a drawing approves nothing."""
    session = load(session_id, caller, "session.read", store)
    keys = _write_drawings(session)
    bucket = config.artifacts_bucket()
    stem = f"rosette-{session.design_fingerprint[:12]}"
    return {kind: blobs.presigned_get(bucket, key, filename=f"{stem}.{kind}") for kind, key in keys.items()}
