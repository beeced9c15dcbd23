from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.tasks.api.filters import TaskFilterViewSet
from apps.tasks.api.form_definitions import FormDefinitionViewSet
from apps.tasks.api.notifications import NotificationViewSet
from apps.tasks.api.start_forms import StartFormView, SubmitStartFormView
from apps.tasks.api.views import TaskViewSet

router = SimpleRouter(trailing_slash=True)
router.register("tasks", TaskViewSet, basename="task")
router.register("task-filters", TaskFilterViewSet, basename="task-filter")
router.register("form-definitions", FormDefinitionViewSet, basename="form-definition")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = [
    *router.urls,
    path("process-definitions/<uuid:pk>/start-form/", StartFormView.as_view(), name="start-form"),
    path("process-definitions/<uuid:pk>/submit-form/", SubmitStartFormView.as_view(), name="submit-form"),
]
