"""`path2d.once`: a piece's derived value is worked out on first use and then read from the piece itself."""
from __future__ import annotations

import math
import threading

from chalicelib.rmos.cam.router.path2d import Seg, once


class _Counted:
    calls = 0

    def __init__(self, value: float) -> None:
        self.value = value

    @once
    def doubled(self) -> float:
        """Twice the value."""
        type(self).calls += 1
        return 2 * self.value


def test_the_value_is_worked_out_once_per_object_and_kept_in_its_dict():
    _Counted.calls = 0
    a, b = _Counted(1.5), _Counted(4.0)
    assert (a.doubled, a.doubled, b.doubled, a.doubled) == (3.0, 3.0, 8.0, 3.0)
    assert _Counted.calls == 2
    assert a.__dict__["doubled"] == 3.0 and b.__dict__["doubled"] == 8.0


def test_the_class_attribute_is_the_descriptor_with_the_functions_name_and_doc():
    descriptor = _Counted.doubled
    assert isinstance(descriptor, once)
    assert descriptor.name == "doubled" and descriptor.__doc__ == "Twice the value."


def test_frozen_pieces_keep_their_lengths_and_threads_racing_get_the_same_value():
    arc = Seg((1.0, 0.0), (0.0, 1.0), (0.0, 0.0), math.pi / 2)
    line = Seg((0.0, 0.0), (3.0, 4.0))
    assert line.length == 5.0 and "length" in line.__dict__
    seen: list[float] = []
    workers = [threading.Thread(target=lambda: seen.append(arc.length)) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert seen == [math.pi / 2] * 8 and arc.__dict__["length"] == math.pi / 2
