"""The deployment files agree with each other and with the code.

A stage's environment names the table and buckets; the IAM policy must grant
exactly those and nothing wider; the CloudFormation table must have the keys
and index the code queries.
"""
from __future__ import annotations

import json
import pathlib

import pytest
import yaml

from chalicelib.storage.table import LIST_INDEX, table_definition

ROOT = pathlib.Path(__file__).resolve().parent.parent
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())


class _CfnLoader(yaml.SafeLoader):
    """Reads CloudFormation short-form tags (!Sub, !Ref, ...) as plain values."""


def _any_tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_mapping(node)


_CfnLoader.add_multi_constructor("!", _any_tag)
TEMPLATE = yaml.load((ROOT / "infra" / "template.yaml").read_text(), Loader=_CfnLoader)


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_stage_environment_is_complete(stage):
    env = CONFIG["stages"][stage]["environment_variables"]
    assert set(env) == {"TABLE_NAME", "REQUESTS_BUCKET", "ARTIFACTS_BUCKET", "SITE_ORIGIN",
                        "CAM_WORKER_TIMEOUT_SECONDS", "CAM_WORKER_FAILURES_QUEUE"}
    assert env["SITE_ORIGIN"] != "*"
    assert all(stage in env[k] for k in ("TABLE_NAME", "REQUESTS_BUCKET", "ARTIFACTS_BUCKET"))


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_policy_grants_only_the_stage_resources(stage):
    assert CONFIG["autogen_policy"] is False
    policy = json.loads((ROOT / ".chalice" / CONFIG["stages"][stage]["iam_policy_file"]).read_text())
    env = CONFIG["stages"][stage]["environment_variables"]
    resources = []
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all("*" not in action for action in actions), statement
        resources += statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
    data_resources = [r for r in resources if not r.startswith("arn:aws:logs:")]
    for resource in data_resources:
        assert any(env[k] in resource for k in ("TABLE_NAME", "REQUESTS_BUCKET", "ARTIFACTS_BUCKET",
                                                "CAM_WORKER_FAILURES_QUEUE")), resource
    assert f"arn:aws:dynamodb:*:*:table/{env['TABLE_NAME']}/index/{LIST_INDEX}" in resources
    assert f"arn:aws:s3:::{env['REQUESTS_BUCKET']}/*" in resources
    assert f"arn:aws:s3:::{env['ARTIFACTS_BUCKET']}/*" in resources


def test_template_table_matches_the_code():
    props = TEMPLATE["Resources"]["Table"]["Properties"]
    expected = table_definition("x")
    assert props["KeySchema"] == expected["KeySchema"]
    assert sorted(props["AttributeDefinitions"], key=str) == sorted(expected["AttributeDefinitions"], key=str)
    [gsi] = props["GlobalSecondaryIndexes"]
    [expected_gsi] = expected["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == expected_gsi["IndexName"]
    assert gsi["KeySchema"] == expected_gsi["KeySchema"]


@pytest.mark.parametrize("bucket", ["RequestsBucket", "ArtifactsBucket", "SiteBucket"])
def test_buckets_are_private_encrypted_and_tls_only(bucket):
    resources = TEMPLATE["Resources"]
    props = resources[bucket]["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    policy = resources[bucket + "Policy"]["Properties"]["PolicyDocument"]["Statement"]
    assert any(s["Effect"] == "Deny" and s["Condition"]["Bool"]["aws:SecureTransport"] == "false" for s in policy)
    if bucket != "SiteBucket":
        assert props["VersioningConfiguration"]["Status"] == "Enabled"


@pytest.mark.parametrize("stage", ["dev", "prod"])
def test_worker_failures_go_to_the_queue_the_reconciler_reads(stage):
    resources = TEMPLATE["Resources"]
    queue = resources["CamWorkerFailures"]["Properties"]["QueueName"]
    env = CONFIG["stages"][stage]["environment_variables"]
    assert queue.replace("${Stage}", stage) == env["CAM_WORKER_FAILURES_QUEUE"]
    wiring = resources["CamWorkerInvokeConfig"]["Properties"]
    assert wiring["FunctionName"].replace("${Stage}", stage) == f"{CONFIG['app_name']}-{stage}-cam_worker"
    assert "CamWorkerFailures" in str(wiring["DestinationConfig"]["OnFailure"]["Destination"])
    policy = json.loads((ROOT / ".chalice" / CONFIG["stages"][stage]["iam_policy_file"]).read_text())
    granted = [s for s in policy["Statement"] if env["CAM_WORKER_FAILURES_QUEUE"] in str(s["Resource"])]
    assert {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:SendMessage"} <= set(granted[0]["Action"])
