"""Bugs found by the security tests (fuzzing, faults), each pinned by the request that found it."""

import pytest
from django.urls import reverse


@pytest.mark.parametrize("next_url", ["0", "home", "funnel:day", "entry/", "javascript:x"])
def test_language_switch_with_a_next_that_is_not_a_path_goes_home(client, db, next_url):
    # Was a 500: redirect("0") looked "0" up as a URL name.
    response = client.post(reverse("language_set"), {"language": "ru", "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == "/"
