"""The dashboards of an entity and of the group, their exports and the annual activity report.

The group's figures add up every entity of the group: they need an indicator role in each of
them. A group or an entity the user cannot see answers 404.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.text import slugify

from tremplin.core.dates import today
from tremplin.core.entities import entity_required, get_entity_or_404, require_roles
from tremplin.core.pdf import render_pdf
from tremplin.indicators import engine, exports, rules
from tremplin.indicators.forms import YearForm
from tremplin.indicators.templatetags.indicators import indicator
from tremplin.organisations.models import Convention, Entity, Group
from tremplin.pathways.rules import ExitCategory

YEARS_SHOWN = 10
# The indicators of the report's table by entity (a group's report).
PDF_ENTITY_KEYS = (
    "people_received",
    "people_hired",
    "people_accompanied",
    "contracts_running",
    "cddua_concluded",
    "cddua_average_monthly_hours",
    "jobs_created",
    "jobs_created_cdi",
    "long_pathway_share",
    "exits",
    "dynamic_exit_rate",
    "hours_worked",
    "etp_conventioned",
    "etp_consumed",
    "revenue",
    "result",
)


# --- Access ------------------------------------------------------------------------------------


def _can_read_group(request: HttpRequest, group: Group, entities: Sequence[Entity]) -> bool:
    """Whether the user holds an indicator role in every entity of ``group``."""
    visible = [e for e in request.visible_entities if e.group_id == group.pk]  # type: ignore[attr-defined]
    if {e.pk for e in visible} != {e.pk for e in entities}:
        return False
    held = request.user.roles_by_entity(entities)  # type: ignore[union-attr]
    return all(held[e.pk] & rules.INDICATOR_ROLES for e in entities)


def _group_or_404(request: HttpRequest, slug: str) -> tuple[Group, list[Entity]]:
    """A group of one of the user's entities, with all its entities; 404 otherwise, 403 without
    an indicator role in each entity."""
    visible = request.visible_entities  # type: ignore[attr-defined]
    group = next((e.group for e in visible if e.group.slug == slug), None)
    if group is None:
        raise Http404("Aucun groupe ne correspond à votre demande.")
    entities = list(Entity.objects.filter(group=group).order_by("name"))
    if not _can_read_group(request, group, entities):
        raise PermissionDenied(
            "Les indicateurs du groupe demandent un rôle de pilotage dans chacune de ses "
            "structures."
        )
    return group, entities


def _entity_or_404(request: HttpRequest, slug: str) -> Entity:
    entity = get_entity_or_404(request, slug)
    require_roles(request, entity, *rules.INDICATOR_ROLES)
    return entity


def _only_get(request: HttpRequest) -> HttpResponse | None:
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    return None


# --- The year ---------------------------------------------------------------------------------


def _year(request: HttpRequest) -> tuple[int, YearForm]:
    """The year asked for (``?annee=``), else the last complete one."""
    day = today()
    form = YearForm(request.GET or None, years=range(day.year, day.year - YEARS_SHOWN, -1))
    year = day.year - 1
    if form.is_bound and form.is_valid() and form.cleaned_data["annee"]:
        year = form.cleaned_data["annee"]
    return year, form


# --- Pages ---------------------------------------------------------------------------------------


@entity_required
def index(request: HttpRequest) -> HttpResponse:
    """The group's dashboard when the user may read it, else the current entity's."""
    if (response := _only_get(request)) is not None:
        return response
    current: Entity = request.entity  # type: ignore[attr-defined]
    group_entities = list(Entity.objects.filter(group_id=current.group_id).order_by("name"))
    if _can_read_group(request, current.group, group_entities):
        return redirect("indicators:group", group_slug=current.group.slug)
    visible = [current, *(e for e in request.visible_entities if e.pk != current.pk)]  # type: ignore[attr-defined]
    held = request.user.roles_by_entity(visible)  # type: ignore[union-attr]
    for entity in visible:
        if held[entity.pk] & rules.INDICATOR_ROLES:
            return redirect("indicators:entity", entity_slug=entity.slug)
    raise PermissionDenied("Votre rôle ne donne pas accès au pilotage.")


@dataclass
class Row:
    key: str
    label: str
    unit: str
    values: list[Any]


def _rows(report: engine.Report, columns: Sequence[engine.Indicators]) -> list[Row]:
    by_column = [
        {key: value for key, _, _, value in rules.export_rows(column)} for column in columns
    ]
    return [
        Row(key, label, unit, [column.get(key, 0 if "." in key else None) for column in by_column])
        for key, label, unit, _ in rules.export_rows(report.total)
    ]


def _exit_counts(total: engine.Indicators) -> dict[str, dict[str, int]]:
    """Exits and counted exits by category, as the engine gives them."""
    return cast(dict[str, dict[str, int]], total["exits_by_category"])


def _charts(
    report: engine.Report, names: Sequence[str], columns: Sequence[engine.Indicators]
) -> dict[str, Any]:
    """The data of each chart; the page shows the same numbers in a table under each chart."""
    total = report.total
    kinds = list(total["contracts_by_kind"])  # type: ignore[arg-type]
    job_kinds = list(total["jobs_created_by_kind"])  # type: ignore[arg-type]
    exits = _exit_counts(total)
    return {
        "contracts": {
            "title": "Contrats en cours dans l'année, par type",
            "unit": "",
            "labels": [rules.CONTRACT_KIND_LABELS[k] for k in kinds],
            "series": [
                {"label": name, "data": [column["contracts_by_kind"].get(k, 0) for k in kinds]}  # type: ignore[union-attr]
                for name, column in zip(names, columns, strict=True)
            ],
        },
        "jobs": {
            "title": "Emplois créés dans l'année, par type de contrat",
            "unit": "",
            "labels": [rules.CONTRACT_KIND_LABELS[k] for k in job_kinds],
            "series": [
                {
                    "label": name,
                    "data": [column["jobs_created_by_kind"].get(k, 0) for k in job_kinds],  # type: ignore[union-attr]
                }
                for name, column in zip(names, columns, strict=True)
            ],
        },
        "exits": {
            "title": "Sorties de l'année par catégorie",
            "unit": "",
            "labels": [c.label for c in ExitCategory],
            "series": [
                {"label": "Sorties", "data": [exits[c.value]["total"] for c in ExitCategory]},
                {
                    "label": "dont comptabilisées",
                    "data": [exits[c.value]["counted"] for c in ExitCategory],
                },
            ],
        },
        "etp": {
            "title": "ETP conventionnés et consommés",
            "unit": "",
            "labels": list(names),
            "series": [
                {
                    "label": "ETP conventionnés",
                    "data": [c["etp_conventioned"] for c in columns],
                },
                {"label": "ETP consommés", "data": [c["etp_consumed"] for c in columns]},
            ],
        },
        "hours": {
            "title": "Heures travaillées et facturées",
            "unit": "h",
            "labels": list(names),
            "series": [
                {"label": "Heures travaillées", "data": [c["hours_worked"] for c in columns]},
                {"label": "Heures facturées", "data": [c["hours_invoiced"] for c in columns]},
            ],
        },
    }


def _dashboard(
    request: HttpRequest,
    scope: Entity | Group,
    entities: list[Entity],
    urls: dict[str, str],
) -> HttpResponse:
    year, form = _year(request)
    report = engine.compute(entities, year, today=today())
    if isinstance(scope, Group):
        names = [e.name for e in entities]
        columns = [report.by_entity[e.pk] for e in entities]
        table_names = [scope.name, *names]
        table_columns = [report.total, *columns]
    else:
        names = table_names = [scope.name]
        columns = table_columns = [report.total]
    charts = _charts(report, names, columns)
    context = {
        "scope": scope,
        "is_group": isinstance(scope, Group),
        "report": report,
        "year": year,
        "form": form,
        "names": table_names,
        "rows": _rows(report, table_columns),
        "charts": charts,
        "chart_list": [
            {
                "key": key,
                **chart,
                "table": [
                    (label, [serie["data"][n] for serie in chart["series"]])
                    for n, label in enumerate(chart["labels"])
                ],
            }
            for key, chart in charts.items()
        ],
        "urls": {name: f"{url}?annee={year}" for name, url in urls.items()},
        "entities": entities,
        "key_figures": _key_figures(report.total),
        "first_day": rules.year_bounds(year)[0],
        "partial_year": report.reference_date < rules.year_bounds(year)[1],
    }
    return render(request, "indicators/dashboard.html", context)


def _key_figures(total: engine.Indicators) -> list[tuple[str, str]]:
    """The figures shown first, as the French reader reads them."""

    def shown(key: str, unit: str = "") -> str:
        return indicator(total.get(key), unit)

    figures = [
        ("Personnes accueillies", shown("people_received")),
        ("Personnes embauchées", shown("people_hired")),
        ("Salariés en parcours accompagnés", shown("people_accompanied")),
        (
            "Emplois créés (dont CDI)",
            f"{shown('jobs_created')} ({shown('jobs_created_cdi')})",
        ),
        (
            "CDDUA conclus — volume mensuel moyen",
            f"{shown('cddua_concluded')} — {shown('cddua_average_monthly_hours', 'h')}",
        ),
        (
            "Parcours de plus de deux ans (dont seniors)",
            f"{shown('long_pathway_share', '%')} ({shown('long_pathway_seniors')} sur "
            f"{shown('long_pathways')})",
        ),
        ("Taux de sorties dynamiques", shown("dynamic_exit_rate", "%")),
        (
            "ETP consommés / conventionnés",
            f"{shown('etp_consumed')} / {shown('etp_conventioned')}",
        ),
    ]
    if "revenue" in total:
        figures.append(("Chiffre d'affaires HT", shown("revenue", "€")))
    if "result" in total:
        figures.append(("Résultat", shown("result", "€")))
    return figures


def group_dashboard(request: HttpRequest, group_slug: str) -> HttpResponse:
    group, entities = _group_or_404(request, group_slug)
    if (response := _only_get(request)) is not None:
        return response
    return _dashboard(request, group, entities, _export_urls("group", group_slug=group.slug))


def entity_dashboard(request: HttpRequest, entity_slug: str) -> HttpResponse:
    entity = _entity_or_404(request, entity_slug)
    if (response := _only_get(request)) is not None:
        return response
    return _dashboard(request, entity, [entity], _export_urls("entity", entity_slug=entity.slug))


def _export_urls(prefix: str, **kwargs: str) -> dict[str, str]:
    return {
        fmt: reverse(f"indicators:{prefix}_{fmt}", kwargs=kwargs) for fmt in ("csv", "xlsx", "pdf")
    }


# --- Exports -------------------------------------------------------------------------------------


def _report(request: HttpRequest, entities: list[Entity]) -> engine.Report:
    year, form = _year(request)
    if form.is_bound and not form.is_valid():
        raise Http404(" ".join(str(error) for error in form.errors["annee"]))
    return engine.compute(entities, year, today=today())


def _filename(scope: Entity | Group, year: int, suffix: str) -> str:
    return slugify(f"indicateurs-{scope.slug}-{year}") + suffix


def _csv(scope: Entity | Group, report: engine.Report) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename(scope, report.year, ".csv")}"'
    )
    response.write("\ufeff")  # the BOM makes spreadsheets read the file as UTF-8
    exports.write_csv(response, report, scope=scope)
    return response


def _xlsx(scope: Entity | Group, report: engine.Report) -> HttpResponse:
    response = HttpResponse(
        exports.xlsx_bytes(report, scope=scope),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename(scope, report.year, ".xlsx")}"'
    )
    return response


def _pdf(
    request: HttpRequest, scope: Entity | Group, entities: list[Entity], report: engine.Report
) -> HttpResponse:
    """The annual activity report of the dialogue de gestion (domain §4.4), as a PDF."""
    total = report.total
    exits = _exit_counts(total)
    context = {
        "scope": scope,
        "is_group": isinstance(scope, Group),
        "report": report,
        "total": total,
        "entities": [(e, report.by_entity[e.pk]) for e in entities],
        "exit_rows": [
            (c.label, exits[c.value]["total"], exits[c.value]["counted"]) for c in ExitCategory
        ],
        "kind_rows": [
            (rules.CONTRACT_KIND_LABELS[k], n, rules.share(n, total["contracts_running"]))  # type: ignore[arg-type]
            for k, n in total["contracts_by_kind"].items()  # type: ignore[union-attr]
        ],
        "entity_rows": [
            (rules.INDICATOR_BY_KEY[key].label, rules.INDICATOR_BY_KEY[key].unit, values)
            for key in PDF_ENTITY_KEYS
            if key in total
            for values in [[report.by_entity[e.pk].get(key) for e in entities]]
        ],
        "job_rows": [
            (rules.CONTRACT_KIND_LABELS[k], n)
            for k, n in total["jobs_created_by_kind"].items()  # type: ignore[union-attr]
        ],
        "conventions": Convention.objects.filter(entity__in=entities)
        .prefetch_related("annexes")
        .select_related("entity"),
        "today": today(),
    }
    html = render_to_string("indicators/report.html", context, request=request)
    response = HttpResponse(render_pdf(html), content_type="application/pdf")
    filename = slugify(f"rapport-activite-{scope.slug}-{report.year}") + ".pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def group_csv(request: HttpRequest, group_slug: str) -> HttpResponse:
    group, entities = _group_or_404(request, group_slug)
    return _only_get(request) or _csv(group, _report(request, entities))


def group_xlsx(request: HttpRequest, group_slug: str) -> HttpResponse:
    group, entities = _group_or_404(request, group_slug)
    return _only_get(request) or _xlsx(group, _report(request, entities))


def group_pdf(request: HttpRequest, group_slug: str) -> HttpResponse:
    group, entities = _group_or_404(request, group_slug)
    return _only_get(request) or _pdf(request, group, entities, _report(request, entities))


def entity_csv(request: HttpRequest, entity_slug: str) -> HttpResponse:
    entity = _entity_or_404(request, entity_slug)
    return _only_get(request) or _csv(entity, _report(request, [entity]))


def entity_xlsx(request: HttpRequest, entity_slug: str) -> HttpResponse:
    entity = _entity_or_404(request, entity_slug)
    return _only_get(request) or _xlsx(entity, _report(request, [entity]))


def entity_pdf(request: HttpRequest, entity_slug: str) -> HttpResponse:
    entity = _entity_or_404(request, entity_slug)
    return _only_get(request) or _pdf(request, entity, [entity], _report(request, [entity]))
