"""Recompute the maintained totals from the daily facts, in one transaction."""

import time

from django.core.management.base import BaseCommand

from funnel.summaries.rebuild import totals_rebuild


class Command(BaseCommand):
    help = (
        "Recompute the maintained daily totals (by the managers' current teams) and the "
        "per-manager pivot from the facts."
    )

    def handle(self, *args, **options) -> None:
        started = time.perf_counter()
        rows = totals_rebuild()
        elapsed = time.perf_counter() - started
        self.stdout.write(f"Rebuilt {rows} total rows in {elapsed:.2f} s.")
