"""Evidence uploads: judged by content, images re-encoded without metadata, stored by hash."""

import hashlib
import io
import struct
import zlib

import pytest
from django.utils import translation
from PIL import ExifTags, Image, PngImagePlugin
from pypdf import PdfWriter

from complaints.errors import DomainError
from complaints.models import Event, Evidence
from complaints.services.evidence import (
    CleanFile,
    evidence_attach,
    evidence_clean,
    evidence_draft_load,
    evidence_draft_save,
    evidence_drafts_discard,
    safe_file_name,
)
from tests.factories import make_complaint

pytestmark = pytest.mark.usefixtures("english")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def image_bytes(fmt: str = "JPEG", size=(64, 48), mode="RGB", **save) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, "red").save(out, fmt, **save)
    return out.getvalue()


def gps_photo() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = 6  # rotated: the clean copy must come out upright
    exif[ExifTags.IFD.GPSInfo] = {1: "N", 2: (31.0, 14.0, 0.0), 3: "E", 4: (121.0, 28.0, 0.0)}
    return image_bytes("JPEG", size=(64, 48), exif=exif)


def clean(data: bytes, name: str = "photo.jpg") -> CleanFile:
    return evidence_clean(name=name, stream=io.BytesIO(data), size=len(data))


def rejected(data: bytes, name: str = "photo.jpg", size: int | None = None) -> str:
    with pytest.raises(DomainError) as caught:
        evidence_clean(
            name=name, stream=io.BytesIO(data), size=size if size is not None else len(data)
        )
    assert caught.value.field == "evidence"
    return caught.value.message


def _one_page_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


PDF = _one_page_pdf()


# --- accepted files ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "mime"), [("JPEG", "image/jpeg"), ("PNG", "image/png"), ("WEBP", "image/webp")]
)
def test_images_are_accepted_and_reencoded(fmt, mime):
    data = image_bytes(fmt) + b"trailing bytes after the image"
    result = clean(data, name="screen.bin")
    assert result.content_type == mime
    assert b"trailing bytes" not in result.content
    assert result.sha256 == hashlib.sha256(result.content).hexdigest()
    assert Image.open(io.BytesIO(result.content)).size == (64, 48)


def test_gps_exif_is_stripped_and_orientation_applied():
    result = clean(gps_photo())
    image = Image.open(io.BytesIO(result.content))
    assert dict(image.getexif()) == {}
    assert b"PhoneMaker" not in result.content
    assert image.size == (48, 64)  # the EXIF rotation was applied to the pixels


# The Huffman table JPEG's standard (ITU T.81, K.3.1) gives luminance DC: how many codes of
# each length 1-16. An optimised table (a second pass over the pixels) is fitted to the image.
STANDARD_LUMINANCE_DC_COUNTS = bytes([0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0])


def _jpeg_dc_luminance_counts(data: bytes) -> bytes:
    position = 2
    while position < len(data):
        marker, length = (
            data[position + 1],
            struct.unpack(">H", data[position + 2 : position + 4])[0],
        )
        segment = data[position + 4 : position + 2 + length]
        if marker == 0xC4:  # DHT: one or more tables, each class/id, 16 counts, symbols
            offset = 0
            while offset < len(segment):
                counts = segment[offset + 1 : offset + 17]
                if segment[offset] == 0x00:
                    return counts
                offset += 17 + sum(counts)
        position += 2 + length
    raise AssertionError("no luminance DC table")


def test_clean_copies_are_written_in_one_encoder_pass():
    """A filing waits for this: standard JPEG tables, and zlib at level 3 for PNG (the
    FLEVEL bits of the first IDAT's zlib header say 2-5), not the slower settings."""
    noisy = Image.effect_noise((64, 48), 60).convert("RGB")
    out = io.BytesIO()
    noisy.save(out, "JPEG", quality=95, optimize=True)
    jpeg = clean(out.getvalue()).content
    assert _jpeg_dc_luminance_counts(jpeg) == STANDARD_LUMINANCE_DC_COUNTS

    png = clean(image_bytes("PNG", compress_level=9), name="shot.png").content
    idat = png.index(b"IDAT")
    assert png[idat + 5] >> 6 == 1  # zlib FLEVEL: 0 levels 0-1, 1 levels 2-5, 2 level 6, 3 7-9


def test_png_transparency_survives():
    result = clean(image_bytes("PNG", mode="RGBA"), name="a.png")
    assert Image.open(io.BytesIO(result.content)).mode == "RGBA"


def test_a_plain_pdf_is_accepted_unchanged():
    result = clean(PDF, name="receipt.pdf")
    assert result.content_type == "application/pdf"
    assert result.content == PDF


# --- attacks ----------------------------------------------------------------------------------


def test_executable_renamed_jpg_is_rejected():
    exe = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
    assert (
        rejected(exe, name="holiday.jpg")
        == "“holiday.jpg” is not a JPEG, PNG or WebP image or a PDF document."
    )
    elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 200
    assert "is not a JPEG" in rejected(elf, name="x.png")


def test_html_with_an_image_header_is_rejected():
    html = b"<html><script>alert(document.cookie)</script></html>"
    assert (
        rejected(b"\x89PNG\r\n\x1a\n" + html, name="x.png") == "“x.png” is damaged or incomplete."
    )
    assert "is not a JPEG" in rejected(b"GIF89a" + html, name="x.gif")
    assert "is not a JPEG" in rejected(html, name="x.jpg")


def test_oversized_file_is_rejected_before_reading(settings):
    big = b"\xff\xd8\xff\xe0" + b"\x00" * settings.EVIDENCE_MAX_BYTES
    assert rejected(big, name="big.jpg") == "“big.jpg” is larger than 10 MB."
    # A client that lies about the size is still stopped by what is read.
    assert rejected(big, name="big.jpg", size=10) == "“big.jpg” is larger than 10 MB."


def test_truncated_image_is_rejected():
    data = image_bytes("JPEG", size=(400, 300))
    assert rejected(data[: len(data) // 2]) == "“photo.jpg” is damaged or incomplete."
    png = image_bytes("PNG", size=(400, 300))
    assert rejected(png[: len(png) - 40], name="p.png") == "“p.png” is damaged or incomplete."


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge image: what a decompression bomb looks like."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 1024))
        + chunk(b"IEND", b"")
    )


def test_decompression_bomb_is_rejected_from_its_header():
    # Headers claiming 70 and 2,500 MP over a few hundred bytes of data: refused unread.
    assert rejected(_png_claiming(10_000, 7_000), name="bomb.png") == (
        "“bomb.png” is 10000 × 7000 pixels, more than the 40 megapixels we accept. "
        "Send a screenshot, or the photo at a smaller size."
    )
    assert rejected(_png_claiming(50_000, 50_000), name="bomb.png") == (
        "“bomb.png” has more than the 40 megapixels we accept. "
        "Send a screenshot, or the photo at a smaller size."
    )


@pytest.fixture(scope="module")
def hostile_png() -> bytes:
    """Issue 14's file: a 1-bit 7700 × 7700 PNG (59.3 MP) that is a few KB on the wire."""
    out = io.BytesIO()
    Image.new("1", (7700, 7700), 1).save(out, "PNG", optimize=True)
    return out.getvalue()


def test_a_small_png_of_59_megapixels_is_refused(hostile_png):
    assert len(hostile_png) < 20_000
    assert rejected(hostile_png, name="white.png") == (
        "“white.png” is 7700 × 7700 pixels, more than the 40 megapixels we accept. "
        "Send a screenshot, or the photo at a smaller size."
    )


def test_the_refusal_speaks_the_consumers_language(hostile_png):
    with translation.override("zh-hans"):
        message = rejected(hostile_png, name="white.png")
    assert (
        message
        == "“white.png”为 7700 × 7700 像素，超过了我们接受的 4000 万像素。请发送截图，或缩小后的照片。"
    )


def test_a_long_scrolling_screenshot_is_accepted_in_one_bit():
    data = image_bytes("PNG", size=(1080, 20_000), mode="1")
    image = Image.open(io.BytesIO(clean(data, name="long.png").content))
    assert (image.size, image.mode) == ((1080, 20_000), "1")


def test_a_full_sensor_photo_is_decoded_at_half_scale():
    # 8160 × 6120 (50 MP) is over the budget: JPEG decodes it at 1/2 scale inside the decoder.
    result = clean(image_bytes("JPEG", size=(8160, 6120)), name="50mp.jpg")
    assert Image.open(io.BytesIO(result.content)).size == (4080, 3060)


def test_a_twelve_megapixel_photo_keeps_its_size():
    result = clean(image_bytes("JPEG", size=(4032, 3024)), name="12mp.jpg")
    assert Image.open(io.BytesIO(result.content)).size == (4032, 3024)


def test_a_jpeg_beyond_any_phone_sensor_is_refused():
    assert rejected(image_bytes("JPEG", size=(14_000, 12_000)), name="huge.jpg").startswith(
        "“huge.jpg” is 14000 × 12000 pixels"
    )


def test_a_108_megapixel_photo_is_decoded_at_half_scale():
    result = clean(image_bytes("JPEG", size=(12_000, 9_000)), name="108mp.jpg")
    assert Image.open(io.BytesIO(result.content)).size == (6000, 4500)


def test_comments_text_and_colour_profiles_are_not_kept():
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", "Zhang San 13812345678")
    png = clean(image_bytes("PNG", pnginfo=text, icc_profile=b"icc-profile"), name="s.png")
    jpeg = clean(image_bytes("JPEG", comment=b"Zhang San 13812345678", icc_profile=b"icc"))
    for result in (png, jpeg):
        assert b"13812345678" not in result.content
        assert "icc_profile" not in Image.open(io.BytesIO(result.content)).info


def test_empty_file_is_rejected():
    assert rejected(b"", name="e.jpg") == "“e.jpg” is empty."


# Active PDFs (actions, scripts, forms, attachments): tests/complaints/services/test_evidence_pdf.py


def test_truncated_pdf_is_rejected():
    assert rejected(PDF[:-8], name="r.pdf") == "“r.pdf” is damaged or incomplete."


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("../../../etc/passwd.jpg", "passwd.jpg"),
        ("..\\..\\windows\\win.ini.png", "win.ini.png"),
        ("/abs/path/截图 1.png", "截图 1.png"),
        ("bad\x00name\r\n.jpg", "badname.jpg"),
        ("..", "evidence"),
        ("", "evidence"),
    ],
)
def test_file_names_lose_their_folders(name, safe):
    assert safe_file_name(name) == safe


def test_path_traversal_name_is_stored_under_its_hash(alice, media):
    complaint = make_complaint(submitter=alice)
    result = clean(image_bytes(), name="../../../../etc/cron.d/evil.jpg")
    [evidence] = evidence_attach(complaint=complaint, files=[result], actor=alice)
    assert evidence.original_name == "evil.jpg"
    assert evidence.file.name.startswith("evidence/") and evidence.file.name.endswith(
        f"{result.sha256}.jpg"
    )
    stored = media / evidence.file.name
    assert stored.resolve().is_relative_to(media.resolve())
    assert stored.read_bytes() == result.content


# --- attaching --------------------------------------------------------------------------------


def test_attach_writes_rows_and_one_event(alice):
    complaint = make_complaint(submitter=alice)
    files = [clean(image_bytes("PNG"), "a.png"), clean(PDF, "b.pdf")]
    stored = evidence_attach(complaint=complaint, files=files, actor=alice)
    assert [e.content_type for e in stored] == ["image/png", "application/pdf"]
    event = Event.objects.get(complaint=complaint, kind=Event.Kind.EVIDENCE)
    assert [f["sha256"] for f in event.data["files"]] == [f.sha256 for f in files]
    assert event.actor == alice


def test_the_same_file_twice_is_stored_once(alice):
    complaint = make_complaint(submitter=alice)
    same = clean(image_bytes(), "a.jpg")
    evidence_attach(complaint=complaint, files=[same, same], actor=alice)
    assert Evidence.objects.filter(complaint=complaint).count() == 1


def test_at_most_five_files(alice):
    complaint = make_complaint(submitter=alice)
    files = [clean(image_bytes(size=(10 + i, 10)), f"{i}.jpg") for i in range(6)]
    with pytest.raises(DomainError, match="A complaint can have at most 5 files."):
        evidence_attach(complaint=complaint, files=files, actor=alice)
    evidence_attach(complaint=complaint, files=files[:5], actor=alice)
    with pytest.raises(DomainError):
        evidence_attach(complaint=complaint, files=files[5:], actor=alice)
    assert Evidence.objects.filter(complaint=complaint).count() == 5


def test_drafts_round_trip_and_reject_tampering():
    result = clean(image_bytes(), "a.jpg")
    draft = evidence_draft_save(clean=result)
    assert evidence_draft_load(draft=draft) == result
    assert evidence_draft_load(draft={**draft, "key": "../../secret_key"}) is None
    assert evidence_draft_load(draft={**draft, "sha256": "0" * 64}) is None
    evidence_drafts_discard(drafts=[draft])
    assert evidence_draft_load(draft=draft) is None


def test_stale_drafts_are_purged_by_the_task(media):
    import os
    import time

    from complaints.tasks import purge_evidence_drafts

    old = evidence_draft_save(clean=clean(image_bytes(size=(11, 11)), "old.jpg"))
    new = evidence_draft_save(clean=clean(image_bytes(size=(12, 12)), "new.jpg"))
    # The disk dates files by the real clock, the suite runs on its own (tests/clock.py): date
    # both drafts by the suite's.
    now = time.time()
    os.utime(media / "evidence-drafts" / new["key"], (now, now))
    os.utime(media / "evidence-drafts" / old["key"], (now - 2 * 86400, now - 2 * 86400))
    assert purge_evidence_drafts() == 1
    assert evidence_draft_load(draft=old) is None
    assert evidence_draft_load(draft=new) is not None
