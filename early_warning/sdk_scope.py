"""What clustering reads to group complaints by SDK across companies: the SDKs each app embeds
(its newest inspection, inspections.EmbeddedSdk), a regulator's attribution of a complaint to
one SDK, and the kinds of problem an SDK can cause (collection, sharing, permissions)."""

from collections import defaultdict
from collections.abc import Iterable
from functools import cache
from zlib import crc32

from django.conf import settings
from django.db import connection

from complaints.models import Category
from inspections import catalogue
from inspections.models import EmbeddedSdk, SdkAttribution

# PostgreSQL advisory locks of SDK clustering share this first key (the second is the SDK's).
ADVISORY_LOCK_CLASS = 1818


def sdk_harm_category_ids() -> frozenset[int]:
    """Ids of the categories in settings.CLUSTER_SDK_CATEGORIES (read per batch: the taxonomy
    is data, editable in the admin)."""
    codes = settings.CLUSTER_SDK_CATEGORIES
    return frozenset(Category.objects.filter(code__in=codes).values_list("pk", flat=True))


def embedded_by_app(app_ids: Iterable[int]) -> dict[int, list[str]]:
    """The SDKs each app's newest finished inspection found (empty for one never inspected)."""
    found: dict[int, list[str]] = defaultdict(list)
    rows = EmbeddedSdk.objects.filter(app_id__in=set(app_ids)).order_by("sdk_id")
    for app_id, sdk_id in rows.values_list("app_id", "sdk_id"):
        found[app_id].append(sdk_id)
    return found


def attributed(complaint_ids: Iterable[int]) -> dict[int, str]:
    """Complaints a regulator attributed to an SDK, with the SDK's id."""
    rows = SdkAttribution.objects.filter(complaint_id__in=list(complaint_ids))
    return dict(rows.values_list("complaint_id", "sdk_id"))


def apps_embedding(sdk_id: str):
    """A subquery: the apps whose newest inspection found this SDK."""
    return EmbeddedSdk.objects.filter(sdk_id=sdk_id).values("app_id")


def lock_sdks(sdk_ids: Iterable[str]) -> None:
    """One clustering at a time per SDK (until the transaction ends), so two workers never found
    twin SDK clusters. Taken after the company and app row locks, in a fixed order, so two
    batches never wait for each other in a circle. SQLite writes one at a time anyway."""
    if connection.vendor != "postgresql":
        return
    keys = sorted({crc32(sdk_id.encode()) & 0x7FFFFFFF for sdk_id in sdk_ids})
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [ADVISORY_LOCK_CLASS, key])


@cache
def _catalogue_by_id() -> dict[str, dict]:
    return {sdk["id"]: sdk for sdk in catalogue.sdks()}


def sdk_facts(sdk_id: str) -> dict:
    """The SDK's name in the reader's language, its brand (the name its maker gives it, for
    text stored for readers of either language) and its maker; the id when unknown."""
    entry = _catalogue_by_id().get(sdk_id)
    if entry is None:
        return {"id": sdk_id, "name": sdk_id, "brand": sdk_id, "vendor": ""}
    name = catalogue.in_language(entry, en="name", zh="name_zh")
    return {"id": sdk_id, "name": name, "brand": entry["name"], "vendor": entry.get("vendor", "")}
