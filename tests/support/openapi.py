"""Responses checked against the OpenAPI description the API serves (openapi-core): the operation is
found by path and method, the status must be described, and the body must match its schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx2
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse


class Described:
    def __init__(self, description: Mapping[str, Any]) -> None:
        self.openapi = OpenAPI.from_dict(dict(description))  # checks the description itself first

    def check(self, response: httpx2.Response) -> httpx2.Response:
        """``response`` unchanged, once openapi-core found nothing wrong with it."""
        request = response.request
        headers = {k: v for k, v in request.headers.items() if k.lower() in ("authorization",)}
        mock_request = MockRequest(
            f"{request.url.scheme}://{request.url.host}",
            request.method.lower(),
            request.url.path,
            args=dict(request.url.params),
            headers=headers,
        )
        content_type = response.headers.get("content-type", "").split(";")[0]
        mock_response = MockResponse(
            response.content, status_code=response.status_code, content_type=content_type,
            headers=dict(response.headers),
        )  # fmt: skip
        self.openapi.validate_response(mock_request, mock_response)
        return response
