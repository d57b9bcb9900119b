"""Cache of dashboard answers: repeated identical requests skip the sums.

What is cached is the computed panels of a `Dashboard` (its cached properties: plain
dataclasses, model instances and figure dicts), not HTML: the page still renders per request
with its own CSRF token and CSP nonce, and the view still checks who may see what.

Key: whose view it is (the director's and admins' whole company is shared; heads and
managers by user), the normalised filters (the query string the form settled on), today,
the language and the panel, plus the versions of everything it read:

* the facts of the teams in scope (funnel.totals bumps a team's version and the overall one
  on every write, now and again on commit; the whole company reads the overall one), and
* the catalogue: any saved or deleted row of another model (people, teams, plans, channels,
  holidays, expenses) bumps it through the signals below; bulk writes that send no signals
  bump it themselves (the plan copy in metrics/plan_services.py).

The cache is on with REDIS_URL (settings.DASHBOARD_CACHE): kpi_project.cache.FailSafeRedisCache,
shared by every app process; Redis down means every request is a miss, served from the
database.
"""

from __future__ import annotations

import hashlib
import logging
import pickle

from django.conf import settings
from django.core.cache import cache

from dashboards.dashboard import Dashboard, Filters
from funnel.models import DailyTotal
from funnel.totals import CATALOGUE, versions_get

logger = logging.getLogger(__name__)
TIMEOUT = getattr(settings, "DASHBOARD_CACHE_TIMEOUT", 120)
# The request's own: its filters, links, and which long tables it shows whole (`?all=`,
# outside the key: the cached rows are the whole tables, cut only when shown).
NOT_CACHED = {"f", "drill_url", "show_all"}


def scope_teams(filters: Filters) -> list[int | str]:
    """The version keys of the facts a dashboard reads."""
    if filters.mine:
        return [_team_key(filters.viewer.team_id)]
    if filters.manager is not None:
        return [_team_key(filters.manager.team_id)]
    if filters.team is not None:
        return [filters.team.pk]
    if filters.fact_teams is not None:
        return sorted(filters.fact_teams.values_list("pk", flat=True))
    return [DailyTotal.ALL_TEAMS]


def _team_key(team_id: int | None) -> int:
    return DailyTotal.NO_TEAM if team_id is None else team_id


def dashboard_key(filters: Filters, *, query: str, panel: str, language: str) -> str:
    viewer = filters.viewer
    who = "all" if viewer.sees_everything and not filters.mine else f"user:{viewer.pk}"
    versions = versions_get([CATALOGUE, *scope_teams(filters)])
    parts = [
        who,
        query,
        filters.today.isoformat(),
        language,
        panel,
        repr(sorted(versions.items(), key=str)),
    ]
    digest = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return f"dashboard:{digest}"


def dashboard_restore(dash: Dashboard, key: str) -> bool:
    """Fill `dash` with a cached answer; False on a miss (or an unreadable entry)."""
    data = cache.get(key)
    if data is None:
        return False
    try:
        dash.__dict__.update(pickle.loads(data))
    except Exception:
        logger.warning("unreadable dashboard cache entry %s", key, exc_info=True)
        return False
    return True


def dashboard_store(dash: Dashboard, key: str) -> None:
    values = {k: v for k, v in dash.__dict__.items() if k not in NOT_CACHED}
    try:
        data = pickle.dumps(values, protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:
        logger.warning("dashboard answer not picklable", exc_info=True)
        return
    cache.set(key, data, TIMEOUT)
