from django.urls import path

from api import views

app_name = "api"
urlpatterns = [
    path("me/", views.Me.as_view(), name="me"),
    path("channels/", views.Channels.as_view(), name="channels"),
    path("teams/", views.Teams.as_view(), name="teams"),
    path("people/", views.People.as_view(), name="people"),
    path("report/", views.Report.as_view(), name="report"),
    path("facts/", views.Facts.as_view(), name="facts"),
    path("plans/", views.Plans.as_view(), name="plans"),
]
