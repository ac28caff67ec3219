"""Evidence files: judged by their content, never their name; images re-encoded so EXIF and GPS
never reach storage; stored under their SHA-256.

`evidence_clean` turns an upload into a CleanFile (or raises DomainError with a message for
the consumer); `evidence_attach` stores clean files on a complaint and records the Event.
Drafts hold clean files between the steps of the web form.
"""

import datetime
import hashlib
import io
import re
import secrets
import unicodedata
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import IO

import filetype
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from ..errors import DomainError
from ..models import Case, Complaint, Event, Evidence, OperatorResponse, evidence_upload_to
from .events import event_record
from .evidence_pdf import PdfDamaged, PdfProtected, pdf_active_content
from .row_insert import row_insert

IMAGE_TYPES = {"image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP"}
ALLOWED_TYPES = (*IMAGE_TYPES, "application/pdf")
# The most pixels an image may decode to, checked from the header before decoding. A phone
# screenshot is 1-5 MP (a long scrolling one 1080 x 20,000 = 22 MP), a phone photo 12 MP in
# its default mode; 40 MP keeps all of them with room to spare and bounds one upload's decoded
# pixels to 160 MB at worst (RGBA), a quarter of what the old 60 MP let a 7 KB PNG cost.
MAX_PIXELS = 40_000_000
# JPEG decodes at half scale inside the decoder (draft mode), so a 50 or 108 MP
# full-sensor phone photo is accepted and stored reduced to at most MAX_PIXELS. (A 200 MP one
# is 30 MB or more, beyond EVIDENCE_MAX_BYTES; Pillow itself refuses over 179 MP.)
MAX_JPEG_PIXELS = 4 * MAX_PIXELS
_DRAFT_DIR = "evidence-drafts"


@dataclass(frozen=True)
class CleanFile:
    """An upload that passed every check, in the exact bytes we will store."""

    content: bytes
    content_type: str
    original_name: str
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def evidence_clean(*, name: str, stream: IO[bytes], size: int | None = None) -> CleanFile:
    """Check one upload and return what may be stored. Raises DomainError (field "evidence")."""
    original_name = safe_file_name(name)
    limit = settings.EVIDENCE_MAX_BYTES
    if size is not None and size > limit:
        raise _too_large(original_name)
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise _too_large(original_name)
    if not data:
        raise _invalid(_("“%(name)s” is empty.") % {"name": original_name})
    kind = filetype.guess(data[:8192])
    content_type = kind.mime if kind else ""
    if content_type not in ALLOWED_TYPES:
        raise _invalid(
            _("“%(name)s” is not a JPEG, PNG or WebP image or a PDF document.")
            % {"name": original_name}
        )
    if content_type == "application/pdf":
        content = _pdf_checked(data, original_name)
    else:
        content = _image_reencoded(data, content_type, original_name)
    return CleanFile(
        content=content,
        content_type=content_type,
        original_name=original_name,
        sha256=hashlib.sha256(content).hexdigest(),
    )


def safe_file_name(name: str) -> str:
    """The consumer's file name, kept only as a label: no folders, no control characters."""
    name = unicodedata.normalize("NFC", name or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(char for char in name if unicodedata.category(char)[0] != "C").strip().strip(".")
    if len(name) > 120:
        stem, dot, extension = name.rpartition(".")
        name = (stem[:110] + dot + extension[:9]) if dot and len(extension) < 10 else name[:120]
    return name or "evidence"


def _too_large(name: str) -> DomainError:
    megabytes = settings.EVIDENCE_MAX_BYTES // (1024 * 1024)
    return _invalid(_("“%(name)s” is larger than %(mb)s MB.") % {"name": name, "mb": megabytes})


def _invalid(message: str) -> DomainError:
    return DomainError(message, field="evidence")


def _image_reencoded(data: bytes, content_type: str, name: str) -> bytes:
    """Decode the image within a fixed pixel budget and write its pixels into a new file:
    metadata, trailing bytes and anything hidden after the image data are left behind.

    The size is read from the header and checked before a single pixel is decoded. JPEG
    decodes at a reduced scale (draft mode: 1/2, 1/4 or 1/8, done inside the decoder) when the
    photo is larger than the budget; PNG and WebP can only decode whole, so their header
    decides."""
    damaged = _invalid(_("“%(name)s” is damaged or incomplete.") % {"name": name})
    target = IMAGE_TYPES[content_type]
    with warnings.catch_warnings():
        # Our own bounds are checked below; Pillow's warning (from 89 MP) would refuse the
        # JPEGs that draft mode decodes cheaply.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data))
            if image.format != target:
                raise damaged
            width, height = image.size
            limit = MAX_JPEG_PIXELS if target == "JPEG" else MAX_PIXELS
            if width * height > limit:
                raise _too_many_pixels(name, width, height)
            if target == "JPEG" and width * height > MAX_PIXELS:
                scale = next(s for s in (2, 4, 8) if (width / s) * (height / s) <= MAX_PIXELS)
                image.draft(None, (width // scale, height // scale))
            image.load()
            upright = ImageOps.exif_transpose(image)
        except Image.DecompressionBombError:
            # Pillow's own guard, for headers claiming hundreds of megapixels, fires in open().
            raise _too_many_pixels(name) from None
        except (OSError, SyntaxError, ValueError, EOFError):
            raise damaged from None

    mode = _stored_mode(upright, target)
    if upright.mode != mode:
        fresh = upright.convert(mode)
    elif upright is image:
        fresh = upright.copy()  # the decoded file object: never save it as it came
    else:
        fresh = upright  # already a new image made by the transpose
    del image, upright
    # Saving reads comments, ICC profiles and transparency from info: a new image made from
    # the pixels carries none of them, nor EXIF, GPS or XMP.
    fresh.info = {}
    out = io.BytesIO()
    # This runs in the filing's request, so the encoders get one pass: optimised Huffman
    # tables (a second pass over every pixel) double a JPEG's writing time for 6-8 % fewer
    # bytes, and zlib above level 3 costs a screenshot 40 % more time for 10 % fewer
    # (benchmarks/RESULTS.md, "The web process's filing path", branch `web`).
    if target == "JPEG":
        fresh.save(out, "JPEG", quality=90)
    elif target == "PNG":
        fresh.save(out, "PNG", compress_level=3)
    else:
        fresh.save(out, "WEBP", quality=90)
    return out.getvalue()


def _stored_mode(image: Image.Image, target: str) -> str:
    """The mode the clean copy is written in: the image's own when the format stores it
    (a 1-bit screenshot stays 1 bit per pixel), else the nearest that keeps transparency."""
    if target == "JPEG":
        return "L" if image.mode in ("1", "L") else "RGB"
    if target == "PNG" and image.mode in ("1", "L", "LA", "RGB", "RGBA"):
        return image.mode
    if target == "WEBP" and image.mode in ("RGB", "RGBA"):
        return image.mode
    has_alpha = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    return "RGBA" if has_alpha else "RGB"


def _too_many_pixels(name: str, width: int = 0, height: int = 0) -> DomainError:
    values = {"name": name, "width": width, "height": height, "limit": MAX_PIXELS // 1_000_000}
    if not width:
        return _invalid(
            _(
                "“%(name)s” has more than the %(limit)s megapixels we accept. Send a screenshot, "
                "or the photo at a smaller size."
            )
            % values
        )
    return _invalid(
        _(
            "“%(name)s” is %(width)s × %(height)s pixels, more than the %(limit)s megapixels we "
            "accept. Send a screenshot, or the photo at a smaller size."
        )
        % values
    )


def _pdf_checked(data: bytes, name: str) -> bytes:
    """PDFs are stored as sent, and only when they show without acting (see evidence_pdf)."""
    damaged = _invalid(_("“%(name)s” is damaged or incomplete.") % {"name": name})
    if not data.startswith(b"%PDF-") or b"%%EOF" not in data[-2048:]:
        raise damaged
    try:
        active = pdf_active_content(data)
    except PdfProtected:
        raise _invalid(
            _("“%(name)s” is protected with a password. Send it without the password.")
            % {"name": name}
        ) from None
    except PdfDamaged:
        raise damaged from None
    if active:
        raise _invalid(
            _(
                "“%(name)s” contains actions, scripts, links, forms or attached files, which we "
                "do not accept. Print it to a new PDF, or send screenshots instead."
            )
            % {"name": name}
        )
    return data


def evidence_attach(
    *,
    complaint: Complaint,
    files: Sequence[CleanFile],
    actor=None,
    actor_role: str | None = "consumer",
    new_complaint: bool = False,
) -> list[Evidence]:
    """Store clean files on a complaint (at most EVIDENCE_MAX_FILES in all) and log it.

    `new_complaint`: the complaint was inserted in the caller's transaction just now
    (complaint_submit), so it has no files to look up, and a failure here fails the whole
    filing: no savepoint is needed to undo part of it."""
    if not files:
        return []
    with transaction.atomic(savepoint=not new_complaint):
        if new_complaint:
            known: set[str] = set()
        else:
            known = set(complaint.evidence.values_list("sha256", flat=True))
        fresh: list[CleanFile] = []
        for clean in files:
            if clean.sha256 not in known:
                fresh.append(clean)
                known.add(clean.sha256)
        if len(known) > settings.EVIDENCE_MAX_FILES:
            raise _invalid(
                _("A complaint can have at most %(count)s files.")
                % {"count": settings.EVIDENCE_MAX_FILES}
            )
        if actor is not None and not actor.is_authenticated:
            actor = None
        stored: list[Evidence] = []
        try:
            for clean in fresh:
                evidence = Evidence(
                    complaint=complaint,
                    original_name=clean.original_name,
                    sha256=clean.sha256,
                    content_type=clean.content_type,
                    size=clean.size,
                    uploaded_by=actor,
                )
                evidence.file.save(
                    f"{clean.sha256}{evidence.extension}", ContentFile(clean.content), save=False
                )
                stored.append(evidence)
                row_insert(evidence)
        except Exception:
            for evidence in stored:
                evidence.file.delete(save=False)
            raise
        if stored:
            event_record(
                actor=actor,
                actor_role=actor_role,
                kind=Event.Kind.EVIDENCE,
                complaint=complaint,
                data={
                    "files": [
                        {
                            "sha256": item.sha256,
                            "content_type": item.content_type,
                            "size": item.size,
                        }
                        for item in stored
                    ]
                },
            )
        return stored


def case_evidence_store(
    *, file, uploaded_by, case: Case | None = None, response: OperatorResponse | None = None
) -> Evidence:
    """Store one uploaded file on a case or a report, checked and cleaned exactly as
    consumers' evidence is (images re-encoded, PDFs without active content), under its hash."""
    clean = evidence_clean(name=file.name or "", stream=file, size=getattr(file, "size", None))
    evidence = Evidence(
        case=case,
        response=response,
        original_name=clean.original_name,
        sha256=clean.sha256,
        content_type=clean.content_type,
        size=clean.size,
        uploaded_by=uploaded_by,
    )
    name = evidence_upload_to(evidence, clean.original_name)
    if evidence.file.storage.exists(name):
        evidence.file.name = name  # same content already stored: keep one copy
    else:
        evidence.file.save(name.rsplit("/", 1)[-1], ContentFile(clean.content), save=False)
    evidence.save()
    return evidence


def case_evidence_attach(*, files, uploaded_by, case=None, response=None) -> list[Evidence]:
    """Store a regulator's or an operator's files on a case or a report (at most
    EVIDENCE_MAX_FILES)."""
    files = list(files)
    if len(files) > settings.EVIDENCE_MAX_FILES:
        raise DomainError(
            _("Attach at most %(n)s files.") % {"n": settings.EVIDENCE_MAX_FILES}, field="files"
        )
    return [
        case_evidence_store(file=f, uploaded_by=uploaded_by, case=case, response=response)
        for f in files
    ]


def evidence_files_delete(*, complaint: Complaint) -> int:
    """Remove a complaint's files from storage and their rows (erasure)."""
    count = 0
    for evidence in complaint.evidence.all():
        evidence.file.delete(save=False)
        evidence.delete()
        count += 1
    return count


# --- drafts: clean files waiting for the web form's last step ---------------------------------


def evidence_draft_save(*, clean: CleanFile) -> dict:
    """Keep a clean file until the form is submitted; the returned dict goes in the session."""
    key = secrets.token_hex(16)
    default_storage.save(f"{_DRAFT_DIR}/{key}", ContentFile(clean.content))
    return {
        "key": key,
        "content_type": clean.content_type,
        "original_name": clean.original_name,
        "sha256": clean.sha256,
        "size": clean.size,
    }


def evidence_draft_load(*, draft: dict) -> CleanFile | None:
    """The clean file behind a session's draft entry, or None when it is gone or altered."""
    key = str(draft.get("key", ""))
    if not re.fullmatch(r"[0-9a-f]{32}", key):
        return None
    path = f"{_DRAFT_DIR}/{key}"
    if not default_storage.exists(path):
        return None
    with default_storage.open(path, "rb") as handle:
        content = handle.read()
    if hashlib.sha256(content).hexdigest() != draft.get("sha256"):
        return None
    return CleanFile(
        content=content,
        content_type=str(draft["content_type"]),
        original_name=str(draft["original_name"]),
        sha256=str(draft["sha256"]),
    )


def evidence_drafts_discard(*, drafts: Iterable[dict]) -> None:
    for draft in drafts:
        key = str(draft.get("key", ""))
        if re.fullmatch(r"[0-9a-f]{32}", key):
            default_storage.delete(f"{_DRAFT_DIR}/{key}")


def evidence_drafts_purge(*, older_than: datetime.timedelta = datetime.timedelta(days=1)) -> int:
    """Delete drafts of forms that were never submitted."""
    if not default_storage.exists(_DRAFT_DIR):
        return 0
    cutoff = timezone.now() - older_than
    _dirs, names = default_storage.listdir(_DRAFT_DIR)
    removed = 0
    for name in names:
        path = f"{_DRAFT_DIR}/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            removed += 1
    return removed
