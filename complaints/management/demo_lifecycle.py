"""How the demo takes each complaint along its lifecycle: labels, decisions, operator answers
and consumer replies, backdated through the services as real use would leave them."""

import datetime

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import transaction
from django.utils import timezone

from complaints import workflow
from complaints.errors import DomainError
from complaints.label_support import labels_unbacked
from complaints.models import (
    App,
    Category,
    CompanyMembership,
    Complaint,
)
from complaints.models.event_messages import message


class DemoLifecycle:
    """Mixed into the demo_data command: needs `self.rng` (random.Random) and `self.stderr`."""

    def _ensure_labelled(self, complaint: Complaint, labels: list[str], submitted_at) -> None:
        """The demo files with classify=False and classifies here, dated a few seconds after
        filing, so every timeline runs forward. Without an active model it uses the labels its
        corpus text was written with, recorded as the classifier's step would be."""
        from complaints.services.classification import complaint_classify
        from complaints.services.events import complaint_move

        at = submitted_at + datetime.timedelta(seconds=self.rng.randint(2, 40))
        complaint_classify(complaint_id=complaint.pk, at=at)
        complaint.refresh_from_db()
        if complaint.status != Complaint.Status.SUBMITTED:
            return
        if self.rng.random() < 0.03:
            return  # a few still waiting for the worker
        categories = list(Category.objects.filter(code__in=labels or ["other"]))
        confidence = round(self.rng.uniform(0.35, 0.99), 2)
        with transaction.atomic():
            complaint.categories.set(categories)
            complaint.confidence = confidence
            complaint.label_source = Complaint.LabelSource.MODEL
            complaint.classified_at = at
            target = (
                Complaint.Status.CLASSIFIED
                if confidence >= settings.CLASSIFIER_CONFIDENCE_THRESHOLD
                else Complaint.Status.NEEDS_REVIEW
            )
            complaint_move(
                complaint=complaint,
                to_status=target,
                actor_role="system",
                message=message(
                    "classified",
                    labels=sorted(c.code for c in categories),
                    confidence=confidence,
                ),
                extra_fields=("confidence", "label_source", "classified_at"),
                at=at,
            )

    def _advance(
        self, complaint: Complaint, labels: list[str], age_days: int, submitted_at, users
    ) -> None:
        """Take a complaint as far along its lifecycle as its age makes plausible."""
        from complaints.services import operators, triage

        if complaint.status == Complaint.Status.SUBMITTED:
            return
        regulator = users["regulator"]
        roll = self.rng.random()
        decided_at = self._past(
            submitted_at
            + datetime.timedelta(
                days=min(age_days, self.rng.randint(0, 6)), hours=self.rng.randint(1, 8)
            )
        )
        if age_days < 6 and roll < 0.6:
            return  # still in the triage queue
        try:
            if roll < 0.04 and age_days < 12:
                triage.complaint_request_info(
                    complaint=complaint,
                    actor=regulator,
                    question="请补充订单截图和扣费记录。",
                    at=decided_at,
                )
                return
            if roll < 0.15:
                reason = self.rng.choice(list(Complaint.RejectReason))
                triage.complaint_reject(
                    complaint=complaint, actor=regulator, reason=reason, note="", at=decided_at
                )
                return
            if roll < 0.19:
                original = (
                    Complaint.objects.filter(
                        app=complaint.app, submitted_at__lt=complaint.submitted_at
                    )
                    .exclude(pk=complaint.pk)
                    .order_by("-submitted_at")
                    .first()
                )
                if original is not None:
                    triage.complaint_mark_duplicate(
                        complaint=complaint, original=original, actor=regulator, at=decided_at
                    )
                    return
            if roll < 0.21:
                from complaints.services.events import complaint_move

                complaint_move(
                    complaint=complaint,
                    to_status=Complaint.Status.WITHDRAWN,
                    actor_role="consumer",
                    reason="已与商家协商解决",
                    at=decided_at,
                )
                return
            codes = labels or ["other"]
            if self.rng.random() < 0.08:
                # A regulator corrects the model now and then, and only where the text backs
                # the new label (a keyword of it, or weight from the classifier).
                backed = [
                    code
                    for code in Category.objects.values_list("code", flat=True)
                    if code not in codes and not labels_unbacked(complaint, [code])
                ]
                if backed:
                    codes = [self.rng.choice(backed)]
            triage.complaint_accept(
                complaint=complaint, actor=regulator, category_codes=codes, at=decided_at
            )
            complaint.refresh_from_db()
            if (
                not complaint.consent_share_with_operator
                or age_days < 10
                or self.rng.random() < 0.25
            ):
                return
            operator = self._operator_for(complaint.app)
            answered_at = self._past(decided_at + datetime.timedelta(days=self.rng.randint(1, 20)))
            if complaint.status not in workflow.AWAITING_OPERATOR:
                return
            operators.complaint_answer(
                complaint=complaint,
                actor=operator,
                text=self.rng.choice(
                    [
                        "已核实，费用已原路退回，并关闭了该账号的自动续费。",
                        "已向用户说明情况，相关权限申请已在新版本中改为按需申请。",
                        "经核查该问题属实，已安排专人联系用户处理。",
                        "该应用并非我司运营，请核实应用名称。",
                    ]
                ),
                closure_code=self.rng.choice(
                    ["refunded", "explained", "fixed", "fixed", "refunded"]
                ),
                at=answered_at,
            )
            complaint.refresh_from_db()
            if complaint.status != Complaint.Status.ANSWERED or age_days < 25:
                return
            reply_at = self._past(answered_at + datetime.timedelta(days=self.rng.randint(1, 5)))
            if self.rng.random() < 0.8:
                operators.complaint_confirm(complaint=complaint, at=reply_at)
                return
            operators.complaint_dispute(
                complaint=complaint, reason="退款金额不对，只退了一半。", at=reply_at
            )
            if age_days > 45:
                # Older disputes were settled by the regulator long ago.
                triage.complaint_close(
                    complaint=complaint,
                    actor=regulator,
                    reason="经监管人员协调，商家已补足退款。",
                    at=reply_at + datetime.timedelta(days=self.rng.randint(2, 6)),
                )
        except DomainError as exc:
            self.stderr.write(f"{complaint}: {exc.message}")

    def _past(self, moment: datetime.datetime) -> datetime.datetime:
        """History never runs ahead of the clock."""
        latest = timezone.now() - datetime.timedelta(minutes=5)
        return min(moment, latest)

    def _operator_for(self, app: App) -> User:
        """An operator account for the app's company (demo accounts are made on first need)."""
        company = app.operator
        membership = (
            CompanyMembership.objects.filter(company=company).select_related("user").first()
        )
        if membership:
            return membership.user
        user, _ = User.objects.get_or_create(
            username=f"operator-{company.pk}",
            defaults={"email": company.contact_email or f"operator{company.pk}@appwatch.demo"},
        )
        user.set_unusable_password()
        user.save()
        user.groups.add(Group.objects.get(name="operator"))
        CompanyMembership.objects.create(user=user, company=company)
        return user
