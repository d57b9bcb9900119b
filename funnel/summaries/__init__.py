"""The summaries: the daily facts summed so that dashboards never read the facts.

Why
---
A dashboard sums facts over a period. Summed from the raw facts, a year view of 500 managers
reads millions of count rows and grows with the length of history. `DailyTotal` keeps one row
per (team_key, date, channel, code), on two levels:

* team_key = ALL_TEAMS (-1): every manager. Unfiltered (director's) views read only these rows:
  a year is 365 × (stages + activities + money codes) rows, whatever the number of managers.
* team_key = the team of the facts — the team their manager was in on that day, stored on
  each fact (DailyFact.team) — or NO_TEAM (0) for days in no team: a team view reads its
  team's rows. A dedicated value rather than NULL because NULLs are distinct in unique keys,
  so an upsert would never meet the existing row.

A manager's own view reads the facts themselves (index fact_manager_date). `code` is a
stage/activity code of the channel or a money code. `value` is an integer: counts as they
are and money in hundredths, because integer sums are exact on both databases (SQLite keeps
decimals as binary floating point) and cheaper; `total_value()` turns a sum back into money.

`MonthTotal` holds the same sums per calendar month (same keys, `date` = the month's 1st),
kept by the same functions in the same statements' transactions: a year view reads its whole
months there and only the days at its ends here (read.py).

Team means the team ON THE FACT'S DAY (teams.Membership): a move dated today or later
changes no recorded row; a move dated in the past re-attributes only the facts from that day
on (`facts_reattribute`), so the closed months of other days never change.

`ManagerTotal`, the per-manager pivot, serves the leaderboard and the "where managers lose
clients" table, which need sums per manager: one wide row per (period, start, manager,
channel, team_key) — the channel's stages by funnel position (stage_1 … stage_6) and the
money block, for four periods (buckets.py): day, half-week, week part and month, each
inside one month. Positions follow the channel's stages ordered by (order, id): when an
admin adds, removes, reorders or re-kinds a stage, the channel's rows are rebuilt from the
facts in that transaction (rebuild.rebuild_channels_if_reordered).

Modules
-------
models (the tables, registered through funnel.models), units (team keys, kopecks), buckets
(periods of time), bulk (raw multi-row inserts), fresh (the facts aggregated afresh, as
querysets), write (increments, team re-attribution), signals (writes outside facts_write),
rebuild and verify (`totals_rebuild`, `totals_verify`), read (sums for metrics.selectors).
Only funnel.services, metrics.selectors, management commands and tests import this package.

Consistency
-----------
Every change adds (new − old) to the two rows it belongs to, in the transaction of the change:

* `facts_write` (day form, grid, import, admin, demo) computes old → new for every value and
  calls `totals_add` once with all the differences;
* direct ORM `save()`/`delete()` of a DailyFact or DailyCount (shell, admin actions) are caught
  by the signals below (queryset `update()` of facts is not: use facts_write);
* saving a User whose team changed records a membership from `user.team_since` (set by the
  admin and the people import; today otherwise); saving or deleting a Membership
  re-attributes that person's facts from the earliest day it touches (`facts_reattribute`:
  the facts' team, then the differences out of the old team's rows and into the new one's),
  inside the caller's transaction. Deleting a team merges its rows into NO_TEAM, as its
  facts' and memberships' team becomes NULL. Renaming an indicator's code renames its rows.
* `User.objects.filter(...).update(team=...)`, raw SQL and `loaddata` (raw saves) send no
  usable signals: the facts' teams and the totals then miss those changes.
  `totals_verify` reports every difference (facts whose team is not their membership's
  included) and `totals_rebuild` repairs them.

Concurrency: increments are atomic upserts (INSERT … ON CONFLICT DO UPDATE SET value =
value + excluded.value, the same SQL on SQLite ≥ 3.24 and PostgreSQL), so two transactions
changing different managers' facts of the same (date, channel, team) both land; nothing is
recomputed from a snapshot. Locks are taken in one order everywhere so that writers do not
deadlock: the managers' user rows (FOR NO KEY UPDATE, sorted; this also serialises a write
with a team move of the same manager, so a delta never lands on a team the manager just
left), then the facts, then total rows sorted by key. A rebuild locks the table against
writers (PostgreSQL; SQLite writers are serial anyway). A large write's inserts of counts,
facts and history may run in a background thread on the same connection (bulk.InsertWriter),
between the statements of the totals: they take no new lock on a fact (all locked before)
and lock only count rows of those facts, so the order above still holds.
"""
