"""Form errors are linked to their fields (aria-describedby names an element that exists and
holds the message), on the pages that render their fields by hand."""

from __future__ import annotations

import re

from django.test import Client
from django.urls import reverse

PASSWORD = "pass-1234-word"


def described(html: str, field_id: str) -> str:
    """The text of the element(s) the field's aria-describedby names ("" when none)."""
    tag = re.search(rf"<(?:input|select)[^>]*\bid=\"{field_id}\"[^>]*>", html)
    assert tag, f"no field {field_id}"
    names = re.search(r'aria-describedby="([^"]+)"', tag.group(0))
    texts = []
    for name in names.group(1).split() if names else []:
        element = re.search(rf'<(\w+)[^>]*\bid="{name}"[^>]*>(.*?)</\1>', html, re.S)
        assert element, f"{field_id} points at {name}, which is not on the page"
        texts.append(re.sub(r"<[^>]+>", "", element.group(2)))
    return " ".join(texts)


def test_a_wrong_password_is_linked_to_both_fields(manager_a, settings):
    settings.AXES_ENABLED = False
    response = Client().post(reverse("login"), {"username": "manager_a", "password": "wrong"})
    html = response.content.decode()
    for field in ("id_username", "id_password"):
        assert "correct username and password" in described(html, field)
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', html)


def test_a_bad_date_on_the_dashboard_is_linked_to_its_field(client, head1, team1):
    client.force_login(head1)
    response = client.get(reverse("metrics:dashboard"), {"period": "custom", "date_from": "x"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Enter a valid date." in described(html, "id_date_from")
    assert described(html, "id_date_to") == ""


def test_a_missing_import_file_is_linked_to_its_field(client, head1, team1):
    client.force_login(head1)
    response = client.post(reverse("funnel:import"), {})
    html = response.content.decode()
    assert "This field is required." in described(html, "id_file")


def test_a_bad_lever_of_the_planner_is_linked_to_its_field(client, head1, manager_a):
    client.force_login(head1)
    response = client.get(
        reverse("metrics:plan_it"), {"who": f"manager-{manager_a.pk}", "check": "-5"}
    )
    html = response.content.decode()
    error = re.search(r'<span class="error" role="alert" id="lever-check-error">(.*?)</span>', html)
    assert error
    assert error.group(1)
    assert described(html, "lever-check").endswith(error.group(1))
    assert re.search(r'id="lever-check"[^>]*aria-invalid="true"', html)
