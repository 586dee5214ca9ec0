"""S3 objects: immutable handoff documents and replaceable artifacts."""
from __future__ import annotations

import json
from typing import Any

from chalicelib import aws


def _code(exc: Exception) -> str:
    return str(getattr(exc, "response", {}).get("Error", {}).get("Code", ""))


def put_immutable(bucket: str, key: str, body: bytes, content_type: str = "application/json") -> bool:
    """Write `key` only if it does not exist. True if this call wrote it."""
    try:
        aws.s3().put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type, IfNoneMatch="*")
        return True
    except Exception as exc:
        # 412: someone wrote it first. 409: a concurrent conditional write is in flight.
        if _code(exc) in ("PreconditionFailed", "ConditionalRequestConflict", "412", "409"):
            return False
        raise


def put(bucket: str, key: str, body: bytes, content_type: str) -> None:
    aws.s3().put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type)


def get_bytes(bucket: str, key: str) -> bytes | None:
    try:
        body: bytes = aws.s3().get_object(Bucket=bucket, Key=key)["Body"].read()
        return body
    except Exception as exc:
        if _code(exc) in ("NoSuchKey", "404", "NotFound"):
            return None
        raise


def get_json(bucket: str, key: str) -> Any | None:
    raw = get_bytes(bucket, key)
    return None if raw is None else json.loads(raw)


def exists(bucket: str, key: str) -> bool:
    try:
        aws.s3().head_object(Bucket=bucket, Key=key)
        return True
    except Exception as exc:
        if _code(exc) in ("NoSuchKey", "404", "NotFound"):
            return False
        raise


def presigned_get(bucket: str, key: str, filename: str | None = None, expires_s: int = 900) -> str:
    params: dict[str, Any] = {"Bucket": bucket, "Key": key}
    if filename:
        params["ResponseContentDisposition"] = f'attachment; filename="{filename}"'
    url: str = aws.s3().generate_presigned_url("get_object", Params=params, ExpiresIn=expires_s)
    return url


def list_keys(bucket: str, prefix: str, limit: int = 1000) -> list[str]:
    """Keys under `prefix`, in key order, at most `limit`."""
    resp = aws.s3().list_objects_v2(Bucket=bucket, Prefix=prefix, MaxKeys=limit)
    return [str(obj["Key"]) for obj in resp.get("Contents", [])]
