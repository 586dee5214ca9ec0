"""Heal promotions interrupted between the index claim and the S3 write.

The index item holds the full request, so anything missing downstream of it
(the pending job record, the request object) can be recreated exactly. Run it
on a schedule or by hand: `python -c "from chalicelib.art_studio.reconcile
import repair_pending; print(repair_pending())"`.
"""
from __future__ import annotations

import logging
from typing import Any

from chalicelib.art_studio.promotion import INDEX_COLLECTION, ensure_handoff, owner_of, stored_request
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
            if any(fixed.values()):
                log.warning("repaired promotion %s: %s", request.promotion_request_id, fixed)
                repaired.append({"request_id": request.promotion_request_id, **fixed})
        if not cursor:
            break
    return {"checked": checked, "repaired": repaired}
