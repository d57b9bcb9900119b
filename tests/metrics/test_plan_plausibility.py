"""The plan grid keeps to the plausibility rules (dashboards.plan_checks): a month's maximum
is the daily one times its working days; a plan far above the manager's best month asks
"Save anyway"."""

from django.utils import timezone

from metrics.compute import month_bounds, working_days
from plans.models import Plan
from tests.factories import write_fact
from tests.metrics.test_plan_views import cell_data, next_month, post_cell


def test_plan_cell_refuses_the_impossible_and_confirms_the_unusual(client, head1, manager_a):
    client.force_login(head1)
    days = working_days(*month_bounds(next_month()), {})
    data = cell_data(manager_a, indicator="first_contacts")
    html = post_cell(client, {**data, "value": str(1000 * days + 1)}).content.decode()
    assert f"a day × {days} working days" in html
    html = post_cell(client, {**data, "value": "1e9"}).content.decode()
    assert "exponents such as 1e9 are not accepted" in html
    unusual = str(20 * days + 1)
    html = post_cell(client, {**data, "value": unusual}).content.decode()
    assert "far above this manager&#x27;s best month (0)" in html
    assert 'name="confirm_unusual" value="1"' in html
    assert not Plan.objects.exists()
    html = post_cell(client, {**data, "value": unusual, "confirm_unusual": "1"}).content.decode()
    assert Plan.objects.get().value == int(unusual)
    # With a month of 400 first contacts, up to 5 x 400 is usual.
    write_fact(manager_a, "active", timezone.localdate(), first_contacts=400)
    post_cell(client, {**data, "value": "2000"})
    assert Plan.objects.get().value == 2000
    html = post_cell(client, {**data, "value": "2001"}).content.decode()
    assert "best month (400)" in html
