"""Codat-shaped errors.

Every refusal the sandbox makes is an :class:`ApiError`, rendered once, here,
as an ``ErrorMessage`` body whose ``statusCode`` equals the HTTP status.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

RETRYABLE = {408, 429, 500, 502, 503, 504}


@dataclass
class ValidationIssue:
    item_id: str
    message: str
    validator: str = "ConfigurationValidator"

    def to_json(self) -> dict[str, Any]:
        return {"itemId": self.item_id, "message": self.message, "validatorName": self.validator}


@dataclass
class ApiError(Exception):
    status: int
    message: str
    issues: list[ValidationIssue] = field(default_factory=list)
    service: str = "PublicApi"
    headers: dict[str, str] = field(default_factory=dict)

    def __str__(self) -> str:
        return f"{self.status} {self.message}"

    def body(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "statusCode": self.status,
            "service": self.service,
            "error": self.message,
            "correlationId": uuid.uuid4().hex,
            "canBeRetried": "True" if self.status in RETRYABLE else "False",
            "detailedErrorCode": 0,
        }
        if self.issues:
            payload["validation"] = {"errors": [i.to_json() for i in self.issues], "warnings": []}
        return payload


def bad_request(message: str, issues: list[ValidationIssue] | None = None) -> ApiError:
    return ApiError(400, message, issues or [])


def not_found(message: str) -> ApiError:
    return ApiError(404, message, service="ClientsApi")
