"""``/tasks/``: the web task list and the task pages."""

from django.urls import path

from apps.tasks import views

app_name = "tasks"
urlpatterns = [
    path("", views.task_list, name="list"),
    path("counts/", views.task_counts, name="counts"),
    path("<uuid:task_id>/", views.task_detail, name="detail"),
    path("<uuid:task_id>/claim/", views.claim, name="claim"),
    path("<uuid:task_id>/unclaim/", views.unclaim, name="unclaim"),
    path("<uuid:task_id>/diagram.bpmn", views.diagram, name="diagram"),
    path("<uuid:task_id>/comments/", views.comments, name="comments"),
    path("<uuid:task_id>/attachments/", views.attachment_list, name="attachments"),
    path("<uuid:task_id>/attachments/<uuid:attachment_id>/", views.attachment_download, name="attachment"),
]
