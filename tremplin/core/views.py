from __future__ import annotations

from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from tremplin.core.entities import SESSION_KEY, get_entity_or_404


def home(request: HttpRequest) -> HttpResponse:
    """The landing page after login: the current entity and where to go next."""
    return render(request, "core/home.html")


@require_POST
def switch_entity(request: HttpRequest) -> HttpResponse:
    """Make another visible entity the current one, then go back where the user was."""
    entity = get_entity_or_404(request, request.POST.get("entity", ""))
    request.session[SESSION_KEY] = entity.pk
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    return redirect(next_url)


@login_not_required
def health(request: HttpRequest) -> HttpResponse:
    """Liveness and database check for the load balancer."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


LEGAL_PAGES = {
    "mentions-legales": "core/legal_notice.html",
    "confidentialite": "core/privacy.html",
}


@login_not_required
def legal(request: HttpRequest, page: str) -> HttpResponse:
    try:
        template = LEGAL_PAGES[page]
    except KeyError as exc:
        raise Http404 from exc
    return render(request, template)
