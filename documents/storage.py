"""The object store: a boto3 client built from the same settings django-storages uses."""

import boto3
from botocore.config import Config
from django.conf import settings


def s3_client(*, timeout: float | None = None):
    """A boto3 S3 client for the configured endpoint; `timeout` bounds connect and read."""
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path"},
        connect_timeout=timeout or 10,
        read_timeout=timeout or 60,
        retries={"max_attempts": 1 if timeout else 3},
    )
    return boto3.client(
        "s3",
        endpoint_url=settings.S3_ENDPOINT_URL,
        region_name=settings.S3_REGION,
        aws_access_key_id=settings.S3_ACCESS_KEY_ID,
        aws_secret_access_key=settings.S3_SECRET_ACCESS_KEY,
        config=config,
    )
