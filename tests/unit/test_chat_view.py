"""The playground shows a message as Telegram's apps render its entities, and nothing the text could smuggle."""

from __future__ import annotations

from app.playground.chat_view import render_html
from tgserver.html import parse_html


def shown(source: str) -> str:
    """What the page gets for a message the bot sent with this HTML."""
    parsed = parse_html(source)
    return render_html(parsed.text, parsed.entities)


def test_formatting_comes_through_as_telegram_renders_it() -> None:
    assert shown("<b>Vet</b> en <i>schuin</i>\nregel") == "<b>Vet</b> en <i>schuin</i><br>regel"
    assert shown("<b>a <i>b</i></b>") == "<b>a <i>b</i></b>"
    assert shown("<code>x</code> <pre>y</pre>") == "<code>x</code> <pre>y</pre>"
    assert shown("<tg-spoiler>geheim</tg-spoiler>") == '<span class="tg-spoiler">geheim</span>'
    assert shown("<blockquote>citaat</blockquote>") == "<blockquote>citaat</blockquote>"


def test_text_is_escaped_and_offsets_count_utf16() -> None:
    assert shown("&lt;script&gt;alert(1)&lt;/script&gt;") == "&lt;script&gt;alert(1)&lt;/script&gt;"
    # An emoji outside the BMP is two UTF-16 units: the bold after it must still start at the right letter.
    assert shown("🩺 <b>Dewi</b>") == "🩺 <b>Dewi</b>"


def test_links_only_with_safe_schemes() -> None:
    safe = shown('<a href="https://meet.example.org/x">link</a>')
    assert safe.startswith('<a href="https://meet.example.org/x"') and 'rel="noopener noreferrer"' in safe
    assert "<a" not in render_html("klik", [{"type": "text_link", "offset": 0, "length": 4, "url": "javascript:x"}])
    quoted = render_html("x", [{"type": "text_link", "offset": 0, "length": 1, "url": 'https://a/"onmouseover="x'}])
    assert '"onmouseover' not in quoted and "&quot;onmouseover" in quoted


def test_crossing_or_broken_entities_never_leave_a_tag_open() -> None:
    crossing = [{"type": "bold", "offset": 0, "length": 4}, {"type": "italic", "offset": 2, "length": 4}]
    out = render_html("abcdef", crossing)
    assert out.count("<b>") == out.count("</b>") and out.count("<i>") == out.count("</i>")
    assert render_html("abc", [{"type": "bold", "offset": 2, "length": 40}]) == "abc"
