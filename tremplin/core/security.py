"""Security middleware: no caching of authenticated pages, second factor for staff."""

from __future__ import annotations

from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.cache import add_never_cache_headers

# Pages a staff member without TOTP may still open: enrolment itself, logout, static files.
MFA_ENROLMENT_PREFIXES = ("/compte/", "/static/", "/sante/")


class NeverCacheAuthenticatedMiddleware:
    """Forbid caching of pages shown to a logged-in user; send staff without TOTP to enrol."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.TREMPLIN_REQUIRE_MFA_FOR_STAFF
            and user.is_authenticated
            and not request.path.startswith(MFA_ENROLMENT_PREFIXES)
            and user.is_group_staff
            and not Authenticator.objects.filter(user_id=user.pk).exists()
        ):
            return redirect("mfa_activate_totp")
        response = self.get_response(request)
        if user.is_authenticated:
            add_never_cache_headers(response)
        return response
