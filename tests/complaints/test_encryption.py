"""Contact details encrypted at rest: the raw columns hold no plaintext whichever door the
complaint came in by, the address is still found by its blind index, keys rotate, and the data
migration encrypts rows stored before."""

import importlib
import io
import json

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import override_settings
from django.utils import timezone

from complaints import encryption
from complaints.models import Complaint
from complaints.services import accounts as account_services
from tests.factories import make_complaint

NAME, PHONE, EMAIL = "王小明", "13812345678", "Wang.XiaoMing@Example.com"
STORED_EMAIL = "Wang.XiaoMing@example.com"  # the domain in lower case
FIRST_KEY = "dGVzdC1maWVsZC1lbmNyeXB0aW9uLWtleS0wMDAwMDA="  # config/settings_test.py


def raw_contact(pk: int) -> tuple[str, str, str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT contact_name, contact_phone, contact_email, contact_email_index "
            "FROM complaints_complaint WHERE id = %s",
            [pk],
        )
        return cursor.fetchone()


def assert_no_plaintext(pk: int) -> None:
    name, phone, email, index = raw_contact(pk)
    stored = " ".join([name, phone, email, index])
    for secret in (NAME, "13812345678", "1234", "xiaoming", "XiaoMing", "example.com"):
        assert secret not in stored
    # Fernet tokens, each readable with the suite's key.
    assert Fernet(FIRST_KEY).decrypt(name.encode()).decode() == NAME
    assert len(index) == 64


def test_a_filed_complaint_keeps_no_contact_detail_in_plaintext(app):
    complaint = make_complaint(app=app, contact_name=NAME, contact_phone=PHONE, contact_email=EMAIL)
    assert_no_plaintext(complaint.pk)
    fresh = Complaint.objects.get(pk=complaint.pk)
    assert (fresh.contact_name, fresh.contact_phone) == (NAME, "+8613812345678")
    assert fresh.contact_email == STORED_EMAIL


def test_imported_complaints_are_encrypted_too(app, tmp_path):
    """The import writes with COPY on PostgreSQL (and bulk_create elsewhere), around the
    model's save: both doors encrypt."""
    path = tmp_path / "rows.jsonl"
    row = {
        "external_id": "H-1",
        "app_name": app.name,
        "description": "强制索取通讯录权限",
        "contact_name": NAME,
        "contact_phone": PHONE,
        "contact_email": EMAIL,
    }
    path.write_text(json.dumps(row, ensure_ascii=False) + "\n", encoding="utf-8")
    call_command("import_complaints", str(path), "--source", "hotline", stdout=io.StringIO())
    complaint = Complaint.objects.get(external_id="H-1")
    assert_no_plaintext(complaint.pk)
    assert complaint.contact_name == NAME
    assert complaint.contact_email_index == encryption.email_index(EMAIL)


def test_no_contact_detail_stores_empty_columns(app):
    complaint = make_complaint(app=app)
    assert raw_contact(complaint.pk) == ("", "", "", "")
    assert Complaint.objects.filter(contact_email="").filter(pk=complaint.pk).exists()


def test_looking_up_an_encrypted_value_is_refused_loudly(app):
    with pytest.raises(FieldError, match="blind index"):
        Complaint.objects.filter(contact_email="a@example.com").exists()
    with pytest.raises(FieldError):
        Complaint.objects.filter(contact_email__iexact="a@example.com").exists()


def test_the_blind_index_ignores_case_and_full_width_letters():
    assert encryption.email_index(" A@Example.COM ") == encryption.email_index("a@example.com")
    assert encryption.email_index("ａ@example.com") == encryption.email_index("a@example.com")
    assert encryption.email_index("b@example.com") != encryption.email_index("a@example.com")
    assert encryption.email_index("") == ""
    with override_settings(CONTACT_INDEX_KEY="another-key"):
        keyed_otherwise = encryption.email_index("a@example.com")
    assert keyed_otherwise != encryption.email_index("a@example.com")


def test_claiming_by_a_verified_address_still_finds_the_complaints(app, alice):
    mine = make_complaint(app=app, contact_email="ALICE@example.com")
    make_complaint(app=app, contact_email="someone-else@example.com")
    make_complaint(app=app)
    account_services.VerifiedEmail.objects.create(
        user=alice, email=alice.email, verified_at=timezone.now()
    )
    assert account_services.complaints_claim(user=alice) == 1
    mine.refresh_from_db()
    assert mine.submitter == alice


def test_erasure_clears_the_index_with_the_address(app):
    from complaints.services.consumers import complaint_erase

    complaint = make_complaint(app=app, contact_email=EMAIL, contact_name=NAME)
    complaint_erase(complaint=complaint)
    assert raw_contact(complaint.pk) == ("", "", "", "")


def test_rotation_reencrypts_under_the_new_key_and_the_old_key_can_go(app):
    complaint = make_complaint(app=app, contact_name=NAME, contact_phone=PHONE, contact_email=EMAIL)
    before = raw_contact(complaint.pk)
    new_key = Fernet.generate_key().decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key, FIRST_KEY]):
        out = io.StringIO()
        call_command("rotate_contact_key", stdout=out)
        assert "1 complaints" in out.getvalue()
    after = raw_contact(complaint.pk)
    assert after[:3] != before[:3] and after[3] == before[3]
    assert Fernet(new_key).decrypt(after[0].encode()).decode() == NAME
    with override_settings(FIELD_ENCRYPTION_KEYS=[new_key]):
        assert Complaint.objects.get(pk=complaint.pk).contact_email == STORED_EMAIL
    # Without the key that encrypted them, the details cannot be read: said plainly.
    with (
        override_settings(FIELD_ENCRYPTION_KEYS=[FIRST_KEY]),
        pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS"),
    ):
        Complaint.objects.get(pk=complaint.pk)


def test_new_key_prints_a_usable_key():
    out = io.StringIO()
    call_command("rotate_contact_key", "--new-key", stdout=out)
    Fernet(out.getvalue().strip())


def test_the_data_migration_encrypts_rows_stored_in_plaintext(app):
    complaint = make_complaint(app=app)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE complaints_complaint SET contact_name = %s, contact_phone = %s, "
            "contact_email = %s WHERE id = %s",
            [NAME, "+8613812345678", EMAIL, complaint.pk],
        )
    migration = importlib.import_module("complaints.migrations.0020_contact_details_encrypted")
    # The models as they are when the migration's RunPython step runs: plain text columns.
    state = MigrationLoader(connection).project_state(("complaints", "0017_event_update_trigger"))
    for operation in migration.Migration.operations[:4]:
        operation.state_forwards("complaints", state)
    migration.encrypt_rows(state.apps, None)
    assert_no_plaintext(complaint.pk)
    fresh = Complaint.objects.get(pk=complaint.pk)
    assert (fresh.contact_name, fresh.contact_email) == (NAME, EMAIL)
    assert fresh.contact_email_index == encryption.email_index(EMAIL)
    migration.decrypt_rows(state.apps, None)
    assert raw_contact(complaint.pk)[:3] == (NAME, "+8613812345678", EMAIL)
