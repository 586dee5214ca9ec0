"""Developer-side tools that never ship in the Lambda zip.

The SDK and CLI (`python -m luthier.cli`) and the local stack
(`python -m luthier.local`) sit outside `chalicelib` because Chalice packages
everything under `chalicelib/` into the deployment; they import the product
code from there, never the other way round.
"""
