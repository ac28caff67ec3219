"""Who is complained about: operating companies, their operator accounts and apps, and the
taxonomy of problems with the trigger rules that open cases per category."""

from typing import ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from stdnum.cn import uscc


def validate_credit_code(value: str) -> None:
    """Unified social credit code (统一社会信用代码), checksum verified by python-stdnum."""
    if not uscc.is_valid(value):
        raise ValidationError(
            _("%(value)s is not a valid unified social credit code."), params={"value": value}
        )


class Company(models.Model):
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("English name"), max_length=200, blank=True)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
    )
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=32, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("company")
        verbose_name_plural = _("companies")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.credit_code = uscc.compact(self.credit_code)
        super().save(*args, **kwargs)


class CompanyMembership(models.Model):
    """Links an operator user account to the company whose apps it answers for."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    company = models.ForeignKey(Company, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("operator account")
        verbose_name_plural = _("operator accounts")
        constraints = [
            models.UniqueConstraint(fields=["user", "company"], name="unique_membership")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.company}"


class App(models.Model):
    class Platform(models.TextChoices):
        ANDROID = "android", _("Android")
        IOS = "ios", _("iOS")
        HARMONY = "harmony", _("HarmonyOS")
        MINI_PROGRAM = "mini_program", _("mini program")
        WEB = "web", _("website")
        MULTI = "multi", _("several platforms")

    class AppType(models.TextChoices):
        """Common app types of the 2021 rule on necessary personal information; the personal
        information each may need lives in inspections/data/app_types.json."""

        MAPS_NAVIGATION = "maps_navigation", _("maps and navigation")
        RIDE_HAILING = "ride_hailing", _("ride hailing")
        INSTANT_MESSAGING = "instant_messaging", _("instant messaging")
        ONLINE_COMMUNITY = "online_community", _("online community")
        ONLINE_PAYMENT = "online_payment", _("online payment")
        ONLINE_SHOPPING = "online_shopping", _("online shopping")
        FOOD_DELIVERY = "food_delivery", _("food delivery")
        EXPRESS_DELIVERY = "express_delivery", _("express delivery")
        TRANSPORT_TICKETS = "transport_tickets", _("transport tickets")
        ONLINE_LENDING = "online_lending", _("online lending")
        ONLINE_GAMES = "online_games", _("online games")
        SHORT_VIDEO = "short_video", _("short video")
        LIVE_STREAMING = "live_streaming", _("live streaming")
        NEWS = "news", _("news")
        BROWSER = "browser", _("browser")
        INPUT_METHOD = "input_method", _("input method")
        PHOTO_EDITING = "photo_editing", _("photo and beauty")

    name = models.CharField(_("name"), max_length=120)
    app_type = models.CharField(
        _("app type"),
        max_length=24,
        choices=AppType.choices,
        blank=True,
        help_text=_("Decides which permissions an inspection counts as necessary."),
    )
    aliases = models.JSONField(
        _("aliases"), default=list, blank=True, help_text=_("Other names consumers use.")
    )
    package_name = models.CharField(_("package name"), max_length=200, blank=True)
    platform = models.CharField(
        _("platform"), max_length=16, choices=Platform.choices, default=Platform.MULTI
    )
    stores = models.JSONField(_("app stores"), default=list, blank=True)
    filing_number = models.CharField(_("filing number (备案号)"), max_length=64, blank=True)
    operator = models.ForeignKey(
        Company,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="apps",
        verbose_name=_("operator"),
    )
    versions_seen = models.JSONField(_("versions seen"), default=list, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("app")
        verbose_name_plural = _("apps")
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["package_name"],
                condition=~Q(package_name=""),
                name="unique_app_package_name",
            ),
        ]
        indexes = [models.Index(fields=["name"], name="app_name_lookup")]

    # Moved by every save and delete of an app in this process: the app search keeps a copy
    # of the registry (selectors/intake.py) and makes it again when this has moved.
    changes_here: ClassVar[int] = 0

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)
        App.changes_here += 1

    def delete(self, *args, **kwargs):
        deleted = super().delete(*args, **kwargs)
        App.changes_here += 1
        return deleted


class Category(models.Model):
    """One kind of problem in the taxonomy (seeded by migration, edited in admin)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("name (zh-Hans)"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=80)
    description_zh = models.TextField(_("description (zh-Hans)"), blank=True)
    description_en = models.TextField(_("description (English)"), blank=True)
    legal_basis_zh = models.TextField(_("legal basis (zh-Hans)"), blank=True)
    legal_basis_en = models.TextField(_("legal basis (English)"), blank=True)
    default_deadline_working_days = models.PositiveSmallIntegerField(
        _("default rectification deadline (working days)"), default=15
    )
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh

    @property
    def description(self) -> str:
        return (
            self.description_en if (get_language() or "").startswith("en") else self.description_zh
        )

    @property
    def legal_basis(self) -> str:
        return (
            self.legal_basis_en if (get_language() or "").startswith("en") else self.legal_basis_zh
        )


# Categories whose trigger rules may ask for an inspection of the app's package: the problems
# a package shows (permissions requested, SDKs embedded).
INSPECTION_CATEGORIES = ("over_permission", "illegal_collection")


class TriggerRule(models.Model):
    """Opens a case when confirmed complaints about one app in one category cross a threshold."""

    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, related_name="trigger_rules", verbose_name=_("category")
    )
    threshold = models.PositiveIntegerField(_("threshold"), default=5)
    window_days = models.PositiveIntegerField(_("window (days)"), default=30)
    is_active = models.BooleanField(_("active"), default=True)
    request_inspection = models.BooleanField(
        _("ask for an inspection"),
        default=False,
        help_text=_(
            "The case it opens asks the operator for the app's package (APK) and shows regulators "
            "a pending inspection request. Only for over-permission and illegal collection."
        ),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("trigger rule")
        verbose_name_plural = _("trigger rules")
        constraints = [
            models.CheckConstraint(
                condition=Q(threshold__gte=1), name="trigger_threshold_positive"
            ),
            models.CheckConstraint(condition=Q(window_days__gte=1), name="trigger_window_positive"),
        ]

    def __str__(self) -> str:
        return _("%(category)s: %(threshold)s in %(days)s days") % {
            "category": self.category,
            "threshold": self.threshold,
            "days": self.window_days,
        }

    def asks_for_inspection(self) -> bool:
        """Whether a case this rule opens asks for the package (a flag on a rule of another
        category, set before the admin refused it, asks for nothing)."""
        return self.request_inspection and self.category.code in INSPECTION_CATEGORIES

    def clean(self) -> None:
        if self.request_inspection and self.category_id and not self.asks_for_inspection():
            raise ValidationError(
                {
                    "request_inspection": _(
                        "Only rules on over-permission or illegal collection can ask for an "
                        "inspection of the app's package."
                    )
                }
            )
