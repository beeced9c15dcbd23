"""Files added to tasks: kept in one folder per tenant, within a size and a list of content types.

A file is accepted when its declared content type is one of ``APG_ATTACHMENT_TYPES``, its name's
extension means that same type, and it is not larger than ``APG_ATTACHMENT_MAX_BYTES``; it is
kept as ``<APG_ATTACHMENT_DIR>/<tenant schema>/<task id>/<attachment id>`` under a name of the
engine's choosing (never the uploader's), and only read back through a task the reader may see.
"""

from __future__ import annotations

import mimetypes
import uuid
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.db import connection, transaction

from apps.engine import clock
from apps.engine.models import new_id
from apps.tasks.models import Task, TaskAttachment, TaskEvent, TaskEventKind

CHUNK = 64 * 1024


class AttachmentRefused(Exception):
    """The file is too large, of a type not accepted, or named as another type; nothing was kept."""


def add(task: Task, user: Any, name: str, content_type: str, stream: IO[bytes]) -> TaskAttachment:
    """Keep ``stream`` as an attachment of ``task`` (which ``user`` may see)."""
    name = Path(name or "file").name[:255]
    declared = (content_type or "").split(";")[0].strip().lower()
    if declared not in settings.APG_ATTACHMENT_TYPES:
        raise AttachmentRefused(f"Files of type {declared or 'unknown'} are not accepted here.")
    guessed, _ = mimetypes.guess_type(name)
    if guessed != declared:
        raise AttachmentRefused(f"The name {name!r} does not fit the type {declared}.")
    attachment_id = new_id()
    relative = Path(connection.schema_name) / str(task.id) / str(attachment_id)
    target = Path(settings.APG_ATTACHMENT_DIR) / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    size = 0
    try:
        with target.open("wb") as kept:
            while chunk := stream.read(CHUNK):
                size += len(chunk)
                if size > settings.APG_ATTACHMENT_MAX_BYTES:
                    raise AttachmentRefused(
                        f"Files larger than {settings.APG_ATTACHMENT_MAX_BYTES} bytes are not accepted."
                    )
                kept.write(chunk)
        with transaction.atomic():
            attachment = TaskAttachment.objects.create(
                id=attachment_id,
                task=task,
                name=name,
                content_type=declared,
                size=size,
                path=str(relative),
                uploaded_by=user.get_username(),
                created_at=clock.now(),
            )
            TaskEvent.objects.create(
                task=task,
                kind=TaskEventKind.ATTACHED,
                actor=user.get_username(),
                at=attachment.created_at,
                details={"attachment_id": str(attachment_id), "name": name},
            )
    except BaseException:
        target.unlink(missing_ok=True)  # nothing kept of a refused or failed upload
        raise
    return attachment


def open_file(attachment: TaskAttachment) -> IO[bytes]:
    return (Path(settings.APG_ATTACHMENT_DIR) / attachment.path).open("rb")


def remove(attachment: TaskAttachment) -> None:
    path = Path(settings.APG_ATTACHMENT_DIR) / attachment.path
    with transaction.atomic():
        attachment.delete()
        transaction.on_commit(lambda: path.unlink(missing_ok=True))


def attachment_of(task: Task, attachment_id: str) -> TaskAttachment:
    try:
        return task.attachments.get(id=uuid.UUID(attachment_id))
    except (ValueError, TaskAttachment.DoesNotExist) as missing:
        raise TaskAttachment.DoesNotExist(f"No attachment {attachment_id}.") from missing
