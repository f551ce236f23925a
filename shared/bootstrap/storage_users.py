"""Each service's own MinIO user, allowed only what it does under the raw prefix of the bucket;
the root user is used here and nowhere else.

One canned policy per service and bucket (`stocks-elt-<service>-<bucket>`), attached to the
service's user: a user may hold the policies of several buckets at once (the e2e and integration
tests make a bucket each), and a bucket's policies go with `revoke_bucket_access`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog
from minio import MinioAdmin
from minio.credentials.providers import StaticProvider
from minio.error import MinioAdminException

from shared.settings import MINIO_USERS, MinioService, MinioSettings, MinioUserSettings

log = structlog.get_logger()

# What each service does to objects under the raw prefix, and nothing else: no deletes, no
# bucket configuration, no other prefix. Multipart uploads (big objects) need only PutObject,
# plus AbortMultipartUpload to drop the parts of a failed one.
OBJECT_ACTIONS: dict[MinioService, list[str]] = {
    "lister": ["s3:PutObject", "s3:AbortMultipartUpload"],  # the tickers listing object
    "fetcher": ["s3:PutObject", "s3:AbortMultipartUpload"],  # a batch's object
    "loader": ["s3:GetObject"],  # reads the object it was told of
    "transformer": [],  # the reconciler only lists a run's keys
}
LISTS: frozenset[MinioService] = frozenset({"transformer"})
# MinIO's answer to attaching an attached policy or detaching a detached one.
_ALREADY = "XMinioAdminPolicyChangeAlreadyApplied"


def policy_name(service: MinioService, bucket: str) -> str:
    return f"stocks-elt-{service}-{bucket}"


def policy(service: MinioService, bucket: str, prefix: str) -> dict[str, Any]:
    """The IAM policy of one service on one bucket."""
    # minio-py asks for the bucket's region before its first request (no region configured).
    statements: list[dict[str, Any]] = [
        {
            "Effect": "Allow",
            "Action": ["s3:GetBucketLocation"],
            "Resource": [f"arn:aws:s3:::{bucket}"],
        }
    ]
    if OBJECT_ACTIONS[service]:
        statements.append(
            {
                "Effect": "Allow",
                "Action": OBJECT_ACTIONS[service],
                "Resource": [f"arn:aws:s3:::{bucket}/{prefix}*"],
            }
        )
    if service in LISTS:
        statements.append(
            {
                "Effect": "Allow",
                "Action": ["s3:ListBucket"],
                "Resource": [f"arn:aws:s3:::{bucket}"],
                "Condition": {"StringLike": {"s3:prefix": [f"{prefix}*"]}},
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}


def default_users() -> dict[MinioService, MinioUserSettings]:
    """Every service's user from the environment (or its local-stack default)."""
    return {service: cls() for service, cls in MINIO_USERS.items()}


def _admin(settings: MinioSettings) -> MinioAdmin:
    return MinioAdmin(
        endpoint=settings.endpoint,
        credentials=StaticProvider(settings.access_key, settings.secret_key.get_secret_value()),
        secure=settings.secure,
        region=settings.region,
    )


def ensure_bucket_users(
    settings: MinioSettings, users: Mapping[MinioService, MinioUserSettings]
) -> None:
    """Create or update each user (its secret is set again: a rotated one takes effect), put
    its policy for this bucket and attach it. Idempotent."""
    admin = _admin(settings)
    for service, user in users.items():
        admin.user_add(user.access_key, user.secret_key.get_secret_value())
        name = policy_name(service, settings.bucket)
        admin.policy_add(name, policy=policy(service, settings.bucket, settings.raw_prefix))
        try:
            admin.attach_policy([name], user=user.access_key)
        except MinioAdminException as exc:
            # Attaching a policy the user already holds is an error to MinIO, a no-op to us.
            if _ALREADY not in str(exc):
                raise
    log.info("storage_users_ready", bucket=settings.bucket, users=sorted(users))


def revoke_bucket_access(
    settings: MinioSettings, users: Mapping[MinioService, MinioUserSettings] | None = None
) -> None:
    """Detach and delete the bucket's policies (a test's bucket, once it is dropped). The users
    stay: other buckets' policies may still be theirs."""
    admin = _admin(settings)
    for service, user in (users or default_users()).items():
        name = policy_name(service, settings.bucket)
        try:
            admin.detach_policy([name], user=user.access_key)
        except MinioAdminException as exc:
            if _ALREADY not in str(exc):
                log.warning("policy_detach_failed", policy=name, error=str(exc)[:200])
        try:
            admin.policy_remove(name)
        except MinioAdminException as exc:
            log.warning("policy_remove_failed", policy=name, error=str(exc)[:200])


__all__ = [
    "default_users",
    "ensure_bucket_users",
    "policy",
    "policy_name",
    "revoke_bucket_access",
]
