"""Tests of the test server's internals: the HTTP envelope, spec validation, HTML, limits, bookkeeping."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from telegram import Bot
from telegram.error import InvalidToken

from tests import tgserver_fixtures as fixtures
from tgserver.errors import ApiError
from tgserver.html import HtmlError, parse_html
from tgserver.limits import Fault, RateLimitConfig, RateLimiter
from tgserver.refusals import Refusal
from tgserver.server import TelegramServer
from tgserver.spec import UploadedFile, default_spec

tg_server = fixtures.tg_server


async def raw(server: TelegramServer, method: str, token: str | None = None, **kwargs: Any) -> tuple[int, Any]:
    """A raw HTTP call, for requests PTB would never send."""
    async with httpx.AsyncClient() as client:
        response = await client.post(f"{server.base_url}{token or server.token}/{method}", **kwargs)
    return response.status_code, response.json()


# --- HTTP protocol and spec -------------------------------------------------------------------------------


async def test_envelope_and_case_insensitive_methods(tg_server: TelegramServer) -> None:
    status, body = await raw(tg_server, "GETME")
    assert status == 200 and body["ok"] is True and body["result"]["is_bot"] is True


@pytest.mark.parametrize(
    ("method", "kwargs", "status", "text"),
    [
        ("sendMesage", {"json": {"chat_id": 1, "text": "x"}}, 404, "Not Found"),
        ("sendMessage", {"json": {"chat_id": 1}}, 400, "parameter 'text' is required"),
        ("sendMessage", {"data": {"chat_id": "1", "text": "x", "parse_mod": "HTML"}}, 400, "unknown parameter"),
        ("sendMessage", {"json": {"chat_id": 1, "text": ["x"]}}, 400, "text must be of type String"),
        ("sendMessage", {"data": {"chat_id": "1", "text": "x", "protect_content": "yes"}}, 400, "of type Boolean"),
        ("sendMessage", {"data": {"chat_id": "1", "text": "x", "reply_markup": "{oops"}}, 400, "can't parse"),
        ("getUpdates", {"data": {"limit": "ten"}}, 400, "limit must be of type Integer"),
        ("sendPoll", {"json": {"chat_id": 1, "question": "q", "options": []}}, 501, "not implemented"),
    ],
)
async def test_spec_refusals(
    tg_server: TelegramServer, method: str, kwargs: dict[str, Any], status: int, text: str
) -> None:
    code, body = await raw(tg_server, method, **kwargs)
    assert (code, body["ok"], body["error_code"]) == (status, False, status) and text in body["description"]
    assert [r.error_code for r in tg_server.take_refusals()] == [status]


async def test_wrong_token_refused(tg_server: TelegramServer) -> None:
    with pytest.raises(InvalidToken, match="Unauthorized"):
        await Bot("999:WRONG", base_url=tg_server.base_url).get_me()
    assert [r.description for r in tg_server.take_refusals()] == ["Unauthorized"]


# --- units without HTTP ------------------------------------------------------------------------------


def test_refusal_bookkeeping() -> None:
    server = TelegramServer()
    refusal = Refusal("sendMessage", 400, "Bad Request: message text is empty", {"chat_id": 1})
    server.refusals.append(refusal)
    with pytest.raises(AssertionError, match="would have refused 1 call"):
        server.check_refusals()
    server.expect_refusals(lambda r: "text is empty" in r.description)
    server.check_refusals()
    server.expect_refusals(2)
    with pytest.raises(AssertionError, match="expected 2 refusals, got 0"):
        server.check_refusals()
    assert server.take_refusals() == [refusal] and server.refusals == []


# --- the HTML parser ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("html", "text", "types"),
    [
        ("<b>a</b><strong>b</strong><i>c</i><em>d</em>", "abcd", ["bold", "bold", "italic", "italic"]),
        ("<u>e</u><ins>f</ins>", "ef", ["underline", "underline"]),
        ("<s>a</s><strike>b</strike><del>c</del>", "abc", ["strikethrough"] * 3),
        ('<span class="tg-spoiler">a</span><tg-spoiler>b</tg-spoiler>', "ab", ["spoiler", "spoiler"]),
        ('<a href="https://x.nl/?a=1&amp;b=2">link</a>', "link", ["text_link"]),
        ('<tg-emoji emoji-id="5368324170671202286">👍</tg-emoji>', "👍", ["custom_emoji"]),
        ('<pre><code class="language-python">x = 1</code></pre><code>y</code>', "x = 1y", ["pre", "code"]),
        ("<blockquote>q</blockquote>", "q", ["blockquote"]),
        ("<blockquote expandable>r</blockquote>", "r", ["expandable_blockquote"]),
        ("&lt;&gt;&amp;&quot;&#65;&#x42; > ", '<>&"AB > ', []),
    ],
)  # fmt: skip
def test_html_accepts(html: str, text: str, types: list[str]) -> None:
    parsed = parse_html(html)
    assert parsed.text == text and [e["type"] for e in parsed.entities] == types


def test_html_offsets_are_utf16() -> None:
    parsed = parse_html("😀 <b>x</b>")
    assert parsed.entities == [{"type": "bold", "offset": 3, "length": 1}]
    assert parse_html('<pre><code class="language-py">1</code></pre>').entities[0]["language"] == "py"


@pytest.mark.parametrize(
    "html",
    [
        "<b>x",
        "<b><i>x</b></i>",
        "</b>",
        "a < b",
        "a & b",
        "&nbsp;",
        "<br/>",
        "<span>x</span>",
        "<tg-emoji>x</tg-emoji>",
    ],
)
def test_html_refuses(html: str) -> None:
    with pytest.raises(HtmlError, match=r"^Bad Request: can't parse entities: "):
        parse_html(html)


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        ({"chat_id": 1}, "parameter 'text' is required"),
        ({"chat_id": 1, "text": "x", "reply_markup": '{"inline_keyboard": [[{"txt": "a"}]]}'}, "'text' is missing"),
        ({"chat_id": 1, "text": "x", "reply_markup": '{"inline_keyboard": [[{"text": "a", "callback": "b"}]]}'},
         "unknown field 'callback' in InlineKeyboardButton"),
        ({"chat_id": 1, "text": "x", "reply_markup": "[]"}, "reply_markup must be of type InlineKeyboardMarkup or"),
        ({"chat_id": 1, "text": "x", "entities": '[{"type": "bold", "offset": "a", "length": 1}]'},
         "entities[0].offset must be of type Integer"),
    ],
)  # fmt: skip
def test_spec_validation_explains_nested_problems(raw: dict[str, object], error: str) -> None:
    with pytest.raises(ApiError) as caught:
        default_spec().validate("sendMessage", raw)
    assert error in caught.value.description


def test_spec_converts_form_values_and_resolves_attachments() -> None:
    spec = default_spec()
    upload = UploadedFile("dienst.ics", "text/calendar", b"x")
    params = spec.validate("sendDocument", {"chat_id": "-100", "document": "attach://f", "f": upload})
    assert params == {"chat_id": -100, "document": upload}
    scope = '{"type": "chat", "chat_id": 5}'
    commands = spec.validate("setMyCommands", {"commands": "[]", "scope": scope, "language_code": "nl"})
    assert commands["scope"] == {"type": "chat", "chat_id": 5} and spec.canonical("SETMYCOMMANDS") == "setMyCommands"


def test_rate_limiter_buckets() -> None:
    limiter = RateLimiter(RateLimitConfig(overall_burst=3, private_burst=2))
    assert [limiter.check(1, False, 0.0) for _ in range(3)] == [None, None, 1]
    assert limiter.check(2, False, 0.0) is None and limiter.check(3, False, 0.0) == 1  # overall burst used
    assert limiter.check(1, False, 1.0) is None


def test_faults_match_method_and_chat() -> None:
    assert not Fault(None, "500", 1).matches("getUpdates", None)
    assert Fault("sendmessage", "500", 1, chat_id=5).matches("sendMessage", "5")
    assert not Fault("sendMessage", "500", 1, chat_id=5).matches("sendMessage", 6)
