"""``/designer/``: the list of process models and the modeler."""

from django.urls import path

from apps.designer import views

app_name = "designer"
urlpatterns = [
    path("", views.model_list, name="list"),
    path("<uuid:model_id>/", views.modeler, name="modeler"),
]
