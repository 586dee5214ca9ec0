"""The shared moto stage behind `aws_env` and `cam_env`: every entry starts empty."""
from __future__ import annotations

from chalicelib import aws, config
from chalicelib.storage.table import Table


def _fill() -> None:
    Table().claim({"pk": "K#1", "sk": "IDX", "value": "left over"})
    for bucket in (config.requests_bucket(), config.artifacts_bucket()):
        aws.s3().put_object(Bucket=bucket, Key="a/b.json", Body=b"1")
        aws.s3().put_object(Bucket=bucket, Key="a/b.json", Body=b"2")


def _versioning() -> str | None:
    return aws.s3().get_bucket_versioning(Bucket=config.artifacts_bucket()).get("Status")


def _assert_empty() -> None:
    assert aws.dynamodb().scan(TableName=config.table_name())["Count"] == 0
    for bucket in (config.requests_bucket(), config.artifacts_bucket()):
        versions = aws.s3().list_object_versions(Bucket=bucket)
        assert not versions.get("Versions") and not versions.get("DeleteMarkers")


def test_each_entry_empties_what_the_last_test_left(aws_stage):
    aws_stage.enter(versioned_artifacts=True)
    try:
        _fill()
        aws.s3().delete_object(Bucket=config.artifacts_bucket(), Key="a/b.json")  # a delete marker too
        assert len(aws.s3().list_object_versions(Bucket=config.artifacts_bucket())["Versions"]) == 2
    finally:
        aws_stage.exit()
    aws_stage.enter(versioned_artifacts=True)
    try:
        _assert_empty()
        assert _versioning() == "Enabled"
        _fill()
    finally:
        aws_stage.exit()
    # The plain stage is a fresh account's: the artifacts bucket has never been versioned.
    aws_stage.enter(versioned_artifacts=False)
    try:
        _assert_empty()
        assert _versioning() is None
    finally:
        aws_stage.exit()


def test_the_stage_recovers_when_another_moto_session_wiped_the_account(aws_stage):
    from moto import mock_aws

    with mock_aws():  # resets every backend, as the bench's in-process stage does
        aws.reset()
    aws_stage.enter(versioned_artifacts=False)
    try:
        _assert_empty()
        assert Table().claim({"pk": "K#2", "sk": "IDX"}).created
    finally:
        aws_stage.exit()


def test_between_tests_boto3_reaches_no_fake(aws_stage):
    aws_stage.enter(versioned_artifacts=False)
    aws_stage.exit()
    from moto.core.models import botocore_stubber

    assert not botocore_stubber.enabled


def test_a_table_past_one_scan_page_is_emptied(aws_stage):
    aws_stage.enter(versioned_artifacts=False)
    try:
        table = Table()
        for n in range(40):  # 40 x 40 kB: a scan returns it in more than one page
            table.claim({"pk": f"BIG#{n:02d}", "sk": "IDX", "doc": "x" * 40_000})
        first = aws.dynamodb().scan(TableName=config.table_name())
        assert "LastEvaluatedKey" in first
    finally:
        aws_stage.exit()
    aws_stage.enter(versioned_artifacts=False)
    try:
        _assert_empty()
    finally:
        aws_stage.exit()
