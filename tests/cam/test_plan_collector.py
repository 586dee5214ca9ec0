"""Planning holds Python's cycle collector off for the plan only, and leaves it as it found it."""
from __future__ import annotations

import gc
import threading

import pytest

from chalicelib.rmos.cam import pipeline
from chalicelib.rmos.cam.router import pocket
from tests.cam import intents


@pytest.fixture
def collector_state():
    was_on = gc.isenabled()
    yield
    gc.enable() if was_on else gc.disable()


def _watch_planning(monkeypatch):
    seen = []
    real = pocket.plan_polygon_pocket

    def watched(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(pocket, "plan_polygon_pocket", watched)
    return seen


@pytest.mark.usefixtures("collector_state")
def test_the_collector_is_off_while_a_pocket_is_planned_and_on_again_after(monkeypatch):
    seen = _watch_planning(monkeypatch)
    gc.enable()
    result = pipeline.plan_intent(intents.pocket_with_island())
    assert seen == [False]
    assert gc.isenabled()
    assert "M30" in result.program


@pytest.mark.usefixtures("collector_state")
def test_a_collector_switched_off_beforehand_stays_off(monkeypatch):
    seen = _watch_planning(monkeypatch)
    gc.disable()
    pipeline.plan_intent(intents.pocket_with_island())
    assert seen == [False]
    assert not gc.isenabled()


@pytest.mark.usefixtures("collector_state")
def test_a_refused_intent_turns_the_collector_back_on(monkeypatch):
    gc.enable()
    seen = _watch_planning(monkeypatch)
    # Narrower than the bit: refused by the planner itself, inside the pause.
    narrow = intents.pocket_with_island()
    narrow["design"]["geometry"] = {"type": "polyline", "points": [[0, 0], [40, 0], [40, 2], [0, 2], [0, 0]]}
    with pytest.raises(pipeline.IntentRejected, match="narrower|does not fit"):
        pipeline.plan_intent(narrow)
    assert seen == [False] and gc.isenabled()

    def broken(*args, **kwargs):
        raise RuntimeError("planner fault")

    monkeypatch.setattr(pocket, "plan_polygon_pocket", broken)
    with pytest.raises(RuntimeError):
        pipeline.plan_intent(intents.pocket_with_island())
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_state")
def test_a_plan_on_another_thread_leaves_the_collector_running_for_every_thread(monkeypatch):
    seen = _watch_planning(monkeypatch)
    gc.enable()
    done = []
    worker = threading.Thread(target=lambda: done.append(pipeline.plan_intent(intents.pocket_with_island())))
    worker.start()
    worker.join()
    assert len(done) == 1 and seen == [True] and gc.isenabled()
