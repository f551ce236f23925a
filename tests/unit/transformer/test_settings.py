"""The transformer starts without MinIO's root secret: it connects as its own MinIO user."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.transformer.settings import TransformerSettings
from shared.settings import MinioSettings

pytestmark = pytest.mark.unit


class TestNoRootSecret:
    def test_settings_build_without_minio_root_credentials(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """Only PG_PASSWORD is set (no .env here): the transformer's settings build, and it
        reaches the bucket as elt-transformer, with that user's secret."""
        monkeypatch.chdir(tmp_path)
        for name in ("MINIO_SECRET_KEY", "MINIO_ACCESS_KEY", "MINIO_TRANSFORMER_SECRET_KEY"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("PG_PASSWORD", "x")
        monkeypatch.setenv("MINIO_TRANSFORMER_SECRET_KEY", "its-own")

        minio = TransformerSettings().minio.for_service("transformer")

        assert ("elt-transformer", "its-own") == (
            minio.access_key,
            minio.secret_key.get_secret_value(),
        )

    def test_bootstrap_still_needs_the_root_secret(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        """The root settings keep their required secret: bootstrap fails fast without it."""
        monkeypatch.chdir(tmp_path)
        monkeypatch.delenv("MINIO_SECRET_KEY", raising=False)

        with pytest.raises(ValueError, match="secret_key"):
            MinioSettings()
