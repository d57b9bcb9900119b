"""funnel.summaries has one writer and one reader: only funnel.services (writes),
metrics.selectors (reads), the app's wiring (models re-exported, signals connected) and
management commands import it."""

from tests.test_architecture import GRAPH

ALLOWED = {"funnel.services", "metrics.selectors", "funnel.models", "funnel.apps"}


def test_only_the_write_path_and_the_selectors_import_the_summaries():
    outside = sorted(
        module
        for module, targets in GRAPH.items()
        if not module.startswith("funnel.summaries")
        and module not in ALLOWED
        and ".management.commands." not in module
        and any(t == "funnel.summaries" or t.startswith("funnel.summaries.") for t in targets)
    )
    assert outside == []
