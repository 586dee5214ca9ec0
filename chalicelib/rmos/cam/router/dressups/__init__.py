"""Transformations of a neutral toolpath: entries (ramp, helix) and holding tabs."""
