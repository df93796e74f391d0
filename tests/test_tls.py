"""One TLS context per process, built again when the environment names another CA bundle."""

from __future__ import annotations

from pathlib import Path

import pytest
import trustme

from sfc_conformance.core.http import tls_context


def test_every_client_shares_one_context_until_the_bundle_changes(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    assert tls_context() is tls_context()
    bundle = tmp_path / "ca.pem"
    trustme.CA().cert_pem.write_to_path(str(bundle))
    monkeypatch.setenv("SSL_CERT_FILE", str(bundle))
    ours = tls_context()
    assert len(ours.get_ca_certs()) == 1  # the bundle named, not certifi's
    monkeypatch.delenv("SSL_CERT_FILE")
    assert len(tls_context().get_ca_certs()) > 1
