"""LinuxCNC 2.x: % delimiters and a real tool change."""
from chalicelib.rmos.cam.posts.base import Dialect

DIALECT = Dialect(
    name="linuxcnc",
    description="LinuxCNC 2.8+ routers and saw heads",
    forbidden_chars="()",
    percent_wrap=True,
    tool_change="m6",
)
