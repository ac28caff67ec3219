"""Model versions in the admin: their provenance and metrics, activation and deactivation
through the promotion gate, and retraining on demand."""

from django.conf import settings
from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from .models import ModelVersion


def _f1(value) -> str:
    return f"{value:.4f}" if isinstance(value, int | float) else "-"


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = [
        "version",
        "status",
        "algorithm",
        "test_macro_f1",
        "test_micro_f1",
        "examples",
        "created_at",
        "activated_at",
    ]
    list_filter = ["status", "algorithm"]
    search_fields = ["version", "corpus_hash", "code_revision", "algorithm"]
    ordering = ["-created_at"]
    actions = ["activate", "activate_force", "deactivate", "retrain"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "version",
                    "status",
                    "algorithm",
                    "created_at",
                    "activated_at",
                    "trained_by",
                    "notes",
                ]
            },
        ),
        (
            _("Quality"),
            {
                "fields": [
                    "metrics_summary",
                    "per_label_table",
                    "confusion_table",
                    "candidates_table",
                    "thresholds",
                ]
            },
        ),
        (
            _("Provenance"),
            {
                "fields": [
                    "corpus_hash",
                    "example_counts",
                    "library_versions",
                    "code_revision",
                    "params",
                    "training_seconds",
                    "artifact_path",
                    "artifact_sha256",
                    "artifact_size",
                ]
            },
        ),
    ]
    readonly_fields = [
        "version",
        "status",
        "algorithm",
        "created_at",
        "activated_at",
        "trained_by",
        "notes",
        "metrics_summary",
        "per_label_table",
        "confusion_table",
        "candidates_table",
        "thresholds",
        "corpus_hash",
        "example_counts",
        "library_versions",
        "code_revision",
        "params",
        "training_seconds",
        "artifact_path",
        "artifact_sha256",
        "artifact_size",
    ]

    def get_queryset(self, request):
        # The artifact is megabytes; no page here needs it.
        return super().get_queryset(request).defer("artifact")

    def has_add_permission(self, request):
        return False  # versions come from training only

    # -- columns -----------------------------------------------------------------------------
    @admin.display(description=_("test macro-F1"))
    def test_macro_f1(self, obj):
        return _f1(obj.metrics.get("test", {}).get("macro_f1"))

    @admin.display(description=_("test micro-F1"))
    def test_micro_f1(self, obj):
        return _f1(obj.metrics.get("test", {}).get("micro_f1"))

    @admin.display(description=_("examples (train/test)"))
    def examples(self, obj):
        counts = obj.example_counts or {}
        return f"{counts.get('train', '-')}/{counts.get('test', '-')}"

    @admin.display(description=_("summary"))
    def metrics_summary(self, obj):
        test = obj.metrics.get("test", {})
        if not test:
            return "-"
        by_lang = obj.metrics.get("test_by_lang", {})
        cv = obj.metrics.get("cv", {})
        gate = obj.metrics.get("gate", {})
        rows = [
            (_("test macro-F1"), _f1(test.get("macro_f1"))),
            (_("test micro-F1"), _f1(test.get("micro_f1"))),
            (_("CV macro-F1"), _f1(cv.get("macro_f1"))),
            (
                _("leave-one-register-out macro-F1"),
                _f1(obj.metrics.get("shifted", {}).get("macro_f1")),
            ),
            *(
                (_("test macro-F1, %(lang)s") % {"lang": lang}, _f1(s.get("macro_f1")))
                for lang, s in by_lang.items()
            ),
            (_("test examples"), test.get("n", "-")),
        ]
        if gate:
            rows.append(
                (
                    _("promotion gate"),
                    f"{_f1(gate.get('candidate_macro_f1'))} vs {gate.get('active_version') or '-'} "
                    f"{_f1(gate.get('active_macro_f1'))}: {'passed' if gate.get('passed') else 'refused'}",
                )
            )
        return format_html(
            "<table>{}</table>", format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", rows)
        )

    @admin.display(description=_("per label (test split)"))
    def per_label_table(self, obj):
        per_label = obj.metrics.get("test", {}).get("per_label", {})
        if not per_label:
            return "-"
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>F1</th><th>{}</th><th>{}</th></tr>",
            _("label"),
            _("precision"),
            _("recall"),
            _("support"),
            _("threshold"),
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    label,
                    _f1(r["precision"]),
                    _f1(r["recall"]),
                    _f1(r["f1"]),
                    r["support"],
                    obj.thresholds.get(label, "-"),
                )
                for label, r in per_label.items()
            ),
        )
        return format_html("<table>{}{}</table>", header, rows)

    @admin.display(description=_("confusion (rows: true label, columns: predicted)"))
    def confusion_table(self, obj):
        matrix = obj.metrics.get("test", {}).get("confusion", {}).get("matrix")
        if not matrix:
            return "-"
        labels = matrix["labels"]
        header = format_html(
            "<tr><th></th>{}</tr>",
            format_html_join("", "<th>{}</th>", ((label[:8],) for label in labels)),
        )
        rows = format_html_join(
            "",
            "<tr><th>{}</th>{}</tr>",
            (
                (label, format_html_join("", "<td>{}</td>", ((n,) for n in row)))
                for label, row in zip(labels, matrix["rows"], strict=True)
            ),
        )
        return format_html("<table>{}{}</table>", header, rows)

    @admin.display(description=_("candidates"))
    def candidates_table(self, obj):
        candidates = obj.metrics.get("candidates", [])
        if not candidates:
            return "-"
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("algorithm"),
            _("CV macro-F1"),
            _("test macro-F1"),
            _("test micro-F1"),
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    c["algorithm"],
                    _f1(c["cv"]["macro_f1"]),
                    _f1(c["test"].get("macro_f1")),
                    _f1(c["test"].get("micro_f1")),
                )
                for c in candidates
            ),
        )
        return format_html("<table>{}{}</table>", header, rows)

    # -- actions -----------------------------------------------------------------------------
    def _activate(self, request, queryset, *, force: bool):
        if queryset.count() != 1:
            self.message_user(
                request, _("Select exactly one version to activate."), messages.WARNING
            )
            return
        # Imported here: the training stack (scikit-learn, skops) costs seconds to import, and
        # every process that loads the admin (web, worker, manage.py) would pay it at start-up.
        from .services import RegistryError, model_version_activate

        version = queryset.get()
        try:
            decision = model_version_activate(version=version, actor=request.user, force=force)
        except RegistryError as exc:
            self.message_user(request, exc.message, messages.ERROR)
            return
        self.message_user(
            request,
            _("Version %(version)s is active (test macro-F1 %(f1).4f).")
            % {"version": version.version, "f1": decision.candidate_macro_f1},
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Activate (if it passes the promotion gate)"), permissions=["change"]
    )
    def activate(self, request, queryset):
        self._activate(request, queryset, force=False)

    @admin.action(
        description=_("Activate even if it scores worse (superusers)"), permissions=["force"]
    )
    def activate_force(self, request, queryset):
        self._activate(request, queryset, force=True)

    def has_force_permission(self, request):
        return request.user.is_superuser

    @admin.action(
        description=_("Deactivate (classification pauses until a version is active)"),
        permissions=["change"],
    )
    def deactivate(self, request, queryset):
        from .services import model_version_deactivate

        active = list(queryset.filter(status=ModelVersion.Status.ACTIVE))
        if not active:
            self.message_user(
                request, _("None of the selected versions is active."), messages.WARNING
            )
        for version in active:
            model_version_deactivate(version=version, actor=request.user)
            self.message_user(
                request,
                _("Version %(version)s is retired.") % {"version": version.version},
                messages.SUCCESS,
            )

    @admin.action(
        description=_("Retrain on the corpus and confirmed complaints"), permissions=["change"]
    )
    def retrain(self, request, queryset):
        from .services import training_running

        if training_running():
            self.message_user(
                request,
                _("A training is already running; its version appears here when it is done."),
                messages.WARNING,
            )
            return
        task = import_string(settings.CLASSIFIER_RETRAIN_TASK)
        try:
            task.delay(actor_id=request.user.pk)
        except Exception:  # noqa: BLE001 — the broker is down; say so rather than fail the page
            self.message_user(
                request, _("Could not reach the task queue; try again later."), messages.ERROR
            )
            return
        self.message_user(
            request,
            _(
                "Retraining started. The new version appears here when it is done and is activated only if it passes the gate."
            ),
            messages.SUCCESS,
        )
