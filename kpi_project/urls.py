from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from api import profile as api_profile
from dashboards import views as dashboard_views
from teams import views as team_views

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("language/", team_views.language_set, name="language_set"),
    path("accounts/profile/", api_profile.profile, name="profile"),
    # Before django.contrib.auth.urls, whose "password_reset" this one replaces.
    path(
        "accounts/password_reset/",
        team_views.ThrottledPasswordResetView.as_view(),
        name="password_reset",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("entry/", include("funnel.urls")),
    path("dashboard/", include("dashboards.urls")),
    path("board/", include("dashboards.board_urls")),
    path("api/v1/", include("api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("bot/", include("bot.urls")),
    path("admin/", admin.site.urls),
]

handler400 = "kpi_project.errors.bad_request"
handler403 = "kpi_project.errors.permission_denied"
handler404 = "kpi_project.errors.page_not_found"
handler500 = "kpi_project.errors.server_error"
