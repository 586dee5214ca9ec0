"""Keep the emulator's data in `LOCAL_DATA_DIR` across stops, restarts and crashes.

Two kinds of file, both under the data directory:

* `snapshot.jsonl` — every table item and every object in both buckets, written to
  a temporary file, fsynced and renamed over the old one, so it is always either
  the old snapshot or the new one, never half of each. Its first line says which
  journals it already contains (`{"covers": N}`).
* `journal-N.jsonl` — each acknowledged write since that snapshot, appended and
  fsynced before the write is answered (see journal.py).

Opening the store loads the snapshot, replays the journals it does not cover and
folds everything into a new snapshot; closing it does the same. A stack killed
with SIGKILL leaves a journal behind, which the next start replays. All of this
happens before S3 notifications are connected, so restored requests are not
processed again.
"""
from __future__ import annotations

import base64
import json
import os
import re
from pathlib import Path
from typing import Any, Iterable, Iterator

from luthier.local.journal import Journal, JournallingApp, _fsync_dir, read_entries

SNAPSHOT = "snapshot.jsonl"
_JOURNAL = re.compile(r"^journal-(\d+)\.jsonl$")
# Files an earlier version wrote on a clean stop only; read once, then folded into the snapshot.
_LEGACY = re.compile(r"^(table|s3-.+)\.jsonl$")


def _items(dynamodb: Any, table: str) -> Iterator[dict[str, Any]]:
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        yield from page["Items"]


def _objects(s3: Any, bucket: str) -> Iterator[dict[str, Any]]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for entry in page.get("Contents", []):
            obj = s3.get_object(Bucket=bucket, Key=entry["Key"])
            yield {"key": entry["Key"], "content_type": obj.get("ContentType") or "application/octet-stream",
                   "body": base64.b64encode(obj["Body"].read()).decode("ascii")}


def _lines(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as rows:
        for line in rows:
            if line.strip():
                yield json.loads(line)


def write_atomically(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, sort_keys=True) + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


class DataStore:
    def __init__(self, data_dir: Path, app: JournallingApp, dynamodb: Any, s3: Any, table: str,
                 buckets: list[str]) -> None:
        self.data_dir = data_dir
        self.app = app
        self.dynamodb = dynamodb
        self.s3 = s3
        self.table = table
        self.buckets = buckets
        self._generation = 0

    def journals(self) -> list[tuple[int, Path]]:
        found = [(int(m.group(1)), p) for p in self.data_dir.glob("journal-*.jsonl")
                 if (m := _JOURNAL.match(p.name))]
        return sorted(found)

    def wipe(self) -> None:
        """Start empty: remove this store's files (and nothing else in the folder)."""
        for path in self.data_dir.glob("*.jsonl*"):
            if path.name.startswith((SNAPSHOT, "journal-")) or _LEGACY.match(path.name):
                path.unlink()

    def open(self) -> dict[str, int]:
        """Load snapshot + journals, fold them into a new snapshot, start journalling; the counts."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        covers, counts = self._load_snapshot()
        replayed = 0
        newest = covers
        for generation, path in self.journals():
            newest = max(newest, generation)
            if generation > covers:
                replayed += self.app.replay(read_entries(path))
        counts["replayed writes"] = replayed
        self._generation = newest + 1
        with self.app._lock:
            self._compact(newest)
            self.app.journal = Journal(self.data_dir / f"journal-{self._generation}.jsonl")
        return counts

    def close(self) -> None:
        with self.app._lock:
            journal, self.app.journal = self.app.journal, None
            if journal is not None:
                journal.close()
            self._compact(self._generation)

    def _load_snapshot(self) -> tuple[int, dict[str, int]]:
        counts = {"items": 0, "objects": 0}
        path = self.data_dir / SNAPSHOT
        if not path.exists():
            self._load_legacy(counts)
            return 0, counts
        rows = _lines(path)
        covers = int(next(rows, {}).get("covers", 0))
        for row in rows:
            if "item" in row:
                self.dynamodb.put_item(TableName=self.table, Item=row["item"])
                counts["items"] += 1
            elif row.get("bucket") in self.buckets:
                self.s3.put_object(Bucket=row["bucket"], Key=row["key"], Body=base64.b64decode(row["body"]),
                                   ContentType=row["content_type"])
                counts["objects"] += 1
        return covers, counts

    def _load_legacy(self, counts: dict[str, int]) -> None:
        table = self.data_dir / "table.jsonl"
        if table.exists():
            for item in _lines(table):
                self.dynamodb.put_item(TableName=self.table, Item=item)
                counts["items"] += 1
        for bucket in self.buckets:
            path = self.data_dir / f"s3-{bucket}.jsonl"
            if path.exists():
                for obj in _lines(path):
                    self.s3.put_object(Bucket=bucket, Key=obj["key"], Body=base64.b64decode(obj["body"]),
                                       ContentType=obj["content_type"])
                    counts["objects"] += 1

    def _compact(self, covers: int) -> None:
        """Write the emulator's whole state as the snapshot, then drop the journals it covers.

        Called with the journal lock held, so no write lands between the scan and the rename.
        """
        def rows() -> Iterator[dict[str, Any]]:
            yield {"covers": covers}
            for item in _items(self.dynamodb, self.table):
                yield {"table": self.table, "item": item}
            for bucket in self.buckets:
                for obj in _objects(self.s3, bucket):
                    yield {"bucket": bucket, **obj}

        write_atomically(self.data_dir / SNAPSHOT, rows())
        for generation, path in self.journals():
            if generation <= covers:
                path.unlink()
        for path in self.data_dir.glob("*.jsonl"):
            if _LEGACY.match(path.name):
                path.unlink()
