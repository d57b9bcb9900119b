"""One error shape for every API answer that is not a success (docs/api.md):

    {"detail": "…", "errors": [{"item": 0, "field": "value", "reason": "…"}]}

`errors` lists what was wrong with the input (400), like the import's bad rows: `item` is
the position in the batch (0 first; null for the request as a whole), `field` the field or
query parameter, `reason` the message in the caller's language.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_handler

# Answers every operation may give besides its success, documented once for all of them.
ERROR_ANSWERS = {
    "400": "The input is invalid: every problem is listed in `errors`; nothing was written.",
    "401": "No token, or an unknown or revoked one.",
    "403": "The token's owner may not do this.",
    "404": "Not found, or not visible to the token's owner.",
    "405": "Method not allowed.",
    "406": "Only JSON is served.",
    "415": "Send JSON (Content-Type: application/json).",
    "429": "Too many requests for this token: wait the Retry-After seconds.",
}
ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "item": {"type": "integer", "nullable": True},
                    "field": {"type": "string"},
                    "reason": {"type": "string"},
                },
                "required": ["item", "field", "reason"],
            },
        },
    },
    "required": ["detail"],
}


def problem(field: str, reason: str, item: int | None = None) -> dict:
    return {"item": item, "field": field, "reason": str(reason)}


class InvalidInput(exceptions.APIException):
    """A 400 with its list of problems (the import's shape)."""

    status_code = 400

    def __init__(self, errors: list[dict]):
        super().__init__(_("The input is invalid; nothing was written."))
        self.errors = errors


def _flatten(detail, field: str = "") -> list[dict]:
    """DRF's nested {field: [messages]} as a flat list of problems."""
    if isinstance(detail, dict):
        found = []
        for key, value in detail.items():
            name = field if key == "non_field_errors" else (f"{field}.{key}" if field else key)
            found += _flatten(value, name)
        return found
    if isinstance(detail, list):
        found = []
        for value in detail:
            found += _flatten(value, field)
        return found
    return [problem(field, detail)]


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    if isinstance(exc, exceptions.ValidationError):
        exc = InvalidInput(_flatten(exc.detail))
    response = drf_handler(exc, context)
    if response is None:
        return None
    body = {"detail": str(exc.detail) if isinstance(exc.detail, str) else _("Invalid input.")}
    if isinstance(exc, InvalidInput):
        body["errors"] = exc.errors
    response.data = body
    return response


def document_errors(result, generator, request, public):
    """drf-spectacular post-processing: the Error schema and the error answers of every
    operation, so that a client (and the contract test) knows every status it may get."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    ref = {"$ref": "#/components/schemas/Error"}
    for path in result.get("paths", {}).values():
        for operation in path.values():
            answers = operation.setdefault("responses", {})
            for status, text in ERROR_ANSWERS.items():
                answers.setdefault(
                    status, {"description": text, "content": {"application/json": {"schema": ref}}}
                )
    return result
