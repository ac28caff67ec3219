"""Run by the helpdesk virtualenv's Python: an API user with a token and one queue; prints
them as JSON for the load generator."""

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk_site.settings")
django.setup()

from django.contrib.auth.models import User  # noqa: E402
from helpdesk.models import Queue  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402

user, _ = User.objects.get_or_create(
    username="intake", defaults={"is_staff": True, "is_superuser": True}
)
token, _ = Token.objects.get_or_create(user=user)
queue, _ = Queue.objects.get_or_create(
    slug="consumer", defaults={"title": "Consumer complaints", "email_address": "q@example.com"}
)
print(json.dumps({"token": token.key, "queue": queue.pk}))
