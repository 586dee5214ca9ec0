"""The whole product on loopback: `python -m luthier.local` (what `make run` starts).

moto's server stands in for AWS, Chalice's local server hosts the same app
object API Gateway invokes, a small HTTP server serves `web/` with a generated
`config.json`, and an event pump turns S3 ObjectCreated notifications for the
requests bucket (delivered by moto to an SQS queue) into calls of the same
`cam_worker` handler Lambda runs. See docs/local-stack.md.
"""
