"""The designer's pages: the tenant's process models and the browser modeler of one of them.

Thin, as the API is: the pages read a model to show it, and their scripts change models through
the REST API (``/api/v1/models/``), under the same rules. Process designers and tenant admins
use them; a model of another tenant is not there (404), as every model lives in its tenant's
schema.
"""

from __future__ import annotations

import uuid

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from apps.designer import services
from apps.designer.models import ProcessModel
from apps.tenancy.permissions import page_requires
from apps.tenancy.roles import Action, may

# Stands for a model's id in the address the list's script opens once the API made the model.
ANY_MODEL_ID = uuid.UUID(int=0)


# Process designers and tenant admins.
designs_processes = page_requires(Action.DESIGN_PROCESSES, refusal="Your role does not allow designing processes.")


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
