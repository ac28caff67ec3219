"""Load a year of fictional demo data: companies, apps, ~3,000 complaints in every category and
status, cases at every stage (overdue included), and one demo user per role.

Idempotent: a second run finds the data in place, adds nothing, and prints the users again.
Everything goes through the services, backdated with their `at` argument, so the history is
the same as real use would leave.
"""

import base64
import datetime
import json
import random
import re
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.test.utils import override_settings
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from complaints import workflow
from complaints.calendar import is_working_day
from complaints.errors import DomainError
from complaints.management.demo_lifecycle import DemoLifecycle
from complaints.management.demo_names import (
    APP_KINDS,
    CITIES,
    DEMO_TOTP_DEVICE,
    DEMO_TOTP_SECRET,
    DEMO_USERS,
    FALLBACK_TEXTS,
    INDUSTRIES,
    KIND_WORDS,
    MOBILE_PREFIXES,
    PREFIXES,
    SEED,
    STORES,
    demo_credit_code,
)
from complaints.models import (
    App,
    Case,
    CaseCategory,
    Category,
    Company,
    CompanyMembership,
    Complaint,
    Event,
    VerifiedEmail,
)
from complaints.models.event_messages import message
from complaints.services.statistics import statistics_refresh


class Command(DemoLifecycle, BaseCommand):
    help = "Load fictional demo data (idempotent) and print the demo users' passwords."

    def add_arguments(self, parser):
        parser.add_argument("--complaints", type=int, default=3000)
        parser.add_argument("--companies", type=int, default=50)
        parser.add_argument("--apps", type=int, default=80)

    def handle(self, *args, complaints: int, companies: int, apps: int, **options):
        # Years of fictional history would send thousands of notification emails.
        with override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"):
            self._load(complaints=complaints, companies=companies, apps=apps)

    def _load(self, *, complaints: int, companies: int, apps: int) -> None:
        users = self._users()
        if Company.objects.filter(credit_code=demo_credit_code(1)).exists():
            self.stdout.write("Demo data already loaded; nothing added.")
        else:
            self.rng = random.Random(SEED)
            self.today = timezone.localdate()
            company_rows = self._companies(companies)
            app_rows = self._apps(apps, company_rows)
            CompanyMembership.objects.get_or_create(
                user=users["operator"], company=self._busiest_company(app_rows)
            )
            self._complaints(complaints, app_rows, users)
            self._cases(users)
            statistics_refresh(full=True)  # the form offers the apps named most at once
        self._report(users)

    # --- people ----------------------------------------------------------------------------

    def _users(self) -> dict[str, User]:
        users = {}
        for username, password, group, staff in DEMO_USERS:
            email = username if "@" in username else f"{username}@appwatch.demo"
            # Demo databases made before the consumer logged in by address called it "consumer".
            User.objects.filter(username=group, email=email).update(username=username)
            user, created = User.objects.get_or_create(username=username, defaults={"email": email})
            if created:
                user.set_password(password)
            user.is_staff = staff
            user.is_superuser = group == "admin"
            user.save()
            user.groups.add(Group.objects.get(name=group))
            if staff:
                TOTPDevice.objects.update_or_create(
                    user=user,
                    name=DEMO_TOTP_DEVICE,
                    defaults={
                        "key": base64.b32decode(DEMO_TOTP_SECRET).hex(),
                        "confirmed": True,
                    },
                )
            users[group] = user
        # The demo consumer's (fictional) address counts as confirmed, as a returning user's
        # would be: "my complaints" shows their complaints, not the confirmation prompt.
        VerifiedEmail.objects.get_or_create(
            user=users["consumer"],
            defaults={"email": users["consumer"].email, "verified_at": timezone.now()},
        )
        return users

    def _report(self, users):
        self.stdout.write(
            f"Demo data: {Company.objects.count()} companies, {App.objects.count()} apps, "
            f"{Complaint.objects.count()} complaints, {Case.objects.count()} cases, {Event.objects.count()} events."
        )
        self.stdout.write("Demo users (log-in name / password):")
        for username, password, group, _ in DEMO_USERS:
            self.stdout.write(f"  {group:<10} {username} / {password}")
        self.stdout.write(
            f"Two-factor secret of the demo regulator and admin: {DEMO_TOTP_SECRET} (add it to "
            "an authenticator app, or run `manage.py demo_code` for the current code)."
        )

    # --- registry --------------------------------------------------------------------------

    def _companies(self, count: int) -> list[Company]:
        rows = []
        for n in range(1, count + 1):
            (zh, en) = PREFIXES[(n - 1) % len(PREFIXES)]
            (ind_zh, ind_en) = INDUSTRIES[(n - 1) // len(PREFIXES) % len(INDUSTRIES)]
            city, _, _ = CITIES[n % len(CITIES)]
            rows.append(
                Company.objects.create(
                    name=f"{city}{zh}{ind_zh}有限公司",
                    name_en=f"{en} {ind_en} Co., Ltd.",
                    credit_code=demo_credit_code(n),
                    contact_name="合规专员",
                    contact_email=f"compliance{n}@{en.lower()}.example",
                    contact_phone=f"0571-8{n:03d}{n:04d}"[:13],
                    address=f"{city}市示例路{n}号",
                )
            )
        return rows

    def _apps(self, count: int, companies: list[Company]) -> list[App]:
        rows = []
        used = set()
        for n in range(count):
            company = (
                companies[n % len(companies)] if n < len(companies) else self.rng.choice(companies)
            )
            prefix_zh, prefix_en = PREFIXES[self.rng.randrange(len(PREFIXES))]
            kind_zh, kind_en, slug = APP_KINDS[n % len(APP_KINDS)]
            name = f"{prefix_zh}{kind_zh}"
            if name in used:
                name = f"{prefix_zh}{kind_zh}{n}"
            used.add(name)
            city = CITIES[n % len(CITIES)]
            platform = self.rng.choice(
                [
                    App.Platform.MULTI,
                    App.Platform.ANDROID,
                    App.Platform.IOS,
                    App.Platform.MINI_PROGRAM,
                ]
            )
            rows.append(
                App.objects.create(
                    name=name,
                    aliases=[f"{prefix_en} {kind_en}", f"{prefix_zh}{kind_zh}APP"],
                    package_name=f"com.{prefix_en.lower()}.{slug}{n}",
                    platform=platform,
                    stores=self.rng.sample(STORES, 3),
                    filing_number=f"{city[1]}ICP备{20230000 + n * 37:08d}号-{self.rng.randint(1, 9)}A",
                    operator=company,
                    versions_seen=[
                        f"{self.rng.randint(3, 12)}.{self.rng.randint(0, 9)}.{self.rng.randint(0, 20)}"
                    ],
                )
            )
        return rows

    def _busiest_company(self, apps: list[App]) -> Company:
        return apps[0].operator

    # --- complaints ------------------------------------------------------------------------

    def _corpus(self) -> list[dict]:
        rows = []
        for path in sorted((Path(settings.BASE_DIR) / "classifier" / "corpus").glob("*.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    try:
                        rows.append(json.loads(line))
                    except json.JSONDecodeError:
                        continue
        if not rows:
            rows = [
                {"text": text, "labels": [code], "lang": "zh"}
                for code, text in FALLBACK_TEXTS.items()
            ]
        return rows

    def _complaints(self, count: int, apps: list[App], users: dict[str, User]) -> None:
        from complaints.services.intake import complaint_submit

        corpus = self._corpus()
        pools = _texts_by_kind(corpus)
        # Its own generator, so adding contacts leaves every other draw as it was.
        contacts = random.Random(SEED + 1)
        # A few apps draw most complaints, as in real life.
        weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(apps))]
        now = timezone.now()
        self.stdout.write(f"Filing {count} complaints …")
        for i in range(count):
            app = self.rng.choices(apps, weights=weights)[0]
            # A text about this kind of app, or one that would fit any app.
            kind_rows, any_app = pools.get(_kind_of(app), []), pools[None]
            row = self.rng.choice(kind_rows if kind_rows and self.rng.random() < 0.7 else any_app)
            # Older complaints first; more of them recently.
            age_days = int(365 * (self.rng.random() ** 1.4))
            submitted_at = now - datetime.timedelta(
                days=age_days, minutes=self.rng.randrange(0, 24 * 60)
            )
            amount = None
            labels = [code for code in row.get("labels", []) if code]
            if {"fraud", "unauthorized_charges", "price_discrimination"} & set(labels):
                amount = Decimal(
                    self.rng.choice(
                        [6, 12, 18, 25, 30, 68, 99, 128, 198, 368, 520, 1200, 3800, 12000]
                    )
                )
            submitter = users["consumer"] if i % 97 == 0 else None
            complaint, _token = complaint_submit(
                description=self._with_contact(row["text"], row.get("lang"), contacts),
                app=app,
                app_name=app.name,
                occurred_date=(
                    submitted_at - datetime.timedelta(days=self.rng.randint(0, 5))
                ).date(),
                amount=amount,
                channel=self.rng.choice(
                    [Complaint.Channel.WEB] * 6 + [Complaint.Channel.API, Complaint.Channel.HOTLINE]
                ),
                language="en" if row.get("lang") == "en" else "zh-hans",
                consent_share_with_operator=self.rng.random() < 0.8,
                consent_publish=self.rng.random() < 0.5,
                submitter=submitter,
                contact_email=submitter.email if submitter else "",
                submitted_at=submitted_at,
                send_receipt=False,
                classify=False,
            )
            self._ensure_labelled(complaint, labels, submitted_at)
            self._advance(complaint, labels, age_days, submitted_at, users)
            if (i + 1) % 500 == 0:
                self.stdout.write(f"  {i + 1} filed")

    @staticmethod
    def _with_contact(text: str, lang: str | None, rng: random.Random) -> str:
        """About one complaint in six leaves a (fictional) phone number in its text, as
        consumers do: the demo then shows masking on the operator and public pages."""
        if rng.random() >= 1 / 6:
            return text
        number = f"{rng.choice(MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"
        if lang == "en":
            return f"{text} You can call me back on {number}."
        return f"{text}我的电话{number}，可以回访。"

    # --- cases -----------------------------------------------------------------------------

    def _cases(self, users) -> None:
        """Open cases on the busiest app and category pairs and walk each to a different stage."""
        from django.db.models import Count

        from complaints.services import cases, triage

        regulator = users["regulator"]
        pairs = (
            Complaint.objects.filter(status__in=workflow.CONFIRMED)
            .values("app", "categories")
            .annotate(n=Count("id"))
            .filter(n__gte=2, categories__isnull=False)
            .order_by("-n")[:60]
        )
        stages = [
            "open",
            "notice",
            "response",
            "rectified",
            "not_rectified",
            "overdue",
            "escalated",
            "closed",
            "recurrence",
        ]
        days_ago = {
            "open": 5,
            "notice": 12,
            "response": 25,
            "rectified": 70,
            "not_rectified": 45,
            "overdue": 40,
            "escalated": 80,
            "closed": 150,
            "recurrence": 200,
        }
        candidates = list(dict.fromkeys((pair["app"], pair["categories"]) for pair in pairs))
        taken: set[tuple[int, int]] = set()
        self.stdout.write("Opening cases …")
        # The stages needing the oldest complaints choose first, before younger ones take them.
        stages.sort(key=lambda stage: -days_ago[stage])
        for index in range(len(candidates)):
            stage = stages[index % len(stages)]
            opened_at = timezone.now() - datetime.timedelta(
                days=days_ago[stage] + self.rng.randint(0, 10)
            )
            # A case takes in complaints accepted before it opened, so every history runs
            # forward: each stage goes to the busiest pair with complaints old enough for it,
            # so which stages appear does not hinge on which texts the complaints drew.
            # Complaints are read afresh: one linked to an earlier case is no longer accepted.
            chosen = next(
                (
                    (key, related)
                    for key in candidates
                    if key not in taken
                    and self._fits_stage(key, related := self._accepted_for(*key), opened_at)
                ),
                None,
            )
            if chosen is None:
                continue  # no case without the complaints that justify it
            key, related = chosen
            taken.add(key)
            app = App.objects.get(pk=key[0])
            category = Category.objects.get(pk=key[1])
            related = [c for c in related if c.decided_at < opened_at]
            try:
                existing = (
                    CaseCategory.objects.filter(app=app, category=category, is_open=True)
                    .select_related("case")
                    .first()
                )
                if existing is not None:
                    # A trigger rule already opened it while complaints were accepted.
                    case = existing.case
                    if case.status != Case.Status.OPEN or case.opened_at > opened_at:
                        continue  # too recent for this stage's history
                    opened_at = case.opened_at
                    related = [c for c in related if c.decided_at < opened_at]
                else:
                    case = cases.case_open(
                        app=app,
                        categories=[category],
                        actor=regulator,
                        title=f"{app.name}：{category.name_zh}",
                        summary=f"{len(related)} 件已受理投诉反映{app.name}存在{category.name_zh}问题。",
                        at=opened_at,
                    )
                for complaint in related:
                    triage.complaint_link_case(
                        complaint=complaint,
                        case=case,
                        actor=regulator,
                        at=opened_at + datetime.timedelta(hours=1),
                    )
                if stage == "open":
                    continue
                issued_at = opened_at + datetime.timedelta(days=2)
                notice_deadline = None
                if stage == "overdue":
                    notice_deadline = self.today - datetime.timedelta(days=self.rng.randint(3, 20))
                    while not is_working_day(notice_deadline):  # deadlines fall on working days
                        notice_deadline -= datetime.timedelta(days=1)
                elif stage == "notice":
                    # Still running today whatever the category's default period.
                    notice_deadline = self.today + datetime.timedelta(days=10)
                    while not is_working_day(notice_deadline):
                        notice_deadline += datetime.timedelta(days=1)
                cases.notice_issue(
                    case=case,
                    actor=regulator,
                    problems=case.summary,
                    deadline_date=notice_deadline,
                    at=issued_at,
                )
                if stage == "notice":
                    continue
                if stage in ("overdue", "escalated"):
                    case.refresh_from_db()
                    if stage == "escalated":
                        # The deadline passed unanswered, then the regulator escalated.
                        from complaints.services.events import case_move

                        case_move(
                            case=case,
                            to_status=Case.Status.OVERDUE,
                            actor_role="system",
                            message=message("deadline_passed", date=case.deadline_date.isoformat()),
                            at=issued_at + datetime.timedelta(days=20),
                        )
                        cases.case_escalate(
                            case=case,
                            actor=regulator,
                            measure=Case.Escalation.PUBLIC_NOTICE,
                            reason="逾期未整改",
                            at=issued_at + datetime.timedelta(days=25),
                        )
                    continue
                operator = self._operator_for(app)
                report_at = issued_at + datetime.timedelta(days=self.rng.randint(3, 9))
                cases.rectification_report_submit(
                    case=case,
                    actor=operator,
                    text="已完成整改：删除非必要权限申请，更新隐私政策并上线新版本。",
                    at=report_at,
                )
                if stage == "response":
                    continue
                verify_at = report_at + datetime.timedelta(days=3)
                if stage == "not_rectified":
                    cases.rectification_verify(
                        case=case,
                        actor=regulator,
                        rectified=False,
                        notes="复测发现问题仍然存在。",
                        at=verify_at,
                    )
                    continue
                cases.rectification_verify(
                    case=case, actor=regulator, rectified=True, notes="复测通过。", at=verify_at
                )
                if stage == "rectified":
                    continue
                cases.case_close(
                    case=case,
                    actor=regulator,
                    reason="整改完成，结案。",
                    at=verify_at + datetime.timedelta(days=2),
                )
            except DomainError as exc:
                self.stderr.write(f"{app} / {category.code} ({stage}): {exc.message}")
        cases.cases_mark_overdue(today=self.today)

    @staticmethod
    def _accepted_for(app_id: int, category_id: int) -> list[Complaint]:
        return list(
            Complaint.objects.filter(
                app_id=app_id, categories=category_id, status=Complaint.Status.ACCEPTED
            )
            .exclude(decided_at=None)
            .order_by("submitted_at")[:8]
        )

    @staticmethod
    def _fits_stage(key: tuple[int, int], related: list[Complaint], opened_at) -> bool:
        """Some complaint was accepted before `opened_at`, and no case a trigger rule opened
        on the pair is more recent than that (its history would then run backwards)."""
        if not any(c.decided_at < opened_at for c in related):
            return False
        existing = (
            CaseCategory.objects.filter(app_id=key[0], category_id=key[1], is_open=True)
            .select_related("case")
            .first()
        )
        return existing is None or (
            existing.case.status == Case.Status.OPEN and existing.case.opened_at <= opened_at
        )


def _kind_of(app: App) -> str | None:
    """The demo app's kind, from the package name it was given (com.<brand>.<kind><n>)."""
    match = re.fullmatch(r"com\.[a-z]+\.([a-z]+)\d*", app.package_name or "")
    return match.group(1) if match else None


def _texts_by_kind(corpus: list[dict]) -> dict[str | None, list[dict]]:
    """Corpus rows by the kind of app their words tie them to; None: rows that fit any app.
    A row that names two kinds (a ride to a restaurant) fits neither on its own."""
    pools: dict[str | None, list[dict]] = {None: []}
    patterns = {kind: re.compile(words, re.IGNORECASE) for kind, words in KIND_WORDS.items()}
    for row in corpus:
        kinds = [kind for kind, pattern in patterns.items() if pattern.search(row["text"])]
        if len(kinds) == 1:
            pools.setdefault(kinds[0], []).append(row)
        elif not kinds:
            pools[None].append(row)
    if not pools[None]:
        pools[None] = list(corpus)
    return pools
