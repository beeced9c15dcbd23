from django.urls import path
from rest_framework.routers import SimpleRouter

from apps.designer.api.process_models import ModelTemplateViewSet, ProcessModelViewSet
from apps.designer.api.simulations import SimulationView

router = SimpleRouter(trailing_slash=True)
router.register("models", ProcessModelViewSet, basename="process-model")
router.register("model-templates", ModelTemplateViewSet, basename="model-template")

urlpatterns = [*router.urls, path("simulations/", SimulationView.as_view(), name="simulation")]
