"""Session persistence on the shared table, and the session document's shape.

Item: pk `SESSION#{id}`, sk `META`, `version`, `doc` (the session JSON),
gsi1pk `SESSIONS`, gsi1sk `{updated_at}#{id}` (listing by last change, newest first),
`design_stored` (the fingerprint of the design whose CAM snapshot is in S3). Every
write is conditional on `version`, so two editors can never overwrite each
other silently.
"""
from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict, PrivateAttr

from chalicelib.contracts.rosette import DesignSummaryV1, FeasibilitySummaryV1, RosetteDesignV1
from chalicelib.art_studio.errors import InvalidCursor, SessionNotFound, StaleVersion
from chalicelib.storage import table as storage
from chalicelib.storage.table import BadCursor, Table

COLLECTION = "SESSIONS"
META = "META"


class HistoryEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    from_state: str
    to_state: str
    # Who moved the session, as their verified token names them; never client input.
    actor: str
    actor_sub: str | None = None
    note: str | None = None
    at: str


class Session(BaseModel):
    model_config = ConfigDict(extra="forbid")
    session_id: str
    # What the luthier calls it ("OM rosette, herringbone"); optional.
    name: str | None = None
    state: str
    version: int
    design: RosetteDesignV1
    design_fingerprint: str
    design_summary: DesignSummaryV1
    feasibility: FeasibilitySummaryV1 | None = None
    history: list[HistoryEntry] = []
    # The designer who created the session (verified `sub` and username).
    owner_sub: str | None = None
    owner_username: str | None = None
    created_at: str
    updated_at: str
    # Storage bookkeeping, not part of the session document: the design
    # fingerprint whose snapshot approval wrote, so promotion need not write it.
    _design_stored: str | None = PrivateAttr(default=None)

    @property
    def design_stored(self) -> bool:
        """True if the CAM snapshot of the current design is known to be in S3."""
        return self._design_stored == self.design_fingerprint

    def mark_design_stored(self) -> None:
        self._design_stored = self.design_fingerprint


def iso(moment: datetime) -> str:
    # Fixed width with microseconds, so the listing sort key orders lexically.
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_iso() -> str:
    return iso(datetime.now(timezone.utc))


def session_pk(session_id: str) -> str:
    return f"SESSION#{session_id}"


def _item(session: Session) -> dict[str, Any]:
    return {
        "pk": session_pk(session.session_id), "sk": META,
        "version": session.version,
        "state": session.state,
        "doc": json.dumps(session.model_dump(mode="json"), sort_keys=True),
        "gsi1pk": COLLECTION, "gsi1sk": f"{session.updated_at}#{session.session_id}",
        "owner_sub": session.owner_sub,
        "design_stored": session._design_stored,
    }


def _session(item: dict[str, Any]) -> Session:
    session = Session.model_validate(json.loads(str(item["doc"])))
    session.version = int(item["version"])
    stored = item.get("design_stored")
    session._design_stored = stored if isinstance(stored, str) else None
    return session


class SessionStore:
    def __init__(self, table: Table | None = None) -> None:
        self.table = table or Table()

    def get(self, session_id: str) -> Session:
        item = self.table.get(session_pk(session_id), META)
        if item is None:
            raise SessionNotFound(session_id)
        return _session(item)

    def create(self, session: Session) -> None:
        self.table.put_versioned(_item(session), None)

    def save(self, session: Session, expected_version: int) -> None:
        """Write `session` (already at expected_version + 1) if nobody wrote in between."""
        try:
            self.table.put_versioned(_item(session), expected_version)
        except storage.StaleVersion as exc:
            if exc.actual is None:
                raise SessionNotFound(session.session_id) from None
            raise StaleVersion(expected_version, exc.actual) from None

    def delete(self, session_id: str, expected_version: int | None) -> None:
        try:
            deleted = self.table.delete_versioned(session_pk(session_id), META, expected_version)
        except storage.StaleVersion as exc:
            raise StaleVersion(expected_version or 0, exc.actual) from None
        if not deleted:
            raise SessionNotFound(session_id)

    def list(self, limit: int, cursor: str | None,
             owner_sub: str | None = None) -> tuple[list[Session], str | None]:
        """Newest first; with `owner_sub`, only that owner's sessions."""
        try:
            items, next_cursor = self.table.list_newest(COLLECTION, limit, cursor, owner_sub=owner_sub)
        except BadCursor:
            raise InvalidCursor() from None
        except Exception as exc:
            # A well-formed cursor that names a key outside this listing.
            if getattr(exc, "response", {}).get("Error", {}).get("Code") == "ValidationException" and cursor:
                raise InvalidCursor() from None
            raise
        return [_session(i) for i in items], next_cursor
