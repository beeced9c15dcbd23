from rest_framework.routers import SimpleRouter

from apps.designer.api.process_models import ModelTemplateViewSet, ProcessModelViewSet

router = SimpleRouter(trailing_slash=True)
router.register("models", ProcessModelViewSet, basename="process-model")
router.register("model-templates", ModelTemplateViewSet, basename="model-template")

urlpatterns = router.urls
