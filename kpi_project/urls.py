from django.contrib import admin
from django.urls import include, path

from dashboards import views as dashboard_views
from teams import views as team_views

urlpatterns = [
    path("", dashboard_views.home, name="home"),
    path("language/", team_views.language_set, name="language_set"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("entry/", include("funnel.urls")),
    path("dashboard/", include("dashboards.urls")),
    path("admin/", admin.site.urls),
]
