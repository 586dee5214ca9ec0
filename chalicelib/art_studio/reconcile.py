"""Heal promotions interrupted between the index claim and the session's link.

The index item holds the full request and the program's file name, so
anything missing downstream of it (the pending job record, the request object,
the promoting session's link, written last) can be recreated exactly. Run it
on a schedule or by hand: `python -c "from chalicelib.art_studio.reconcile
import repair_pending; print(repair_pending())"`.
"""
from __future__ import annotations

import logging
from typing import Any

from chalicelib.art_studio.errors import SessionNotFound
from chalicelib.art_studio.promotion import (INDEX_COLLECTION, checked_profile, ensure_handoff, link_to_session,
                                             owner_of, program_file_name, stored_request)
from chalicelib.art_studio.store import SessionStore
from chalicelib.contracts.promotion import CamPromotionRequestV1
from chalicelib.storage.table import Table

log = logging.getLogger("luthier_cam.art_studio.reconcile")
PAGE = 100


def repair_pending(limit: int = 500, table: Table | None = None) -> dict[str, Any]:
    """Check the newest `limit` promotions; returns how many were checked and what was rewritten."""
    table = table or Table()
    checked, repaired = 0, []
    cursor: str | None = None
    while checked < limit:
        items, cursor = table.list_newest(INDEX_COLLECTION, min(PAGE, limit - checked), cursor)
        for item in items:
            checked += 1
            request = stored_request(item)
            fixed = ensure_handoff(request, table, owner_of(item))
            file_name = item.get("file_name")
            # The link is written last, so any promotion cut short lost it. An index item from before the
            # index named the file was written link first: only one that lost its job record lost the link.
            if isinstance(file_name, str):
                relinked = link_to_session(request.session_id, request, table, file_name)
            else:
                relinked = fixed["job_record"] and _relink(request, table)
            if relinked:
                fixed["session_link"] = True
            if any(fixed.values()):
                log.warning("repaired promotion %s: %s", request.promotion_request_id, fixed)
                repaired.append({"request_id": request.promotion_request_id, **fixed})
        if not cursor:
            break
    return {"checked": checked, "repaired": repaired}


def _relink(request: CamPromotionRequestV1, table: Table) -> bool:
    """Write the promoting session's link to the request if it is missing; False when it was there or the
    session is gone."""
    try:
        session = SessionStore(table).get(request.session_id)
    except SessionNotFound:
        return False
    file_name = program_file_name(session, request.cam_profile_id or checked_profile(session))
    return link_to_session(request.session_id, request, table, file_name)
