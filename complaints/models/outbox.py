"""Tasks waiting to be handed to the broker (the transactional outbox).

A change that wants a task writes a row in its own transaction; the row is published after
commit and deleted once Redis took it, so a broker outage delays the task but never loses it
and never holds up the request that asked for it (services/enqueue.py, config/beat.py).
"""

from django.db import models
from django.utils import timezone


class OutboxMessage(models.Model):
    task_name = models.CharField(max_length=100)
    args = models.JSONField(default=list, blank=True)
    kwargs = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When the dispatcher may send it: a row a request wrote is first left to that request,
    # which publishes it after commit (the dispatcher taking it too would send it twice).
    available_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "outbox message"
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.task_name}{tuple(self.args)}"
