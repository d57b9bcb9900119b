import hashlib
import logging

from django.conf import settings
from django.contrib.auth.views import PasswordResetView
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from teams.network import client_ip

logger = logging.getLogger(__name__)


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """Switch the interface language; remembered on the user and in a cookie."""
    language = request.POST.get("language", "")
    if language not in dict(settings.LANGUAGES):
        return HttpResponseBadRequest(_("Unknown language."))
    next_url = request.POST.get("next") or "/"
    # A path on this site only: redirect() would take "0" or "home" for a URL name.
    if not next_url.startswith("/") or not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    if request.user.is_authenticated:
        request.user.language = language
        request.user.save(update_fields=["language"])
    response = HttpResponseRedirect(next_url)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return response


class ThrottledPasswordResetView(PasswordResetView):
    """Django's password reset, with at most PASSWORD_RESET_PER_ADDRESS requests per client
    address and PASSWORD_RESET_PER_ACCOUNT per e-mail address in PASSWORD_RESET_WINDOW
    seconds (counted in the cache). Over the limit the answer is the same "check your mail"
    page and no mail is sent: the page tells nobody whether an account exists or is being
    flooded."""

    def form_valid(self, form):
        email = form.cleaned_data["email"].strip().lower()
        by_address = _counted(f"pwreset:ip:{client_ip(self.request)}")
        by_account = _counted(f"pwreset:email:{hashlib.sha256(email.encode()).hexdigest()}")
        if (
            by_address > settings.PASSWORD_RESET_PER_ADDRESS
            or by_account > settings.PASSWORD_RESET_PER_ACCOUNT
        ):
            logger.warning(
                "Password reset throttled (%s by address, %s by account)", by_address, by_account
            )
            return HttpResponseRedirect(self.get_success_url())
        return super().form_valid(form)


def _counted(key: str) -> int:
    """Count one more request under `key`; the count of the window, 0 with the cache down."""
    cache.add(key, 0, timeout=settings.PASSWORD_RESET_WINDOW)
    try:
        return cache.incr(key) or 0
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.PASSWORD_RESET_WINDOW)
        return 1
