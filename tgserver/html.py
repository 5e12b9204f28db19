"""A strict parser for Telegram's HTML parse_mode: plain text plus MessageEntity dicts."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# Tag name -> MessageEntity type; span, a, pre, code, blockquote and tg-emoji get extra handling.
SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
}
SPECIAL_TAGS = frozenset({"span", "a", "code", "pre", "blockquote", "tg-emoji"})
NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_NAME_RE = re.compile(r"[a-zA-Z0-9-]*")
_ATTR_RE = re.compile(r"""\s*([a-zA-Z0-9_-]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")
_ENTITY_RE = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")


class HtmlError(ValueError):
    """Malformed HTML; the message is Telegram's 'can't parse entities' description."""


@dataclass
class ParsedText:
    """What the user sees: the text and its formatting entities (UTF-16 offsets)."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _Open:
    """A start tag waiting for its end tag."""

    name: str
    offset: int  # UTF-16 offset in the output text where the entity starts
    entity: dict[str, Any] | None
    byte_offset: int


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit Telegram counts text in."""
    return len(text.encode("utf-16-le")) // 2


def parse_html(source: str) -> ParsedText:
    """Parse Telegram HTML; raise HtmlError exactly where Telegram would refuse it."""
    return _Parser(source).run()


class _Parser:
    """Single-pass tag/entity scanner keeping a stack of open tags."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.pos = 0
        self.out: list[str] = []
        self.out_len = 0
        self.stack: list[_Open] = []
        self.entities: list[dict[str, Any]] = []

    def run(self) -> ParsedText:
        """Scan the whole source."""
        while self.pos < len(self.src):
            char = self.src[self.pos]
            if char == "<":
                self._tag()
            elif char == "&":
                self._emit(self._entity())
            else:
                self._emit(char)
                self.pos += 1
        if self.stack:
            raise self._error(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"')
        self.entities.sort(key=lambda e: (e["offset"], -e["length"]))
        return ParsedText("".join(self.out), self.entities)

    def _error(self, detail: str) -> HtmlError:
        return HtmlError(f"Bad Request: can't parse entities: {detail}")

    def _byte_offset(self, pos: int | None = None) -> int:
        return len(self.src[: self.pos if pos is None else pos].encode("utf-8"))

    def _emit(self, text: str) -> None:
        self.out.append(text)
        self.out_len += utf16_len(text)

    def _entity(self) -> str:
        """Decode &...; at pos; a bare '&' must be written as &amp; (Telegram's documented rule)."""
        match = _ENTITY_RE.match(self.src, self.pos)
        if match is None:
            raise self._error(f"Character '&' at byte offset {self._byte_offset()} must be escaped as &amp;")
        decimal, hexa, name = match.groups()
        if name is not None:
            if name not in NAMED_ENTITIES:
                raise self._error(f'Unsupported HTML entity "&{name};" at byte offset {self._byte_offset()}')
            char = NAMED_ENTITIES[name]
        else:
            code = int(decimal) if decimal is not None else int(hexa, 16)
            if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
                raise self._error(f"Invalid numeric HTML entity at byte offset {self._byte_offset()}")
            char = chr(code)
        self.pos = match.end()
        return char

    def _tag(self) -> None:
        """Handle a start or end tag at pos."""
        start = self.pos
        end = self.src.find(">", start)
        if end < 0:
            raise self._error(f"Unclosed start tag at byte offset {self._byte_offset()}")
        if self.src.startswith("</", start):
            self._end_tag(self.src[start + 2 : end].strip().lower(), start)
        else:
            name_match = _NAME_RE.match(self.src, start + 1)
            assert name_match is not None  # the pattern also matches the empty string
            name = name_match.group(0).lower()
            if name not in SIMPLE_TAGS and name not in SPECIAL_TAGS:
                raise self._error(f'Unsupported start tag "{name}" at byte offset {self._byte_offset()}')
            attrs = self._attributes(self.src[name_match.end() : end], start)
            self.stack.append(_Open(name, self.out_len, self._start_entity(name, attrs), start))
        self.pos = end + 1

    def _attributes(self, text: str, tag_pos: int) -> dict[str, str]:
        """Parse attributes; values may contain HTML entities."""
        attrs: dict[str, str] = {}
        pos = 0
        while text[pos:].strip():
            match = _ATTR_RE.match(text, pos)
            if match is None or match.end() == pos:
                raise self._error(f"Invalid tag attributes at byte offset {self._byte_offset(tag_pos)}")
            raw = next((g for g in match.groups()[1:] if g is not None), "")
            attrs[match.group(1).lower()] = _Parser(raw).run().text if "&" in raw else raw
            pos = match.end()
        return attrs

    def _start_entity(self, name: str, attrs: dict[str, str]) -> dict[str, Any] | None:
        """The entity a start tag opens (offset/length filled in at its end tag)."""
        if name in SIMPLE_TAGS:
            return {"type": SIMPLE_TAGS[name]}
        if name == "span":
            if attrs.get("class") != "tg-spoiler":
                raise self._error('Tag "span" must have class "tg-spoiler"')
            return {"type": "spoiler"}
        if name == "a":
            return self._link(attrs.get("href", ""))
        if name == "tg-emoji":
            if not attrs.get("emoji-id", "").isdigit():
                raise self._error('Tag "tg-emoji" must have a numeric attribute "emoji-id"')
            return {"type": "custom_emoji", "custom_emoji_id": attrs["emoji-id"]}
        if name == "blockquote":
            return {"type": "expandable_blockquote" if "expandable" in attrs else "blockquote"}
        if name == "pre":
            return {"type": "pre"}
        return self._code(attrs)

    def _link(self, href: str) -> dict[str, Any] | None:
        """An <a> tag: a text_link, or a text_mention for tg://user?id=N."""
        user = re.fullmatch(r"tg://user\?id=(\d+)", href)
        if user is not None:
            return {"type": "text_mention", "user": {"id": int(user.group(1)), "is_bot": False, "first_name": ""}}
        return {"type": "text_link", "url": href} if href else None

    def _code(self, attrs: dict[str, str]) -> dict[str, Any] | None:
        """<code>, or <code class="language-x"> directly inside <pre> to set the pre's language."""
        language = attrs.get("class", "")
        parent = self.stack[-1] if self.stack else None
        # Telegram ignores a language on a standalone <code>; it only applies right inside <pre>.
        if not language.startswith("language-") or parent is None or parent.name != "pre":
            return {"type": "code"}
        if parent.entity is not None:
            parent.entity["language"] = language.removeprefix("language-")
        return None  # the pre entity covers it

    def _end_tag(self, name: str, tag_pos: int) -> None:
        """Close the innermost open tag, which must have this name."""
        if not self.stack:
            raise self._error(f'Unexpected end tag "{name}" at byte offset {self._byte_offset(tag_pos)}')
        opened = self.stack.pop()
        if opened.name != name:
            raise self._error(
                f"Unmatched end tag at byte offset {self._byte_offset(tag_pos)}, "
                f'expected "</{opened.name}>", found "</{name}>"'
            )
        length = self.out_len - opened.offset
        if opened.entity is not None and length > 0:  # Telegram drops empty entities
            self.entities.append({**opened.entity, "offset": opened.offset, "length": length})
