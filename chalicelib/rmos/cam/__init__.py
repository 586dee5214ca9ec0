"""The CAM domain: intents, planning, posts and the worker. It never imports chalicelib.art_studio."""
