"""Open311 on the wire: the format a path asks for, form-encoded bodies in, JSON or XML out. Pure.

JSON answers are the standard's lists and objects; XML answers have the standard's root elements
(`<services>`, `<service_definition>`, `<service_requests>`, `<errors>`) with one child per list item, built
with ElementTree (which escapes text) and preceded by the XML declaration.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import xml.etree.ElementTree as ET  # only builds documents; nothing here parses XML
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal
from urllib.parse import parse_qsl

from pydantic import BaseModel

from functions.open311.models import ErrorOut

Format = Literal["json", "xml"]
JSON_CONTENT_TYPE = "application/json; charset=utf-8"
XML_CONTENT_TYPE = "text/xml; charset=utf-8"
XML_DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'
MAX_FORM_FIELDS = 200
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"

# The element each list item gets in XML, by the list's name.
ITEM_ELEMENTS = {
    "services": "service",
    "attributes": "attribute",
    "values": "value",
    "service_requests": "request",
    "errors": "error",
}
# Characters XML 1.0 cannot carry at all, even escaped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_FILE = re.compile(r"^(?P<name>.+)\.(?P<format>json|xml)$")


class FormError(ValueError):
    """A body that is not a readable form (bad base64, not UTF-8, too many fields)."""


def format_of(path: str) -> Format:
    """The format a path asks for (its extension); JSON unless it ends in .xml."""
    return "xml" if path.lower().endswith(".xml") else "json"


def split_file(file_name: str) -> tuple[str, Format] | None:
    """`<name>.json` or `<name>.xml` -> (name, format); None for any other extension."""
    match = _FILE.match(file_name)
    if match is None:
        return None
    return match["name"], "xml" if match["format"] == "xml" else "json"


def language_of(locale: str | None, accept_language: str | None) -> str:
    """English when `?locale=` (or, without it, Accept-Language) starts with `en`; Spanish otherwise."""
    chosen = locale if locale else accept_language
    return "en" if (chosen or "").strip().lower().startswith("en") else "es"


def parse_form(
    body: str | None, is_base64_encoded: bool = False, content_type: str | None = None
) -> dict[str, list[str]]:
    """An application/x-www-form-urlencoded body -> {field: [values, in order]} (blank values kept)."""
    if content_type and not content_type.strip().lower().startswith(FORM_CONTENT_TYPE):
        raise FormError(f"send the fields form-encoded ({FORM_CONTENT_TYPE})")
    if not body:
        return {}
    try:
        raw = base64.b64decode(body, validate=True) if is_base64_encoded else body.encode("utf-8")
        text = raw.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, errors="strict", max_num_fields=MAX_FORM_FIELDS)
    except (binascii.Error, UnicodeError) as error:
        raise FormError("the request body is not UTF-8 form-encoded text") from error
    except ValueError as error:  # parse_qsl: more than max_num_fields
        raise FormError(f"the request body has more than {MAX_FORM_FIELDS} fields") from error
    fields: dict[str, list[str]] = {}
    for name, value in pairs:
        fields.setdefault(name, []).append(value)
    return fields


# -- rendering -------------------------------------------------------------------------------------------------


def _plain(payload: BaseModel | Sequence[BaseModel]) -> Any:
    if isinstance(payload, BaseModel):
        return payload.model_dump(mode="json")
    return [item.model_dump(mode="json") for item in payload]


def render_json(payload: BaseModel | Sequence[BaseModel]) -> str:
    return json.dumps(_plain(payload), ensure_ascii=False, separators=(",", ":"))


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub("", str(value))


def _fill(element: ET.Element, value: Any) -> None:
    if isinstance(value, Mapping):
        for name, child in value.items():
            _fill(ET.SubElement(element, name), child)
    elif isinstance(value, list | tuple):
        item_name = ITEM_ELEMENTS.get(element.tag, "item")
        for item in value:
            _fill(ET.SubElement(element, item_name), item)
    else:
        element.text = _text(value)


def render_xml(root: str, payload: BaseModel | Sequence[BaseModel]) -> str:
    """`root` is the document element: a list becomes its children (`<services><service>`), a model its fields."""
    element = ET.Element(root)
    _fill(element, _plain(payload))
    return XML_DECLARATION + "\n" + ET.tostring(element, encoding="unicode", short_empty_elements=False)


def render(fmt: Format, root: str, payload: BaseModel | Sequence[BaseModel]) -> tuple[str, str]:
    """(content type, body) of a payload in the format asked for."""
    if fmt == "xml":
        return XML_CONTENT_TYPE, render_xml(root, payload)
    return JSON_CONTENT_TYPE, render_json(payload)


def render_errors(fmt: Format, status: int, descriptions: Iterable[str]) -> tuple[str, str]:
    """The standard's error list: `[{"code": 400, "description": "..."}]` or `<errors><error>...`."""
    return render(fmt, "errors", [ErrorOut(code=status, description=d) for d in descriptions])
