"""Standard Webhooks signing, shared by the sandbox (signer) and the suite (verifier).

A secret in the Standard Webhooks form ``whsec_<base64>`` is used as such;
any other string is taken as the raw key bytes, so a partner can pass the
secret their platform shows them either way.
"""

from __future__ import annotations

import base64
import binascii

from standardwebhooks.webhooks import EmptyWebhookSecretError, Webhook

from sfc_conformance.core.secrets import Secret


def webhook_for(secret: Secret) -> Webhook:
    raw = secret.reveal()
    if raw.startswith("whsec_"):
        try:
            return Webhook(raw)
        except (binascii.Error, ValueError, EmptyWebhookSecretError) as exc:  # "whsec_@@" decodes to nothing
            raise ValueError("webhook secret starts with whsec_ but is not valid base64") from exc
    return Webhook(raw.encode())


def generate_secret() -> str:
    import secrets

    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
