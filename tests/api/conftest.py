"""A client per token: every API test talks to the app as a token's owner would."""

import pytest
from django.test import Client

from api.tokens import token_create


class ApiClient:
    """Django's test client with the token's Authorization header and JSON bodies."""

    def __init__(self, raw: str | None):
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {raw}"} if raw else {}

    def get(self, url: str, params: dict | None = None):
        return self.client.get(url, params or {}, headers=self.headers)

    def post(self, url: str, body):
        return self.client.post(url, body, content_type="application/json", headers=self.headers)


@pytest.fixture
def api_as():
    def make(user, name: str = "script") -> ApiClient:
        _token, raw = token_create(user=user, name=name)
        return ApiClient(raw)

    return make
