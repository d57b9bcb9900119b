"""The wallboard pages: the board behind a link (no login), a leader's own board, and the
page where heads make, list and revoke their links (docs/wallboard.md)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST, require_safe

from dashboards import board as boards
from dashboards.models import BoardLink
from teams.models import Team, User
from teams.scope import can_lead, teams_visible_to

TEMPLATE = "dashboards/board.html"
# The panels a board rotates through, in order: (key, title).
PANELS = (
    ("headline", gettext_lazy("Headline numbers")),
    ("pace", gettext_lazy("Pace against plan")),
    ("leaders", gettext_lazy("Leaderboard")),
    ("funnels", gettext_lazy("Funnels")),
)


def _private(response: HttpResponse) -> HttpResponse:
    """A board is never stored by a cache, never indexed, and its address (the token) is
    never sent on as a Referer."""
    patch_cache_control(response, private=True, no_store=True)
    response["X-Robots-Tag"] = "noindex, nofollow"
    response["Referrer-Policy"] = "no-referrer"
    return response


def _render_board(
    request: HttpRequest,
    *,
    viewer: User,
    team: Team | None,
    show_names: bool,
    rotate: int,
    title: str,
    live_url: str,
    language: str,
    fragment: bool,
) -> HttpResponse:
    with translation.override(language):
        filters = boards.board_filters(viewer=viewer, team=team, today=timezone.localdate())
        if filters is None:
            raise Http404
        ctx = {
            "board": boards.Board(filters, show_names=show_names),
            "title": title,
            "rotate": rotate,
            "live_url": live_url,
            "panels": PANELS,
            "updated": timezone.localtime(),
        }
        response = render(request, f"{TEMPLATE}#live" if fragment else TEMPLATE, ctx)
    response["Content-Language"] = language
    return _private(response)


def _link_or_404(token: str) -> BoardLink:
    link = boards.link_for(token)
    if link is None:
        raise Http404
    return link


def _link_board(request: HttpRequest, token: str, *, fragment: bool) -> HttpResponse:
    link = _link_or_404(token)
    return _render_board(
        request,
        viewer=link.created_by,
        team=link.team,
        show_names=link.show_names,
        rotate=link.rotate_seconds,
        title=link.team.name if link.team else link.label,
        live_url=reverse("board:live", args=[token]),
        language=link.language,
        fragment=fragment,
    )


@require_safe
def board(request: HttpRequest, token: str) -> HttpResponse:
    """The board behind a link: no login, read-only, this link's scope and nothing else."""
    return _link_board(request, token, fragment=False)


@require_safe
def live(request: HttpRequest, token: str) -> HttpResponse:
    """The board's panels alone: what the TV polls every minute."""
    return _link_board(request, token, fragment=True)


def _own_board(request: HttpRequest, *, fragment: bool) -> HttpResponse:
    user = request.user
    if not can_lead(user):
        raise PermissionDenied
    team = None
    if request.GET.get("team"):
        try:
            team = teams_visible_to(user).get(pk=int(request.GET["team"]))
        except (ValueError, OverflowError, Team.DoesNotExist):
            raise Http404 from None
    query = f"?team={team.pk}" if team else ""
    return _render_board(
        request,
        viewer=user,
        team=team,
        show_names=True,
        rotate=15,
        title=team.name if team else _("All my teams"),
        live_url=reverse("board:mine_live") + query,
        language=translation.get_language(),
        fragment=fragment,
    )


@login_required
@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    """A leader's own board, for a screen they are signed in on: their scope, with names."""
    return _own_board(request, fragment=False)


@login_required
@require_safe
def mine_live(request: HttpRequest) -> HttpResponse:
    return _own_board(request, fragment=True)


class BoardLinkForm(forms.ModelForm):
    class Meta:
        model = BoardLink
        fields = ("label", "team", "show_names", "rotate_seconds", "language")

    def __init__(self, *args, user: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams_visible_to(user)
        self.fields["team"].empty_label = _("All my teams")
        rotate = self.fields["rotate_seconds"]
        rotate.validators += [
            MinValueValidator(boards.MIN_ROTATE),
            MaxValueValidator(boards.MAX_ROTATE),
        ]
        rotate.widget.attrs.update(min=boards.MIN_ROTATE, max=boards.MAX_ROTATE)
        self.fields["language"].initial = user.language or translation.get_language()
        self.fields["label"].strip = True


@login_required
def links(request: HttpRequest) -> HttpResponse:
    """A leader's wallboard links: make one (its address is shown once), list, revoke."""
    user = request.user
    if not can_lead(user):
        raise PermissionDenied
    new_url = None
    if request.method == "POST":
        form = BoardLinkForm(request.POST, user=user)
        if form.is_valid():
            data = form.cleaned_data
            try:
                _link, raw = boards.link_create(user=user, **data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                new_url = request.build_absolute_uri(reverse("board:board", args=[raw]))
                form = BoardLinkForm(user=user)
    else:
        form = BoardLinkForm(user=user)
    ctx = {
        "form": form,
        "new_url": new_url,
        "links": BoardLink.objects.filter(created_by=user).select_related("team"),
        "languages": dict(settings.LANGUAGES),
    }
    # Signed in, so never cached (PrivateResponsesMiddleware); the page's own address holds
    # no token, and a no-referrer policy here would send "Origin: null" and fail the CSRF check.
    return render(request, "dashboards/board_links.html", ctx)


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one of the leader's own links: the TV showing it gets a 404 at its next poll."""
    if not can_lead(request.user):
        raise PermissionDenied
    if not boards.link_revoke(user=request.user, pk=pk):
        raise Http404
    messages.success(request, _("The link was revoked: the board behind it no longer opens."))
    return redirect("board:links")
