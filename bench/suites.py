"""The benchmark groups, in the order `make bench` prints them."""
from __future__ import annotations

from bench import coldstart, localstack, overhead, package, peer_freecad, planning, refusal, router, worker

SUITES = [
    ("planning", planning.run),
    ("router", router.run),
    ("freecad", peer_freecad.run),
    ("overhead", overhead.run),
    ("refusal", refusal.run),
    ("worker", worker.run),
    ("localstack", localstack.run),
    ("coldstart", lambda quick: coldstart.run(5 if quick else 15)),
    ("package", lambda quick: package.run()),
]
