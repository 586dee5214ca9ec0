"""Create the table and buckets a stage needs (tests, the local stack).

Production creates them from infra/template.yaml instead; the shapes match.
"""
from __future__ import annotations

from chalicelib import aws, config
from chalicelib.storage.table import table_definition


def _exists(exc: Exception) -> bool:
    code = getattr(exc, "response", {}).get("Error", {}).get("Code", "")
    return code in ("ResourceInUseException", "BucketAlreadyOwnedByYou", "BucketAlreadyExists")


def create_resources() -> None:
    try:
        aws.dynamodb().create_table(**table_definition(config.table_name()))
    except Exception as exc:
        if not _exists(exc):
            raise
    for bucket in (config.requests_bucket(), config.artifacts_bucket()):
        try:
            aws.s3().create_bucket(Bucket=bucket)
        except Exception as exc:
            if not _exists(exc):
                raise
    # The worker's on-failure destination; creating an existing queue is a no-op.
    aws.sqs().create_queue(QueueName=config.cam_worker_failures_queue())
