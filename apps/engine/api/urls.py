from rest_framework.routers import SimpleRouter

from apps.engine.api import views
from apps.engine.api.conditions import ConditionViewSet
from apps.engine.api.external_tasks import ExternalTaskViewSet
from apps.engine.api.incidents import IncidentViewSet
from apps.engine.api.messages import MessageViewSet
from apps.engine.api.signals import SignalViewSet
from apps.engine.api.webhooks import WebhookViewSet

router = SimpleRouter(trailing_slash=True)
router.register("deployments", views.DeploymentViewSet, basename="deployment")
router.register("process-definitions", views.DefinitionViewSet, basename="process-definition")
router.register("process-instances", views.InstanceViewSet, basename="process-instance")
router.register("external-tasks", ExternalTaskViewSet, basename="external-task")
router.register("messages", MessageViewSet, basename="message")
router.register("incidents", IncidentViewSet, basename="incident")
router.register("signals", SignalViewSet, basename="signal")
router.register("conditions", ConditionViewSet, basename="condition")
router.register("webhooks", WebhookViewSet, basename="webhook")

urlpatterns = router.urls
