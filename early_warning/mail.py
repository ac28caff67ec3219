"""Early-warning e-mails to regulators: new alerts (spikes, new vocabulary, response quality)
and clusters past a size, as they come or in a daily digest, each as the regulator chose, in
their language, with links. Sent by a Celery task from beat, never in a request; what was
dismissed is left out, and nothing goes twice to one person (MailedItem)."""

import datetime
import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from complaints import roles
from complaints.errors import DomainError
from complaints.services.guards import require_regulator
from complaints.services.notifications import MailNotSent, template_language
from complaints.services.preferences import languages_by_email

from .models import Alert, Cluster, MailedItem, MailSetting

logger = logging.getLogger(__name__)
Mode = MailSetting.Mode


def mail_mode(user) -> str:
    """The regulator's choice, or the platform's default when they never chose."""
    chosen = MailSetting.objects.filter(user=user).values_list("mode", flat=True).first()
    return chosen or settings.EARLY_WARNING_MAIL_DEFAULT


@transaction.atomic
def mail_mode_set(*, actor, mode: str, at=None) -> MailSetting:
    """Keep how the regulator wants to hear of early warnings by e-mail."""
    require_regulator(actor)
    if mode not in Mode.values:
        raise DomainError(_("Choose one of the offered ways."), field="mode")
    setting, _created = MailSetting.objects.update_or_create(
        user=actor, defaults={"mode": mode, "updated_at": at or timezone.now()}
    )
    return setting


@dataclass
class Pending:
    alerts: list[Alert]
    clusters: list[Cluster]

    def __bool__(self) -> bool:
        return bool(self.alerts or self.clusters)


def pending_for(user, *, now) -> Pending:
    """What the regulator has not been sent: alerts raised and clusters of at least
    EARLY_WARNING_MAIL_CLUSTER_SIZE active within the look-back, none dismissed (nor a cluster
    a case was opened from: someone acted on it)."""
    since = now - datetime.timedelta(hours=settings.EARLY_WARNING_MAIL_LOOKBACK_HOURS)
    sent = MailedItem.objects.filter(user=user)
    alerts = (
        Alert.objects.filter(created_at__gte=since, created_at__lte=now, dismissed_at__isnull=True)
        .exclude(pk__in=sent.filter(alert__isnull=False).values("alert_id"))
        .select_related("app", "category", "company")
        .order_by("created_at", "pk")
    )
    clusters = (
        Cluster.objects.filter(
            last_at__gte=since,
            size__gte=settings.EARLY_WARNING_MAIL_CLUSTER_SIZE,
            dismissed_at__isnull=True,
            case__isnull=True,
        )
        .exclude(pk__in=sent.filter(cluster__isnull=False).values("cluster_id"))
        .select_related("app", "category")
        .order_by("-size", "pk")
    )
    return Pending(alerts=list(alerts), clusters=list(clusters))


def digest_render(pending: Pending, *, language: str) -> tuple[str, str]:
    """Subject and body in the regulator's language (its first line is the subject)."""
    site = settings.SITE_URL
    with translation.override(language):
        context = {
            "alerts": [
                (a, a.why, site + reverse("early_warning:alert", args=[a.pk]))
                for a in pending.alerts
            ],
            "clusters": [
                (c, c.why, site + reverse("early_warning:cluster", args=[c.pk]))
                for c in pending.clusters
            ],
            "settings_url": site + reverse("early_warning:mail_settings"),
            "count": len(pending.alerts) + len(pending.clusters),
        }
        text = render_to_string(f"early_warning/email/digest.{language}.txt", context)
    subject, _sep, body = text.strip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def _regulators(mode: str):
    users = (
        get_user_model()
        .objects.filter(groups__name=roles.REGULATOR, is_active=True)
        .exclude(email="")
        .select_related("early_warning_mail")
        .order_by("pk")
    )
    default = settings.EARLY_WARNING_MAIL_DEFAULT
    return [
        user
        for user in users
        if (getattr(user, "early_warning_mail", None) and user.early_warning_mail.mode or default)
        == mode
    ]


def early_warning_mail_send(*, mode: str, now=None) -> int:
    """One e-mail to each regulator who chose `mode` ("immediate" or "daily") and has something
    new; returns how many went. What is recorded as sent never goes again; a mail server that
    refuses leaves that regulator's items for the retry (MailNotSent)."""
    if mode not in (Mode.IMMEDIATE, Mode.DAILY):
        raise ValueError(f"mode {mode!r} sends nothing")
    now = now or timezone.now()
    regulators = _regulators(mode)
    languages = languages_by_email(regulators)
    sent, failed = 0, 0
    for user in regulators:
        try:
            sent += _send_one(user, languages.get(user.email.lower()), now)
        except OSError:
            # What reaches the logs names no address; the others still get theirs.
            logger.warning("Early-warning e-mail to user %s not sent.", user.pk)
            failed += 1
    if failed:
        raise MailNotSent(f"early-warning e-mail: {failed} not sent")
    return sent


@transaction.atomic
def _send_one(user, language: str | None, now) -> int:
    # One sender at a time per regulator (two workers, a retry): the second finds it all sent.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    pending = pending_for(user, now=now)
    if not pending:
        return 0
    MailedItem.objects.bulk_create(
        [MailedItem(user=user, alert=a, sent_at=now) for a in pending.alerts]
        + [MailedItem(user=user, cluster=c, sent_at=now) for c in pending.clusters]
    )
    subject, body = digest_render(pending, language=template_language(language))
    # Sent inside the transaction: when the server refuses, the rows above roll back.
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
    return 1
