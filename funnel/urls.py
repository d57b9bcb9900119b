from django.urls import path

from funnel import import_views, views

app_name = "funnel"
urlpatterns = [
    path("", views.day, name="day"),
    path("week/", views.week, name="week"),
    path("cell/", views.cell, name="cell"),
    path("history/", views.history, name="history"),
    path("import/", import_views.import_page, name="import"),
    path("import/template/", import_views.template_download, name="template"),
    path("import/<uuid:token>/", import_views.import_status, name="import_status"),
    path("import/<uuid:token>/run/", import_views.import_run, name="import_run"),
]
