"""``/tasks/``: the web task list and the task pages."""

from django.urls import path

from apps.tasks.views import start, task_list, task_page

app_name = "tasks"
urlpatterns = [
    path("", task_list.task_list, name="list"),
    path("counts/", task_list.task_counts, name="counts"),
    path("start/", start.start_list, name="start-list"),
    path("start/<uuid:definition_id>/", start.start_page, name="start"),
    path("bulk/", task_list.bulk, name="bulk"),
    path("filters/", task_list.filter_list, name="filters"),
    path("filters/<uuid:filter_id>/delete/", task_list.filter_delete, name="filter-delete"),
    path("<uuid:task_id>/", task_page.task_detail, name="detail"),
    path("<uuid:task_id>/claim/", task_page.claim, name="claim"),
    path("<uuid:task_id>/unclaim/", task_page.unclaim, name="unclaim"),
    path("<uuid:task_id>/assign/", task_page.assign, name="assign"),
    path("<uuid:task_id>/delegate/", task_page.delegate, name="delegate"),
    path("<uuid:task_id>/resolve/", task_page.resolve, name="resolve"),
    path("<uuid:task_id>/change/", task_page.change, name="change"),
    path("<uuid:task_id>/diagram.bpmn", task_page.diagram, name="diagram"),
    path("<uuid:task_id>/comments/", task_page.comments, name="comments"),
    path("<uuid:task_id>/attachments/", task_page.attachment_list, name="attachments"),
    path("<uuid:task_id>/attachments/<uuid:attachment_id>/", task_page.attachment_download, name="attachment"),
]
