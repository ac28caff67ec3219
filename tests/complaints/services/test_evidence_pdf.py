"""PDF evidence is parsed with pypdf and refused when it acts rather than shows: open actions,
event actions, scripts, launches, remote go-tos, form submission, links, attachments and forms,
also when hidden in a compressed object stream or spelt with #xx escapes. Every document here
is built with pypdf in the test itself."""

import io
import zlib

import pytest
from pypdf import PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    IndirectObject,
    NameObject,
    NumberObject,
    StreamObject,
    TextStringObject,
)

from complaints.errors import DomainError
from complaints.services.evidence import evidence_clean

pytestmark = pytest.mark.usefixtures("english")

ACTIVE = (
    "“r.pdf” contains actions, scripts, links, forms or attached files, which we do not "
    "accept. Print it to a new PDF, or send screenshots instead."
)


def clean(data: bytes):
    return evidence_clean(name="r.pdf", stream=io.BytesIO(data), size=len(data))


def refused(data: bytes) -> str:
    with pytest.raises(DomainError) as caught:
        clean(data)
    return caught.value.message


def action(kind: str, **entries) -> DictionaryObject:
    action = DictionaryObject({NameObject("/S"): NameObject(kind)})
    for key, value in entries.items():
        action[NameObject(f"/{key}")] = value
    return action


def written(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def one_page() -> PdfWriter:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    return writer


def with_catalog(key: str, value) -> bytes:
    writer = one_page()
    writer.root_object[NameObject(key)] = value
    return written(writer)


def test_a_plain_pdf_from_pypdf_is_accepted_unchanged():
    data = written(one_page())
    result = clean(data)
    assert result.content_type == "application/pdf"
    assert result.content == data


def test_open_action_with_a_uri_is_refused():
    data = with_catalog("/OpenAction", action("/URI", URI=TextStringObject("http://x.example/")))
    assert refused(data) == ACTIVE


def test_page_event_action_submitting_a_form_is_refused():
    writer = one_page()
    submit = action("/SubmitForm", F=TextStringObject("http://x.example/collect"))
    writer.pages[0][NameObject("/AA")] = DictionaryObject({NameObject("/O"): submit})
    assert refused(written(writer)) == ACTIVE


def test_link_to_a_remote_document_on_a_network_path_is_refused():
    writer = one_page()
    link = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
            NameObject("/A"): action(
                "/GoToR", F=TextStringObject("\\\\198.51.100.7\\share\\x.pdf")
            ),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    assert refused(written(writer)) == ACTIVE


def test_plain_uri_link_is_refused():
    writer = one_page()
    link = DictionaryObject(
        {
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/A"): DictionaryObject(
                {NameObject("/URI"): TextStringObject("http://x.example/")}
            ),
        }
    )
    writer.pages[0][NameObject("/Annots")] = ArrayObject([writer._add_object(link)])
    assert refused(written(writer)) == ACTIVE


@pytest.mark.parametrize(
    "value",
    [
        action("/JavaScript", JS=TextStringObject("app.alert(1)")),
        action("/Launch", F=TextStringObject("cmd.exe")),
    ],
    ids=["javascript", "launch"],
)
def test_script_and_launch_actions_are_refused(value):
    assert refused(with_catalog("/OpenAction", value)) == ACTIVE


def test_document_level_javascript_is_refused():
    from pypdf.actions import JavaScript

    writer = one_page()
    writer.add_open_action(JavaScript("app.alert(1)"))
    assert refused(written(writer)) == ACTIVE


def test_attached_files_are_refused():
    writer = one_page()
    writer.add_attachment("invoice.exe", b"MZ not really")
    assert refused(written(writer)) == ACTIVE


def test_forms_are_refused():
    fields = DictionaryObject({NameObject("/Fields"): ArrayObject()})
    assert refused(with_catalog("/AcroForm", fields)) == ACTIVE


def dumped(obj) -> bytes:
    buffer = io.BytesIO()
    obj.write_to_stream(buffer)
    return buffer.getvalue()


def names(**entries) -> DictionaryObject:
    return DictionaryObject({NameObject(f"/{key}"): value for key, value in entries.items()})


def object_stream_pdf(hidden: bytes) -> bytes:
    """A PDF 1.5 document whose catalog names object 4 as its outline; object 4 is `hidden`,
    written inside a deflated object stream (object 5), and a cross-reference stream (object 6)
    locates it, as in files from current PDF writers. The objects are pypdf's; the file is put
    together here because pypdf writes no object streams (and would re-spell #xx names)."""
    out = io.BytesIO(b"%PDF-1.5\n")
    out.seek(0, io.SEEK_END)
    offsets = {}

    def put(number: int, obj) -> None:
        offsets[number] = out.tell()
        out.write(b"%d 0 obj\n" % number + dumped(obj) + b"\nendobj\n")

    def ref(number: int) -> IndirectObject:
        return IndirectObject(number, 0, None)

    put(1, names(Type=NameObject("/Catalog"), Pages=ref(2), Outlines=ref(4)))
    put(2, names(Type=NameObject("/Pages"), Kids=ArrayObject([ref(3)]), Count=NumberObject(1)))
    box = ArrayObject([NumberObject(0), NumberObject(0), NumberObject(200), NumberObject(200)])
    put(3, names(Type=NameObject("/Page"), Parent=ref(2), MediaBox=box))
    header = b"4 0 "
    packed = StreamObject()
    packed.update(
        names(
            Type=NameObject("/ObjStm"),
            N=NumberObject(1),
            First=NumberObject(len(header)),
            Filter=NameObject("/FlateDecode"),
        )
    )
    packed._data = zlib.compress(header + hidden)
    put(5, packed)
    xref_offset = out.tell()

    def row(kind: int, field2: int, field3: int = 0) -> bytes:
        return bytes([kind]) + field2.to_bytes(4, "big") + field3.to_bytes(2, "big")

    xref = StreamObject()
    xref.update(
        names(
            Type=NameObject("/XRef"),
            Size=NumberObject(7),
            W=ArrayObject([NumberObject(1), NumberObject(4), NumberObject(2)]),
            Root=ref(1),
        )
    )
    xref._data = b"".join(
        [
            row(0, 0, 0xFFFF),
            *(row(1, offsets[n]) for n in (1, 2, 3)),
            row(2, 5, 0),  # object 4: the first object in object stream 5
            row(1, offsets[5]),
            row(1, xref_offset),
        ]
    )
    put(6, xref)
    out.write(b"startxref\n%d\n%%%%EOF\n" % xref_offset)
    return out.getvalue()


def test_a_harmless_object_stream_is_accepted():
    data = object_stream_pdf(b"<</Type/Outlines/Count 0>>")
    assert clean(data).content == data


@pytest.mark.parametrize(
    "hidden",
    [
        b"<</S/JavaScript/JS(app.alert(1))>>",
        b"<</S/J#61vaScript/J#53(app.alert(1))>>",
        b"<</S/#55#52#49/#55#52#49(http://x.example/)>>",
        b"<</S/Launch/F(cmd.exe)>>",
    ],
    ids=["javascript", "hex-escaped-javascript", "hex-escaped-uri", "launch"],
)
def test_actions_inside_a_compressed_object_stream_are_refused(hidden):
    assert refused(object_stream_pdf(hidden)) == ACTIVE


def test_a_pdf_the_parser_cannot_read_is_refused_as_damaged():
    data = b"%PDF-1.7\n" + b"not a document " * 50 + b"\n%%EOF\n"
    assert refused(data) == "“r.pdf” is damaged or incomplete."


def test_a_password_protected_pdf_is_refused():
    writer = one_page()
    writer.encrypt("secret")
    assert refused(written(writer)) == (
        "“r.pdf” is protected with a password. Send it without the password."
    )


def test_the_refusal_is_in_the_consumers_language():
    from django.utils import translation

    with translation.override("zh-hans"):
        message = refused(with_catalog("/AcroForm", DictionaryObject()))
    assert message.startswith("“r.pdf”含有动作、脚本、链接、表单或附件")
