"""PDF evidence read with a real parser (pypdf): every object the cross-reference table names,
those packed in compressed object streams included, is looked at for anything that makes a
document act rather than show. Such a PDF is refused, never stored.

Refusing rather than flattening: a consumer's receipt or screenshot PDF has no actions, forms or
attachments, and rewriting a PDF would change the very evidence a regulator relies on.
"""

import io
import logging

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

logger = logging.getLogger(__name__)

# Keys whose presence makes a document act: actions on open, on page or field events, scripts,
# forms, attachments, rich media. pypdf has already decoded "#xx" escapes in names
# (/J#61vaScript is /JavaScript) by the time we compare.
ACTIVE_KEYS = frozenset(
    {
        "/OpenAction",
        "/AA",
        "/JavaScript",
        "/JS",
        "/Launch",
        "/GoToR",
        "/GoToE",
        "/SubmitForm",
        "/ImportData",
        "/URI",
        "/EmbeddedFiles",
        "/EmbeddedFile",
        "/AcroForm",
        "/XFA",
        "/RichMedia",
    }
)
# Action types (the /S of an action dictionary) that reach outside the document or run code.
ACTIVE_ACTIONS = frozenset(
    {
        "/JavaScript",
        "/Launch",
        "/GoToR",
        "/GoToE",
        "/SubmitForm",
        "/ImportData",
        "/URI",
        "/ResetForm",
        "/Rendition",
        "/RichMediaExecute",
        "/Sound",
        "/Movie",
    }
)
# Far above the objects of any scan or printout (a 100-page scan has a few hundred).
MAX_OBJECTS = 50_000


class PdfDamaged(Exception):
    """The parser could not read the document whole."""


class PdfProtected(PdfDamaged):
    """The document is encrypted: nothing in it can be checked (or read by a regulator)."""


def pdf_active_content(data: bytes) -> str | None:
    """The first name that makes the PDF in `data` active (e.g. "/OpenAction"), or None for a
    document that only shows. Raises PdfProtected for an encrypted document and PdfDamaged
    when it cannot be read whole."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise PdfProtected("encrypted")
        found = _active_in(reader.trailer)
        if found:
            return found
        for idnum, generation in _object_ids(reader):
            found = _active_in(reader.get_object(IndirectObject(idnum, generation, reader)))
            if found:
                return found
    except PdfDamaged:
        raise
    # A hostile file can make a parser fail in many ways (its own errors, but also KeyError,
    # ValueError, RecursionError...); every one of them means the file is not acceptable.
    except Exception as error:
        logger.info("A PDF could not be parsed: %s", type(error).__name__)
        raise PdfDamaged(type(error).__name__) from None
    return None


def _object_ids(reader: PdfReader) -> list[tuple[int, int]]:
    ids = {
        (idnum, generation)
        for generation, objects in reader.xref.items()
        for idnum in objects
        if idnum != 0
    }
    ids.update((idnum, 0) for idnum in reader.xref_objStm)
    if len(ids) > MAX_OBJECTS:
        raise PdfDamaged("too many objects")
    return sorted(ids)


def _active_in(value) -> str | None:
    """Walk one object's direct contents (indirect references are visited on their own)."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            continue
        if isinstance(item, DictionaryObject):  # stream dictionaries too
            for key, child in item.items():
                if key in ACTIVE_KEYS:
                    return str(key)
                if key == "/S" and isinstance(child, NameObject) and child in ACTIVE_ACTIONS:
                    return str(child)
                pending.append(child)
        elif isinstance(item, ArrayObject):
            pending.extend(item)
    return None
