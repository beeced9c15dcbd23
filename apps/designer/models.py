"""Process models as designers keep them: a model per process, every save a new version.

A model's versions are immutable, numbered from 1; ``latest_version`` is the number a save must
name as its base (``If-Match``), so that two people editing one model cannot overwrite each
other's work unseen. Deploying a version hands its XML to the engine, which keeps its own
immutable definitions; ``ModelDeployment`` remembers which version made which deployment.
"""

from __future__ import annotations

from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone

from apps.engine.models import Deployment, new_id


class ProcessModel(models.Model):
    id = models.UUIDField(primary_key=True, default=new_id, editable=False)
    key = models.SlugField(max_length=255, unique=True, help_text="Stable name of the model in the tenant")
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    owner = models.CharField(max_length=150, blank=True)
    latest_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name", "key"]

    def __str__(self) -> str:
        return self.name or self.key


class ModelVersion(models.Model):
    id = models.BigAutoField(primary_key=True)
    model = models.ForeignKey(ProcessModel, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    xml = models.TextField()
    checksum = models.CharField(max_length=64, help_text="SHA-256 of the XML")
    author = models.CharField(max_length=150, blank=True)
    message = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["model", "-number"]
        constraints = [models.UniqueConstraint(fields=["model", "number"], name="designer_version_number")]

    def __str__(self) -> str:
        return f"{self.model_id} v{self.number}"


class ModelDeployment(models.Model):
    """A version of a model deployed to the engine (one engine deployment, its definitions)."""

    id = models.BigAutoField(primary_key=True)
    model = models.ForeignKey(ProcessModel, on_delete=models.CASCADE, related_name="deployments")
    version = models.PositiveIntegerField()
    deployment = models.ForeignKey(Deployment, on_delete=models.PROTECT, related_name="+")
    deployed_by = models.CharField(max_length=150, blank=True)
    deployed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-deployed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.model_id} v{self.version} -> {self.deployment_id}"


class TenantTemplate(models.Model):
    """A model a tenant saved as a template ("save as template"): new models start from its XML."""

    key = models.SlugField(max_length=255, primary_key=True)
    name = models.CharField(max_length=255)
    description = models.TextField(blank=True)
    xml = models.TextField()
    created_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
