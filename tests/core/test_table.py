"""The table's conditional writes, against moto's DynamoDB."""
from __future__ import annotations

import threading

import pytest

from chalicelib.storage.table import BadCursor, StaleVersion, Table, TransitionRefused


def test_claim_creates_once_and_returns_the_winner(aws_env):
    table = Table()
    first = table.claim({"pk": "K#1", "sk": "IDX", "value": "first"})
    second = table.claim({"pk": "K#1", "sk": "IDX", "value": "second"})
    assert first.created and first.item["value"] == "first"
    assert not second.created and second.item["value"] == "first"
    assert table.get("K#1", "IDX")["value"] == "first"


def test_concurrent_claims_have_exactly_one_winner(aws_env):
    table = Table()
    results = []
    barrier = threading.Barrier(16)

    def contender(n: int) -> None:
        barrier.wait()
        results.append(table.claim({"pk": "RACE", "sk": "IDX", "value": f"v{n}"}))

    threads = [threading.Thread(target=contender, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [r for r in results if r.created]
    assert len(winners) == 1
    assert {r.item["value"] for r in results} == {winners[0].item["value"]}


def test_put_versioned_refuses_a_stale_write(aws_env):
    table = Table()
    table.put_versioned({"pk": "S#1", "sk": "META", "version": 1, "doc": "a"}, None)
    with pytest.raises(StaleVersion):
        table.put_versioned({"pk": "S#1", "sk": "META", "version": 1, "doc": "again"}, None)
    table.put_versioned({"pk": "S#1", "sk": "META", "version": 2, "doc": "b"}, 1)
    with pytest.raises(StaleVersion) as info:
        table.put_versioned({"pk": "S#1", "sk": "META", "version": 2, "doc": "lost update"}, 1)
    assert info.value.actual == 2
    assert table.get("S#1", "META")["doc"] == "b"


def test_delete_versioned(aws_env):
    table = Table()
    table.put_versioned({"pk": "S#2", "sk": "META", "version": 3}, None)
    with pytest.raises(StaleVersion):
        table.delete_versioned("S#2", "META", expected_version=2)
    assert table.delete_versioned("S#2", "META", expected_version=3) is True
    assert table.delete_versioned("S#2", "META") is False


def test_transition_only_from_allowed_states(aws_env):
    table = Table()
    table.claim({"pk": "JOB#1", "sk": "STATUS", "status": "pending"})
    moved = table.transition("JOB#1", "STATUS", ["pending"], "processing", {"reason": None})
    assert moved["status"] == "processing"
    with pytest.raises(TransitionRefused) as info:
        table.transition("JOB#1", "STATUS", ["pending"], "processing")
    assert info.value.current["status"] == "processing"
    with pytest.raises(TransitionRefused) as missing:
        table.transition("JOB#none", "STATUS", ["pending"], "processing")
    assert missing.value.current is None


def test_list_newest_walks_every_item_newest_first(aws_env):
    table = Table()
    for n in range(7):
        table.claim({"pk": f"S#{n}", "sk": "META", "gsi1pk": "SESSIONS", "gsi1sk": f"2026-01-0{n + 1}#{n}"})
    seen, cursor = [], None
    while True:
        items, cursor = table.list_newest("SESSIONS", 3, cursor)
        seen += [i["pk"] for i in items]
        if not cursor:
            break
    assert seen == [f"S#{n}" for n in reversed(range(7))]


@pytest.mark.parametrize("cursor", ["not-base64!!", "eyJhIjoxfQ", "W10"])
def test_bad_cursor_is_refused(aws_env, cursor):
    with pytest.raises(BadCursor):
        Table().list_newest("SESSIONS", 3, cursor)
