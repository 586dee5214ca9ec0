"""Keep the emulator's data between runs (`--keep-data`): save on stop, load on start.

moto keeps everything in memory, so the stack copies the table's items and the
buckets' objects to plain files under the data directory when it stops and puts
them back before anything else runs (before S3 notifications are connected, so
restored requests are not processed again).
"""
from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any, Iterable


def _write_lines(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    tmp = path.with_suffix(path.suffix + ".tmp")
    count = 0
    with tmp.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, sort_keys=True) + "\n")
            count += 1
    os.replace(tmp, path)
    return count


def _read_lines(path: Path) -> Iterable[dict[str, Any]]:
    if not path.exists():
        return
    with path.open(encoding="utf-8") as rows:
        for line in rows:
            if line.strip():
                yield json.loads(line)


def _items(dynamodb: Any, table: str) -> Iterable[dict[str, Any]]:
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        yield from page["Items"]


def _objects(s3: Any, bucket: str) -> Iterable[dict[str, Any]]:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        for entry in page.get("Contents", []):
            obj = s3.get_object(Bucket=bucket, Key=entry["Key"])
            yield {"key": entry["Key"], "content_type": obj.get("ContentType") or "application/octet-stream",
                   "body": base64.b64encode(obj["Body"].read()).decode("ascii")}


def save(data_dir: Path, dynamodb: Any, s3: Any, table: str, buckets: list[str]) -> dict[str, int]:
    data_dir.mkdir(parents=True, exist_ok=True)
    counts = {table: _write_lines(data_dir / "table.jsonl", _items(dynamodb, table))}
    for bucket in buckets:
        counts[bucket] = _write_lines(data_dir / f"s3-{bucket}.jsonl", _objects(s3, bucket))
    return counts


def restore(data_dir: Path, dynamodb: Any, s3: Any, table: str, buckets: list[str]) -> dict[str, int]:
    counts = {table: 0}
    for item in _read_lines(data_dir / "table.jsonl"):
        dynamodb.put_item(TableName=table, Item=item)
        counts[table] += 1
    for bucket in buckets:
        counts[bucket] = 0
        for obj in _read_lines(data_dir / f"s3-{bucket}.jsonl"):
            s3.put_object(Bucket=bucket, Key=obj["key"], Body=base64.b64decode(obj["body"]),
                          ContentType=obj["content_type"])
            counts[bucket] += 1
    return counts
