"""Invariants the database itself keeps."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from complaints.models import Case, CaseCategory, Company, Complaint, Event
from tests.factories import AppFactory, CompanyFactory, category, credit_code, make_complaint

pytestmark = pytest.mark.django_db


def test_tracking_numbers_are_unique_and_readable():
    first, second = make_complaint(), make_complaint()
    assert first.tracking_number != second.tracking_number
    assert first.tracking_number.startswith("AW-") and len(first.tracking_number) == 16
    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.filter(pk=second.pk).update(tracking_number=first.tracking_number)


def test_access_token_is_kept_only_as_a_hash():
    complaint = make_complaint()
    assert complaint.test_token not in complaint.access_token_hash
    assert len(complaint.access_token_hash) == 64


def test_negative_amount_is_refused_by_the_database():
    complaint = make_complaint()
    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(amount=Decimal("-1.00"))


def test_rating_outside_one_to_five_is_refused():
    complaint = make_complaint()
    with pytest.raises(IntegrityError), transaction.atomic():
        Complaint.objects.filter(pk=complaint.pk).update(rating=6)


def test_one_open_case_per_app_and_category():
    app = AppFactory()
    fraud = category("fraud")
    first = Case.objects.create(reference="RC-1", app=app)
    CaseCategory.objects.create(case=first, category=fraud, app=app)
    second = Case.objects.create(reference="RC-2", app=app)
    with pytest.raises(IntegrityError), transaction.atomic():
        CaseCategory.objects.create(case=second, category=fraud, app=app)
    # Once the first is closed, a new case for the same pair is allowed.
    CaseCategory.objects.filter(case=first).update(is_open=False)
    CaseCategory.objects.create(case=second, category=fraud, app=app)
    # Another category on the same app was never a conflict.
    third = Case.objects.create(reference="RC-3", app=app)
    CaseCategory.objects.create(case=third, category=category("over_permission"), app=app)


def test_import_source_and_external_id_are_unique_together():
    make_complaint(source="hotline", external_id="H-1")
    make_complaint(source="other", external_id="H-1")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_complaint(source="hotline", external_id="H-1")


def test_credit_code_checksum_is_validated():
    company = CompanyFactory.build(credit_code=credit_code(7))
    company.full_clean()
    bad = credit_code(7)[:-1] + ("0" if credit_code(7)[-1] != "0" else "1")
    with pytest.raises(ValidationError) as excinfo:
        CompanyFactory.build(credit_code=bad).full_clean()
    assert "credit_code" in excinfo.value.message_dict


def test_events_are_append_only():
    complaint = make_complaint()
    event = Event.objects.filter(complaint=complaint).first()
    event.reason = "rewritten"
    with pytest.raises(ValueError):
        event.save()
    with pytest.raises(ValueError):
        event.delete()


def test_taxonomy_is_seeded_with_both_languages_and_deadlines():
    from complaints.models import Category

    codes = set(Category.objects.values_list("code", flat=True))
    assert codes == {
        "over_permission",
        "illegal_collection",
        "data_sharing_leak",
        "price_discrimination",
        "fraud",
        "unauthorized_charges",
        "account_cancellation",
        "misleading_popups",
        "other",
    }
    for cat in Category.objects.all():
        assert (
            cat.name_zh
            and cat.name_en
            and cat.legal_basis_zh
            and cat.default_deadline_working_days > 0
        )
    assert "第二十四条" in Category.objects.get(code="price_discrimination").legal_basis_zh


def test_one_active_model_version():
    from classifier.models import ModelVersion

    ModelVersion.objects.create(version="v1", status="active")
    ModelVersion.objects.create(version="v2", status="retired")
    with pytest.raises(IntegrityError), transaction.atomic():
        ModelVersion.objects.create(version="v3", status="active")


def test_company_str_and_role_groups_exist():
    from django.contrib.auth.models import Group

    assert str(Company(name="甲公司")) == "甲公司"
    assert set(Group.objects.values_list("name", flat=True)) >= {
        "consumer",
        "operator",
        "regulator",
        "admin",
    }
