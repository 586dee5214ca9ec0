"""The single DynamoDB table (`pk`, `sk`) and every conditional write on it.

Items are flat: strings, integers, booleans and nulls. Nested documents are
stored as JSON strings in `doc`, so nothing is lost to DynamoDB's number type.
All races on the table are settled here, with conditional expressions:

* `claim`        - create once; the loser gets the winner's item back (ALL_OLD)
* `set_existing` - set attributes on an item only if it exists (never creates a partial one)
* `put_versioned` - optimistic update on `version`
* `transition`   - move `status` only from an allowed set of states
"""
from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any, Iterable

from chalicelib import aws, config

Scalar = str | int | bool | None
Item = dict[str, Scalar]

# Listing index (sessions newest first): gsi1pk = collection, gsi1sk = sortable stamp.
LIST_INDEX = "gsi1"


class StorageError(Exception):
    """Base for conditions a caller can act on."""


class StaleVersion(StorageError):
    def __init__(self, expected: int, actual: int | None) -> None:
        super().__init__(f"expected version {expected}, found {actual}")
        self.expected = expected
        self.actual = actual


class TransitionRefused(StorageError):
    def __init__(self, current: Item | None) -> None:
        super().__init__("status transition refused")
        self.current = current


class BadCursor(StorageError):
    pass


def _to_attr(value: Scalar) -> dict[str, Any]:
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    raise TypeError(f"unsupported attribute type {type(value).__name__}")


def _from_attr(attr: dict[str, Any]) -> Scalar:
    if "S" in attr:
        return str(attr["S"])
    if "N" in attr:
        return int(attr["N"])
    if "BOOL" in attr:
        return bool(attr["BOOL"])
    if "NULL" in attr:
        return None
    raise TypeError(f"unsupported attribute {attr!r}")


def serialise(item: Item) -> dict[str, Any]:
    return {k: _to_attr(v) for k, v in item.items()}


def deserialise(raw: dict[str, Any] | None) -> Item | None:
    if raw is None:
        return None
    return {k: _from_attr(v) for k, v in raw.items()}


def _failed_item(exc: Exception) -> Item | None:
    return deserialise(getattr(exc, "response", {}).get("Item"))


def _is_condition_failure(exc: Exception) -> bool:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code")
    return bool(code == "ConditionalCheckFailedException")


def _version_of(item: Item | None) -> int | None:
    version = item.get("version") if item else None
    return version if isinstance(version, int) and not isinstance(version, bool) else None


@dataclass(frozen=True)
class Claim:
    created: bool
    item: Item


class Table:
    def __init__(self, name: str | None = None, client: Any = None) -> None:
        self._name = name
        self._client = client

    @property
    def name(self) -> str:
        return self._name or config.table_name()

    @property
    def client(self) -> Any:
        return self._client or aws.dynamodb()

    def get(self, pk: str, sk: str, consistent: bool = True) -> Item | None:
        resp = self.client.get_item(TableName=self.name, Key=serialise({"pk": pk, "sk": sk}),
                                    ConsistentRead=consistent)
        return deserialise(resp.get("Item"))

    def get_many(self, keys: list[tuple[str, str]]) -> list[Item | None]:
        """Consistent reads of up to 100 items in one call, in the order of `keys` (None: absent)."""
        request = {self.name: {"Keys": [serialise({"pk": pk, "sk": sk}) for pk, sk in keys],
                               "ConsistentRead": True}}
        found: dict[tuple[str, str], Item] = {}
        while request:
            resp = self.client.batch_get_item(RequestItems=request)
            for raw in resp.get("Responses", {}).get(self.name, []):
                item = deserialise(raw) or {}
                found[(str(item["pk"]), str(item["sk"]))] = item
            # Keys DynamoDB could not read this time (throughput) come back to be asked again.
            request = resp.get("UnprocessedKeys") or {}
        return [found.get(key) for key in keys]

    def set_existing(self, pk: str, sk: str, updates: Item) -> bool:
        """Set `updates` on the item if it exists; False (and nothing written) if it does not."""
        names = {f"#u{i}": key for i, key in enumerate(updates)}
        values = {f":u{i}": _to_attr(value) for i, value in enumerate(updates.values())}
        try:
            self.client.update_item(
                TableName=self.name, Key=serialise({"pk": pk, "sk": sk}),
                UpdateExpression="SET " + ", ".join(f"#u{i} = :u{i}" for i in range(len(updates))),
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames=names, ExpressionAttributeValues=values)
        except Exception as exc:
            if not _is_condition_failure(exc):
                raise
            return False
        return True

    def claim(self, item: Item) -> Claim:
        """Create `item` unless its key exists; either way return the item that holds the key."""
        try:
            self.client.put_item(TableName=self.name, Item=serialise(item),
                                 ConditionExpression="attribute_not_exists(pk)",
                                 ReturnValuesOnConditionCheckFailure="ALL_OLD")
            return Claim(True, item)
        except Exception as exc:
            if not _is_condition_failure(exc):
                raise
            existing = _failed_item(exc) or self.get(str(item["pk"]), str(item["sk"]))
            if existing is None:  # deleted between the two calls: try once more
                return self.claim(item)
            return Claim(False, existing)

    def put_versioned(self, item: Item, expected_version: int | None) -> None:
        """Write `item` if the stored `version` is `expected_version` (None: must not exist)."""
        if expected_version is None:
            condition, values = "attribute_not_exists(pk)", {}
        else:
            condition, values = "version = :v", {":v": _to_attr(expected_version)}
        kwargs: dict[str, Any] = {"TableName": self.name, "Item": serialise(item),
                                  "ConditionExpression": condition,
                                  "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}
        if values:
            kwargs["ExpressionAttributeValues"] = values
        try:
            self.client.put_item(**kwargs)
        except Exception as exc:
            if not _is_condition_failure(exc):
                raise
            current = _failed_item(exc)
            raise StaleVersion(expected_version or 0, _version_of(current)) from None

    def delete_versioned(self, pk: str, sk: str, expected_version: int | None = None) -> bool:
        """Delete; False if absent. With a version, a stale one raises StaleVersion."""
        kwargs: dict[str, Any] = {"TableName": self.name, "Key": serialise({"pk": pk, "sk": sk}),
                                  "ReturnValues": "ALL_OLD"}
        if expected_version is not None:
            kwargs["ConditionExpression"] = "version = :v"
            kwargs["ExpressionAttributeValues"] = {":v": _to_attr(expected_version)}
            kwargs["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        try:
            resp = self.client.delete_item(**kwargs)
        except Exception as exc:
            if not _is_condition_failure(exc):
                raise
            current = _failed_item(exc)
            if current is None:
                return False
            raise StaleVersion(expected_version or 0, _version_of(current)) from None
        return bool(resp.get("Attributes"))

    def transition(self, pk: str, sk: str, from_statuses: Iterable[str], to_status: str,
                   updates: Item | None = None, expect: Item | None = None,
                   add: dict[str, int] | None = None) -> Item:
        """Set `status` to `to_status` only if it is one of `from_statuses`.

        `expect` adds attribute values that must still hold (e.g. the lease
        token of the worker that owns a job), so a holder that lost its claim
        cannot move the item. `add` increments counters atomically (absent
        counts as 0). Returns the new item; raises TransitionRefused
        (with the current item, or None when it does not exist) when the
        condition does not hold.
        """
        allowed = list(from_statuses)
        names = {"#status": "status"}
        values: dict[str, Any] = {":to": _to_attr(to_status)}
        sets = ["#status = :to"]
        for i, (key, value) in enumerate((updates or {}).items()):
            names[f"#u{i}"] = key
            values[f":u{i}"] = _to_attr(value)
            sets.append(f"#u{i} = :u{i}")
        for i, (key, step) in enumerate((add or {}).items()):
            names[f"#a{i}"] = key
            values[f":a{i}"] = _to_attr(step)
            values[":zero"] = _to_attr(0)
            sets.append(f"#a{i} = if_not_exists(#a{i}, :zero) + :a{i}")
        placeholders = []
        for i, status in enumerate(allowed):
            values[f":f{i}"] = _to_attr(status)
            placeholders.append(f":f{i}")
        condition = f"attribute_exists(pk) AND #status IN ({', '.join(placeholders)})"
        for i, (key, value) in enumerate((expect or {}).items()):
            names[f"#e{i}"] = key
            values[f":e{i}"] = _to_attr(value)
            condition += f" AND #e{i} = :e{i}"
        try:
            resp = self.client.update_item(
                TableName=self.name, Key=serialise({"pk": pk, "sk": sk}),
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression=condition,
                ExpressionAttributeNames=names, ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW", ReturnValuesOnConditionCheckFailure="ALL_OLD")
        except Exception as exc:
            if not _is_condition_failure(exc):
                raise
            raise TransitionRefused(_failed_item(exc)) from None
        return deserialise(resp["Attributes"]) or {}

    def list_newest(self, collection: str, limit: int, cursor: str | None,
                    oldest_first: bool = False, owner_sub: str | None = None) -> tuple[list[Item], str | None]:
        """Items of `collection` on the listing index, newest first (or oldest first), with an opaque cursor.

        With `owner_sub`, only that owner's items. DynamoDB filters after it
        reads a page, so pages are read until `limit` items match or the index
        ends; the cursor then resumes after the last item read.
        """
        if owner_sub is None:
            return self._list_page(collection, limit, cursor, None, oldest_first)
        found: list[Item] = []
        while True:
            page, cursor = self._list_page(collection, limit - len(found), cursor, owner_sub, oldest_first)
            found.extend(page)
            if len(found) >= limit or cursor is None:
                return found, cursor

    def _list_page(self, collection: str, limit: int, cursor: str | None,
                   owner_sub: str | None, oldest_first: bool) -> tuple[list[Item], str | None]:
        kwargs: dict[str, Any] = {
            "TableName": self.name, "IndexName": LIST_INDEX,
            "KeyConditionExpression": "gsi1pk = :c",
            "ExpressionAttributeValues": {":c": _to_attr(collection)},
            "ScanIndexForward": oldest_first, "Limit": limit,
        }
        if cursor:
            start = _decode_cursor(cursor)
            if start["gsi1pk"] != _to_attr(collection):
                raise BadCursor("cursor belongs to another listing")
            kwargs["ExclusiveStartKey"] = start
        if owner_sub is not None:
            kwargs["FilterExpression"] = "owner_sub = :o"
            kwargs["ExpressionAttributeValues"][":o"] = _to_attr(owner_sub)
        resp = self.client.query(**kwargs)
        items = [deserialise(raw) or {} for raw in resp.get("Items", [])]
        last = resp.get("LastEvaluatedKey")
        return items, _encode_cursor(last) if last else None


def _encode_cursor(key: dict[str, Any]) -> str:
    plain = {k: _from_attr(v) for k, v in key.items()}
    return base64.urlsafe_b64encode(json.dumps(plain, sort_keys=True).encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> dict[str, Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        plain = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(plain, dict) or set(plain) != {"pk", "sk", "gsi1pk", "gsi1sk"}:
            raise ValueError("unexpected cursor keys")
        return {k: _to_attr(str(v)) for k, v in plain.items()}
    except (ValueError, TypeError) as exc:
        raise BadCursor(str(exc)) from None


def table_definition(name: str) -> dict[str, Any]:
    """CreateTable arguments; the same shape as infra/template.yaml."""
    return {
        "TableName": name,
        "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        "AttributeDefinitions": [
            {"AttributeName": a, "AttributeType": "S"} for a in ("pk", "sk", "gsi1pk", "gsi1sk")
        ],
        "GlobalSecondaryIndexes": [{
            "IndexName": LIST_INDEX,
            "KeySchema": [{"AttributeName": "gsi1pk", "KeyType": "HASH"},
                          {"AttributeName": "gsi1sk", "KeyType": "RANGE"}],
            "Projection": {"ProjectionType": "ALL"},
        }],
        "BillingMode": "PAY_PER_REQUEST",
    }
