from django.conf import settings
from django.http import HttpRequest


def app(request: HttpRequest) -> dict:
    return {"CURRENCY": settings.CURRENCY}
