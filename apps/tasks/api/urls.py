from rest_framework.routers import SimpleRouter

from apps.tasks.api.filters import TaskFilterViewSet
from apps.tasks.api.views import TaskViewSet

router = SimpleRouter(trailing_slash=True)
router.register("tasks", TaskViewSet, basename="task")
router.register("task-filters", TaskFilterViewSet, basename="task-filter")

urlpatterns = router.urls
