"""GRBL 1.1: no canned cycles, no M6, no %, and no real-time bytes anywhere."""
from chalicelib.rmos.cam.posts.base import Dialect

DIALECT = Dialect(
    name="grbl",
    description="GRBL 1.1 (desktop routers)",
    # GRBL acts on ? ! ~ as real-time commands even inside comments, and % is
    # not a program delimiter for it.
    forbidden_chars="()?!~%",
    forbidden_words=("G81", "G82", "G83", "G73", "M6", "G90.1", "G91.1", "M7", "G43"),
    percent_wrap=False,
    tool_change="pause",
)
