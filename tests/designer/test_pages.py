"""The designer's pages: who may open them, what they show, and that a model of another tenant
is not there."""

from __future__ import annotations

import html
import re
import uuid

from django.test import Client
from django_tenants.utils import schema_context

from apps.designer import services
from apps.designer.models import ProcessModel
from tests.conftest import TenantInfo, tenant_client

DESIGNER = "/designer/"


def signed_in(info: TenantInfo, username: str) -> Client:
    client = tenant_client(info)
    response = client.post("/accounts/login/", {"username": username, "password": info.password(username)})
    assert response.status_code == 302, response.content
    return client


def model_in(info: TenantInfo, name: str) -> ProcessModel:
    with schema_context(info.schema):
        return services.create_model(name=name, owner="designer")


def test_signed_out_visitors_are_sent_to_the_login_page(alpha: TenantInfo) -> None:
    model = model_in(alpha, "Hiring")
    for path in (DESIGNER, f"{DESIGNER}{model.id}/"):
        response = tenant_client(alpha).get(path)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={path}"


def test_designers_and_tenant_admins_see_the_models_and_others_are_refused(alpha: TenantInfo) -> None:
    model = model_in(alpha, "Hiring <new staff>")
    for username in ("designer", "admin"):
        page = signed_in(alpha, username).get(DESIGNER)
        assert page.status_code == 200
        text = page.content.decode()
        assert 'data-testid="model-row"' in text
        assert html.escape("Hiring <new staff>") in text and "Hiring <new staff>" not in text
        assert f'href="/designer/{model.id}/"' in text
    for username in ("worker", "operator"):
        client = signed_in(alpha, username)
        assert client.get(DESIGNER).status_code == 403
        assert client.get(f"{DESIGNER}{model.id}/").status_code == 403


def test_the_modeler_page_names_the_model_and_its_api_and_loads_only_the_designer_bundle(alpha: TenantInfo) -> None:
    model = model_in(alpha, "Hiring")
    text = signed_in(alpha, "designer").get(f"{DESIGNER}{model.id}/").content.decode()
    assert f'data-model-url="/api/v1/models/{model.id}/"' in text
    assert f'data-max-bytes="{services.max_model_bytes()}"' in text
    assert "designer.js" in text and "designer.css" in text and "tasks.js" not in text
    assert 'data-action="deploy"' in text  # designers deploy
    assert "designer.js" not in signed_in(alpha, "designer").get("/home/").content.decode()


def test_a_model_of_another_tenant_or_none_at_all_is_not_found(alpha: TenantInfo, beta: TenantInfo) -> None:
    theirs = model_in(beta, "Beta's secret process")
    designer = signed_in(alpha, "designer")
    assert designer.get(f"{DESIGNER}{theirs.id}/").status_code == 404
    assert designer.get(f"{DESIGNER}{uuid.uuid4()}/").status_code == 404
    assert "Beta&#x27;s secret process" not in designer.get(DESIGNER).content.decode()
    assert signed_in(beta, "designer").get(f"{DESIGNER}{theirs.id}/").status_code == 200


def test_the_designer_is_in_the_navigation_of_designers_and_marked_on_its_pages(alpha: TenantInfo) -> None:
    model = model_in(alpha, "Hiring")
    item = re.compile(r'class="nav-link( active)?" href="/designer/"')
    assert item.search(signed_in(alpha, "worker").get("/home/").content.decode()) is None
    designer = signed_in(alpha, "designer")
    found = item.search(designer.get("/home/").content.decode())
    assert found is not None and found.group(1) is None
    found = item.search(designer.get(f"{DESIGNER}{model.id}/").content.decode())
    assert found is not None and found.group(1) == " active"


def test_the_list_page_names_the_apis_its_forms_use_and_the_size_cap_of_an_import(alpha: TenantInfo) -> None:
    text = signed_in(alpha, "designer").get(DESIGNER).content.decode()
    assert 'data-models-url="/api/v1/models/"' in text
    assert 'data-import-url="/api/v1/models/import/"' in text
    assert 'data-templates-url="/api/v1/model-templates/"' in text
    assert f'data-model-page="/designer/{uuid.UUID(int=0)}/"' in text
    assert f'data-max-bytes="{services.max_model_bytes()}"' in text
    assert 'data-testid="no-models"' in text  # a tenant without models is told how to start
