"""The CAM profile catalogue, published to both domains as data.

The CAM side turns a profile into cutting parameters; Art Studio only needs to
know which ids exist, so a promotion naming an unknown profile is refused
before an immutable request is written for it. Every lookup by id goes through
`Catalogue`, which raises a named error (`UnknownProfile`, `UnknownTool`, ...)
carrying an issue on the field the caller used.
"""
from __future__ import annotations

import functools
import json
import pathlib
from typing import Any

from chalicelib.contracts.errors import Invalid, Issue

CATALOGUE_PATH = pathlib.Path(__file__).with_name("cam_profiles.json")
# An operation's `tool_diameter_mm` names the catalogue bit within this much:
# enough for 1/4 in written as 6.35, never enough to mistake 6 mm for 1/4 in.
DIAMETER_MATCH_MM = 0.01


class UnknownEntry(Invalid):
    """An id that names no entry of one catalogue table."""

    code = "unknown_reference"
    table = ""
    noun = ""

    def __init__(self, key: str, known: list[str], path: str) -> None:
        message = f"unknown {self.noun} {key!r}; known: {', '.join(known)}"
        super().__init__(message, [Issue(self.code, message, path)])
        self.key = key
        self.known = known
        self.path = path


class UnknownProfile(UnknownEntry):
    table, noun = "profiles", "profile"


class UnknownTool(UnknownEntry):
    table, noun = "tools", "tool"


class UnknownMaterial(UnknownEntry):
    table, noun = "materials", "material"


class UnknownMachine(UnknownEntry):
    table, noun = "machines", "machine"


_ERRORS: dict[str, type[UnknownEntry]] = {e.table: e for e in (UnknownProfile, UnknownTool, UnknownMaterial,
                                                                 UnknownMachine)}


class Catalogue:
    """Read-only lookups over `cam_profiles.json`; each entry comes back with its `id`."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def ids(self, table: str) -> list[str]:
        return sorted(self.data[table])

    def has(self, table: str, key: str) -> bool:
        return key in self.data[table]

    def entry(self, table: str, key: str, path: str | None = None) -> dict[str, Any]:
        """The entry `key` of `table`; `path` is the field that named it (for the error)."""
        if key not in self.data[table]:
            error = _ERRORS[table]
            raise error(key, self.ids(table), path if path is not None else f"{error.noun}_id")
        return {"id": key, **self.data[table][key]}

    def profile(self, key: str, path: str = "options.profile_id") -> dict[str, Any]:
        return self.entry("profiles", key, path)

    def tool(self, key: str, path: str = "tool_id") -> dict[str, Any]:
        return self.entry("tools", key, path)

    def material(self, key: str, path: str = "material_id") -> dict[str, Any]:
        return self.entry("materials", key, path)

    def machine(self, key: str, path: str = "machine_id") -> dict[str, Any]:
        return self.entry("machines", key, path)

    def end_mill_profiles(self) -> list[dict[str, Any]]:
        """Profiles that cut with an end mill, each with its `tool` entry resolved, smallest bit first."""
        out = []
        for key in self.ids("profiles"):
            profile = self.profile(key)
            tool = self.tool(str(profile["tool"]))
            if tool.get("kind", "end_mill") == "end_mill":
                out.append({**profile, "tool": tool})
        return sorted(out, key=lambda p: (float(p["tool"]["diameter_mm"]), str(p["id"])))

    def end_mill_diameters(self) -> list[float]:
        """Every end-mill diameter some profile cuts with: the bits a shop using this catalogue has."""
        return sorted({float(p["tool"]["diameter_mm"]) for p in self.end_mill_profiles()})

    def tools_of_diameter(self, diameter_mm: float, kind: str = "end_mill") -> list[dict[str, Any]]:
        """The tools of `kind` whose diameter is `diameter_mm` within the matching tolerance, by id."""
        return [self.tool(key) for key in self.ids("tools")
                if self.data["tools"][key].get("kind") == kind
                and abs(float(self.data["tools"][key]["diameter_mm"]) - diameter_mm) <= DIAMETER_MATCH_MM]

    def diameters(self, kind: str = "end_mill") -> list[float]:
        """Every diameter the catalogue has a tool of `kind` for, smallest first."""
        return sorted({float(t["diameter_mm"]) for t in self.data["tools"].values() if t.get("kind") == kind})

    def default_profile_id(self, mode: str | None = None) -> str:
        """The profile a request without one gets: the mode's own default, else the catalogue's."""
        defaults = self.data.get("mode_defaults", {})
        return str(defaults.get(mode, self.data["default"]) if mode else self.data["default"])


# Bits sold in inch sizes are named the way the shop names them.
INCH_BITS = {1.5875: ("1/16 in", "1_16in"), 3.175: ("1/8 in", "1_8in"), 6.35: ("1/4 in", "1_4in")}


def bit_label(diameter_mm: float) -> str:
    """"1/16 in = 1.5875 mm" or "1 mm": safe inside a G-code comment."""
    inch = INCH_BITS.get(round(diameter_mm, 4))
    return f"{inch[0]} = {diameter_mm:g} mm" if inch else f"{diameter_mm:g} mm"


def tool_label(tool: dict[str, Any]) -> str:
    """A catalogue bit by its name and size: "1/16 in 2-flute down-cut end mill (1.5875 mm)"."""
    return f"{tool['name']} ({float(tool['diameter_mm']):g} mm)"


def bit_slug(diameter_mm: float) -> str:
    """The bit as a file-name part: "1_16in", "1mm", "0.8mm"."""
    inch = INCH_BITS.get(round(diameter_mm, 4))
    return inch[1] if inch else f"{diameter_mm:g}mm"


@functools.cache
def catalogue() -> Catalogue:
    return Catalogue(json.loads(CATALOGUE_PATH.read_text(encoding="utf-8")))


def profile_ids() -> list[str]:
    return catalogue().ids("profiles")


def default_profile_id() -> str:
    return catalogue().default_profile_id()
