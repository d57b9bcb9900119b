from django.urls import path

from funnel import views

app_name = "funnel"
urlpatterns = [
    path("", views.day, name="day"),
]
