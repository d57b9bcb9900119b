"""The dashboard's panel groups: each a mixin of `dashboards.dashboard.Dashboard`."""
