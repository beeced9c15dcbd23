"""``/tasks/``: the web task list and the task pages."""

from django.urls import path

from apps.tasks import start_views, views

app_name = "tasks"
urlpatterns = [
    path("", views.task_list, name="list"),
    path("counts/", views.task_counts, name="counts"),
    path("start/", start_views.start_list, name="start-list"),
    path("start/<uuid:definition_id>/", start_views.start_page, name="start"),
    path("bulk/", views.bulk, name="bulk"),
    path("filters/", views.filter_list, name="filters"),
    path("filters/<uuid:filter_id>/delete/", views.filter_delete, name="filter-delete"),
    path("<uuid:task_id>/", views.task_detail, name="detail"),
    path("<uuid:task_id>/claim/", views.claim, name="claim"),
    path("<uuid:task_id>/unclaim/", views.unclaim, name="unclaim"),
    path("<uuid:task_id>/assign/", views.assign, name="assign"),
    path("<uuid:task_id>/delegate/", views.delegate, name="delegate"),
    path("<uuid:task_id>/resolve/", views.resolve, name="resolve"),
    path("<uuid:task_id>/change/", views.change, name="change"),
    path("<uuid:task_id>/diagram.bpmn", views.diagram, name="diagram"),
    path("<uuid:task_id>/comments/", views.comments, name="comments"),
    path("<uuid:task_id>/attachments/", views.attachment_list, name="attachments"),
    path("<uuid:task_id>/attachments/<uuid:attachment_id>/", views.attachment_download, name="attachment"),
]
