"""Early warning's writes: raising an alert, dismissing an alert or a cluster with a reason,
and opening a case from a cluster (through the case services) with its consumers told
together. Each writes its audit Event in the same transaction."""

import contextlib
import datetime
from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints.errors import DomainError
from complaints.models import Case, CaseCategory, Complaint, Event
from complaints.models.event_messages import message
from complaints.services.cases import case_open, complaint_case_attach
from complaints.services.events import event_record
from complaints.services.guards import require_regulator, required
from complaints.services.notifications import Kind as NotificationKind
from complaints.services.notifications import notification_enqueue
from inspections.models import SdkAttribution
from inspections.services import sdk_attribute

from .models import Alert, Cluster, Dismissal
from .reasons import reason_text
from .sdk_scope import sdk_facts

# Complaints listed on an alert: enough to act on, bounded for a very large spike.
ALERT_COMPLAINTS_MAX = 500


@transaction.atomic
def alert_raise(
    *,
    kind: str,
    key: str,
    day: datetime.date,
    reason: dict,
    figures: dict,
    complaint_ids: Iterable[int] = (),
    app=None,
    category=None,
    company=None,
    at: datetime.datetime | None = None,
) -> Alert | None:
    """Raise an alert once per key; returns it, or None when it was raised before."""
    now = at or timezone.now()
    alert, created = Alert.objects.get_or_create(
        key=key,
        defaults={
            "kind": kind,
            "app": app,
            "category": category,
            "company": company,
            "day_date": day,
            "reason": reason,
            "figures": figures,
            "created_at": now,
        },
    )
    if not created:
        return None
    alert.complaints.set(list(complaint_ids)[:ALERT_COMPLAINTS_MAX])
    # The alert row words its reason in each reader's language; the audit row points at it
    # (a note, not a complaints alert: those belong to a case or a complaint).
    event_record(
        actor=None,
        actor_role="system",
        kind=Event.Kind.NOTE,
        data={"early_warning": "alert_raised", "alert": alert.pk, "alert_kind": kind},
        public=False,
        at=now,
    )
    return alert


def _dismissal_record(*, row, actor, reason: str, data: dict, at) -> Dismissal:
    """Mark an alert or a cluster dismissed, keep the reason, write the audit row."""
    now = at or timezone.now()
    row.dismissed_at = now
    row.save(update_fields=["dismissed_at"])
    target = {"alert": row} if isinstance(row, Alert) else {"cluster": row}
    dismissal = Dismissal.objects.create(
        **target, reason=reason, dismissed_by=actor, dismissed_at=now
    )
    event_record(actor=actor, kind=Event.Kind.NOTE, reason=reason, data=data, public=False, at=now)
    return dismissal


@transaction.atomic
def alert_dismiss(*, alert: Alert, actor, reason: str, at=None) -> Dismissal:
    """Dismiss an alert with the regulator's reason. Recorded; it changes no threshold."""
    require_regulator(actor)
    reason = required(reason, "reason", _("Say why you dismiss it."))
    alert = Alert.objects.select_for_update().get(pk=alert.pk)
    if alert.dismissed_at is not None:
        raise DomainError(_("This alert was already dismissed."))
    data = {"early_warning": "alert_dismissed", "alert": alert.pk, "alert_kind": alert.kind}
    return _dismissal_record(row=alert, actor=actor, reason=reason, data=data, at=at)


@transaction.atomic
def cluster_dismiss(*, cluster: Cluster, actor, reason: str, at=None) -> Dismissal:
    """Dismiss a cluster with the regulator's reason: it gathers no more complaints (alike
    ones found later start a new cluster). Recorded; it changes no threshold."""
    require_regulator(actor)
    reason = required(reason, "reason", _("Say why you dismiss it."))
    cluster = Cluster.objects.select_for_update().get(pk=cluster.pk)
    if cluster.dismissed_at is not None:
        raise DomainError(_("This collective complaint was already dismissed."))
    if cluster.case_id is not None:
        raise DomainError(_("A case was opened from this collective complaint."))
    data = {"early_warning": "cluster_dismissed", "cluster": cluster.pk, "size": cluster.size}
    return _dismissal_record(row=cluster, actor=actor, reason=reason, data=data, at=at)


def _open_case(app, category) -> Case | None:
    link = (
        CaseCategory.objects.filter(app=app, category=category, is_open=True)
        .select_related("case")
        .first()
    )
    return link.case if link else None


def _sdk_attribute(case: Case, sdk_id: str, actor) -> None:
    """Mark a case from an SDK cluster as about the SDK (the SDK ranking counts it), unless a
    regulator already attributed it, or the app's inspections no longer show the SDK."""
    if SdkAttribution.objects.filter(case=case).exists():
        return
    # When a newer inspection no longer finds it, the case stays the host app's.
    with contextlib.suppress(DomainError):
        sdk_attribute(actor=actor, sdk_id=sdk_id, case=case)


@transaction.atomic
def cluster_case_open(*, cluster: Cluster, actor, at=None) -> Case:
    """Open a case from a cluster in one action: a case per app of its complaints (or the
    app's open case in that category, which gains them), and every consumer told together.
    Returns the case about the cluster's own app.

    An SDK cluster spans companies. A case is against one app and its operator, who answers
    for the SDKs it embeds, and the model holds an SDK's maker only as a name in the SDK
    catalogue (no company, no account): so it too gives a case per app, one per company at
    least, each attributed to the SDK, so that the cases are counted together against it."""
    require_regulator(actor)
    now = at or timezone.now()
    cluster = (
        Cluster.objects.select_for_update().select_related("app", "category").get(pk=cluster.pk)
    )
    if cluster.case_id is not None:
        raise DomainError(_("A case was already opened from this collective complaint."))
    if cluster.dismissed_at is not None:
        raise DomainError(_("This collective complaint was dismissed."))
    members = list(
        Complaint.objects.filter(cluster_membership__cluster=cluster)
        .exclude(status=Complaint.Status.WITHDRAWN)
        .select_related("app")
        .order_by("submitted_at")
    )
    if not members:
        raise DomainError(_("No complaint of this collective complaint can join a case."))
    by_app = defaultdict(list)
    for complaint in members:
        by_app[complaint.app].append(complaint)
    summary = reason_text(cluster.reason)
    about = sdk_facts(cluster.sdk_id)["brand"] if cluster.sdk_id else cluster.app.name
    cases = {}
    for app, complaints in sorted(by_app.items(), key=lambda item: item[0] != cluster.app):
        case = _open_case(app, cluster.category)
        if case is None:
            case = case_open(
                app=app,
                categories=[cluster.category],
                actor=actor,
                summary=summary,
                complaints=[c for c in complaints if c.case_id is None],
                at=now,
            )
        else:
            for complaint in complaints:
                if complaint.case_id is None:
                    complaint_case_attach(complaint=complaint, case=case, actor=actor, at=now)
        cases[app.pk] = case
        if cluster.sdk_id:
            _sdk_attribute(case, cluster.sdk_id, actor)
        event_record(
            actor=actor,
            kind=Event.Kind.NOTE,
            case=case,
            data={"early_warning": "case_from_cluster", "cluster": cluster.pk},
            public=False,
            at=now,
        )
    for complaint in members:
        moved = complaint.status == Complaint.Status.LINKED
        if moved and complaint.case_id == cases[complaint.app_id].pk:
            continue  # just moved to "linked to a case": told by that status change
        event = event_record(
            actor=actor,
            kind=Event.Kind.NOTE,
            complaint=complaint,
            message=message(
                "collective_case",
                count=cluster.size,
                app=about,
                reference=cases[complaint.app_id].reference,
            ),
            public=True,
            at=now,
        )
        notification_enqueue(kind=NotificationKind.COMPLAINT_STATUS, event=event)
    cluster.case = cases.get(cluster.app_id, next(iter(cases.values())))
    cluster.save(update_fields=["case"])
    return cluster.case
