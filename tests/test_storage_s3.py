"""Images in S3-compatible storage (moto's server, authentication on) are never public."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import boto3
import httpx
import pytest
from django.urls import reverse

from gallery import services
from gallery.models import Generation
from tests.factories import GenerationFactory, UserFactory

pytestmark = [pytest.mark.pipeline, pytest.mark.security]

BUCKET = "mka1-private"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def s3_server() -> Iterator[dict[str, str]]:
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    # The first three calls create the portal's IAM user; every call after them must be signed.
    env = {"INITIAL_NO_AUTH_ACTION_COUNT": "3", "PATH": "/usr/bin:/bin"}
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        bootstrap = {"aws_access_key_id": "bootstrap", "aws_secret_access_key": "bootstrap"}
        iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1", **bootstrap)
        iam.create_user(UserName="portal")
        key = iam.create_access_key(UserName="portal")["AccessKey"]
        policy = {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}],
        }
        iam.put_user_policy(UserName="portal", PolicyName="s3", PolicyDocument=json.dumps(policy))
        credentials = {
            "endpoint_url": endpoint,
            "access_key": key["AccessKeyId"],
            "secret_key": key["SecretAccessKey"],
        }
        boto3.client(
            "s3",
            endpoint_url=endpoint,
            region_name="us-east-1",
            aws_access_key_id=credentials["access_key"],
            aws_secret_access_key=credentials["secret_key"],
        ).create_bucket(Bucket=BUCKET)
        yield credentials
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture
def s3_storage(settings, s3_server):  # type: ignore[no-untyped-def]
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "region_name": "us-east-1",
                "default_acl": "private",
                "querystring_auth": True,
                "signature_version": "s3v4",
                "file_overwrite": True,
                **s3_server,
            },
        },
    }
    settings.S3_URL_SECONDS = 60
    return s3_server


@pytest.mark.django_db(transaction=True)
def test_pipeline_stores_in_s3_and_only_the_owner_gets_a_short_lived_url(
    client, s3_storage, standin
) -> None:
    owner, outsider = UserFactory(), UserFactory()
    generation = GenerationFactory(
        user=owner, status=Generation.Status.QUEUED, response_format="b64_json", n=1
    )
    services.generation_run(generation_id=generation.pk)
    generation.refresh_from_db()
    assert generation.status == Generation.Status.SUCCEEDED, generation.error_message
    image = generation.images.get()

    anonymous = httpx.get(f"{s3_storage['endpoint_url']}/{BUCKET}/{image.file.name}")
    assert anonymous.status_code == 403

    client.force_login(outsider)
    assert client.get(reverse("gallery:image-file", args=[image.pk])).status_code == 404

    client.force_login(owner)
    response = client.get(reverse("gallery:image-file", args=[image.pk]))
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    query = parse_qs(location.query)
    # Signed for the portal's key, for this object only, for a minute at most. (moto's IAM mode
    # reads only the Authorization header, so it cannot serve the presigned URL itself.)
    assert f"{location.scheme}://{location.netloc}" == s3_storage["endpoint_url"]
    assert location.path == f"/{BUCKET}/{image.file.name}"
    assert int(query["X-Amz-Expires"][0]) <= 60
    assert query["X-Amz-Credential"][0].startswith(s3_storage["access_key"] + "/")
    assert query["X-Amz-Signature"][0]
    assert query["response-content-type"] == ["image/png"]

    signed = boto3.client(
        "s3",
        endpoint_url=s3_storage["endpoint_url"],
        region_name="us-east-1",
        aws_access_key_id=s3_storage["access_key"],
        aws_secret_access_key=s3_storage["secret_key"],
    ).get_object(Bucket=BUCKET, Key=image.file.name)
    assert signed["Body"].read().startswith(b"\x89PNG")
