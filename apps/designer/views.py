"""The designer's pages: the tenant's process models and the browser modeler of one of them.

Thin, as the API is: the pages read a model to show it, and their scripts change models through
the REST API (``/api/v1/models/``), under the same rules. Process designers and tenant admins
use them; a model of another tenant is not there (404), as every model lives in its tenant's
schema.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.designer import services
from apps.designer.models import ProcessModel
from apps.tenancy.roles import Action, may

# Stands for a model's id in the address the list's script opens once the API made the model.
ANY_MODEL_ID = uuid.UUID(int=0)


def designs_processes(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """Signed-in users whose roles design processes (process designers, tenant admins)."""

    @wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not may(request.user, Action.DESIGN_PROCESSES):
            raise PermissionDenied("Your role does not allow designing processes.")
        return view(request, *args, **kwargs)

    return login_required(checked)


@designs_processes
@require_GET
def model_list(request: HttpRequest) -> HttpResponse:
    """The tenant's models, newest change first, with the forms that create and import one."""
    models = ProcessModel.objects.order_by("-updated_at", "name")
    context = {
        "models": models,
        "any_model_id": ANY_MODEL_ID,
        "max_bytes": services.max_model_bytes(),
    }
    return render(request, "designer/list.html", context)


@designs_processes
@require_GET
def modeler(request: HttpRequest, model_id: uuid.UUID) -> HttpResponse:
    """The modeler of one model; its script loads the latest version through the API."""
    try:
        model = ProcessModel.objects.get(id=model_id)
    except ProcessModel.DoesNotExist:
        raise Http404("No such model.") from None
    context = {
        "model": model,
        "may_deploy": may(request.user, Action.DEPLOY_PROCESSES),
        "may_start": may(request.user, Action.START_PROCESSES),
        "max_bytes": services.max_model_bytes(),
    }
    return render(request, "designer/modeler.html", context)
