from django.urls import path

from metrics import views

app_name = "metrics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export/<slug:table>.<slug:fmt>", views.export, name="export"),
    path("my/", views.my_dashboard, name="my"),
    path("my/export/<slug:table>.<slug:fmt>", views.my_export, name="my_export"),
]
