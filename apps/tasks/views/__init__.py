"""The web task list: server-rendered pages and htmx partials over the task services.

Thin, as the API is: the same services change tasks, the same rules (``apps.tenancy.roles``)
decide who sees and does what, and a task the user may not see is not there (404), as a task
of another tenant is not. The task page's form is completed through the REST API by its script.
"""
