from django.urls import path

from dashboards import commit_views, one_to_one, plan_views, review_views, views, whatif_views

# The namespace the pages had when they lived in the metrics app: mails, templates and
# bookmarks name them metrics:…
app_name = "metrics"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("export/<slug:table>.<slug:fmt>", views.export, name="export"),
    path("leaks/", views.leaks, name="leaks"),
    path("review/", review_views.review, name="review"),
    path("review/mark/", review_views.review_mark, name="review_mark"),
    path("one-to-one/<int:manager>/", one_to_one.one_to_one, name="one_to_one"),
    path("my/", views.my_dashboard, name="my"),
    path("my/export/<slug:table>.<slug:fmt>", views.my_export, name="my_export"),
    path("plans/", plan_views.plans, name="plans"),
    path("plans/cell/", plan_views.plan_cell, name="plan_cell"),
    path("plans/copy/", plan_views.plan_copy, name="plan_copy"),
    path("norms/", plan_views.norms, name="norms"),
    path("commit/", commit_views.commit, name="commit"),
    path("discipline/", plan_views.discipline, name="discipline"),
    path("plan-it/", whatif_views.plan_it, name="plan_it"),
    path("plan-it/use/", whatif_views.plan_it_use, name="plan_it_use"),
]
