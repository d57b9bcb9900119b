"""/board/: wallboards for a TV (docs/wallboard.md)."""

from django.urls import path, re_path

from dashboards import board_views

app_name = "board"
TOKEN = r"(?P<token>[A-Za-z0-9_-]{43})"
urlpatterns = [
    path("", board_views.mine, name="mine"),
    path("live/", board_views.mine_live, name="mine_live"),
    path("links/", board_views.links, name="links"),
    path("links/<int:pk>/revoke/", board_views.revoke, name="revoke"),
    re_path(rf"^{TOKEN}/$", board_views.board, name="board"),
    re_path(rf"^{TOKEN}/live/$", board_views.live, name="live"),
]
