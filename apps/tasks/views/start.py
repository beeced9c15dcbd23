"""``/tasks/start/``: start a process by hand, as Camunda's Tasklist does. The list shows the
latest version of each process that has a none start event; a process's page shows its start
form (form-js), which the page submits to ``…/submit-form/`` for the server to judge."""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.engine.models import ProcessDefinition, ProcessInstance
from apps.tasks import start_forms
from apps.tasks.views.access import starts_processes


@starts_processes
@require_GET
def start_list(request: HttpRequest) -> HttpResponse:
    latest = ProcessDefinition.objects.order_by("key", "-version").distinct("key")
    startable = [definition for definition in latest if start_forms.start_event_id(definition) is not None]
    startable.sort(key=lambda definition: (definition.name or definition.key).lower())
    return render(request, "tasks/start_list.html", {"definitions": startable, "started": _started(request)})


@starts_processes
@require_GET
def start_page(request: HttpRequest, definition_id: uuid.UUID) -> HttpResponse:
    definition = ProcessDefinition.objects.filter(id=definition_id).first()
    if definition is None or start_forms.start_event_id(definition) is None:
        raise Http404("No process to start by hand here.")
    return render(request, "tasks/start_form.html", {"definition": definition})


def _started(request: HttpRequest) -> ProcessInstance | None:
    """The instance the start form just started (``?started=<id>``), to say so."""
    try:
        instance_id = uuid.UUID(request.GET.get("started", ""))
    except ValueError:
        return None
    return ProcessInstance.objects.select_related("definition").filter(id=instance_id).first()
