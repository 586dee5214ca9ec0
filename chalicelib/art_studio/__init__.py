"""Art Studio: the design-first workflow. It never imports chalicelib.rmos."""
