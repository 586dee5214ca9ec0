"""Frozen JSON handoff contracts shared by the Art Studio and CAM domains."""
