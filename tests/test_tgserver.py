"""Tests of the fake Telegram server, driven by the real python-telegram-bot client."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import AsyncIterator, Awaitable
from typing import Any

import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ContextTypes,
    ExtBot,
    MessageHandler,
)
from telegram.ext import filters as tg_filters

from tests import tgserver_fixtures as fixtures
from tgserver.limits import ManualClock
from tgserver.server import Refusal, SimUser, TelegramServer

tg_server = fixtures.tg_server
# PTB itself warns while building RetryAfter (its int/timedelta transition), nothing tests can avoid.
IGNORE_PTB_RETRY_AFTER_WARNING = pytest.mark.filterwarnings(
    "ignore:.*retry_after.*:telegram.warnings.PTBDeprecationWarning"
)
BUTTON_64_BYTES = InlineKeyboardButton("x", callback_data="é" * 32)
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("Ja, aanmelden", callback_data="v1:yes")]])


@pytest.fixture
def alice(tg_server: TelegramServer) -> SimUser:
    """A user who has opened the private chat with the bot."""
    return tg_server.user("Alice", "de Vries", started=True)


@pytest.fixture
async def bot(tg_server: TelegramServer) -> AsyncIterator[Bot]:
    """A real PTB Bot talking to the server."""
    async with Bot(tg_server.token, base_url=tg_server.base_url, base_file_url=tg_server.base_file_url) as client:
        yield client


async def refused(server: TelegramServer, call: Awaitable[object], error: type[TelegramError], text: str) -> Refusal:
    """Assert PTB raised `error` and the server recorded exactly one refusal mentioning `text`."""
    with pytest.raises(error) as caught:
        await call
    [refusal] = server.take_refusals()
    assert text in refusal.description
    # PTB rewords 429s ("Flood control exceeded") and capitalizes the rest.
    assert isinstance(caught.value, RetryAfter) or text.lower() in caught.value.message.lower()
    return refusal


# --- messages -------------------------------------------------------------------------------------------


async def test_send_message_html_and_state(tg_server: TelegramServer, bot: Bot, alice: SimUser) -> None:
    assert bot.username == "wijkhulp_test_bot" and bot.can_join_groups and not bot.can_read_all_group_messages
    sent = await bot.send_message(alice.id, "<b>Dienst</b> &amp; <i>taak</i>", parse_mode="html", reply_markup=KEYBOARD)
    assert sent.text == "Dienst & taak" and [e.type for e in sent.entities] == ["bold", "italic"]
    msg = alice.last()
    assert (msg.text, msg.html, msg.edited, msg.deleted) == ("Dienst & taak", sent.text_html, 0, False)
    assert msg.buttons[0][0].callback_data == "v1:yes" and msg.message_id == sent.message_id


@pytest.mark.parametrize(
    ("text", "parse_mode", "error"),
    [
        ("   ", None, "message text is empty"),
        ("x" * 4097, None, "message is too long"),
        ("😀" * 2049, None, "message is too long"),  # 2049 characters but 4098 UTF-16 code units
        ("<b>x" + "y" * 4096 + "</b>", "HTML", "message is too long"),
        ("<b>unclosed", "HTML", "can't parse entities"),
        ("Tom & Jerry", "HTML", "can't parse entities"),
        ("1 < 2", "HTML", "can't parse entities"),
        ("<marquee>x</marquee>", "HTML", 'Unsupported start tag "marquee"'),
        ("*x*", "Foo", "unsupported parse_mode"),
    ],
)
async def test_text_refusals(
    tg_server: TelegramServer, bot: Bot, text: str, parse_mode: str | None, error: str, alice: SimUser
) -> None:
    await refused(tg_server, bot.send_message(alice.id, text, parse_mode=parse_mode), BadRequest, error)
    assert alice.messages() == []


async def test_text_limits_count_utf16_after_parsing(tg_server: TelegramServer, bot: Bot, alice: SimUser) -> None:
    await bot.send_message(alice.id, "<b>" + "y" * 4096 + "</b>", parse_mode="HTML")
    await bot.send_message(alice.id, "😀" * 2048)
    assert len(alice.messages()) == 2
    markdown = bot.send_message(alice.id, "*x*", parse_mode="MarkdownV2")
    await refused(tg_server, markdown, NetworkError, "not implemented in test server: parse_mode MarkdownV2")


@pytest.mark.parametrize(
    ("button", "error"),
    [
        (InlineKeyboardButton("x", callback_data="a" * 65), "BUTTON_DATA_INVALID"),
        (InlineKeyboardButton("x", callback_data="é" * 33), "BUTTON_DATA_INVALID"),  # 66 bytes
        (InlineKeyboardButton("x", callback_data=""), "BUTTON_DATA_INVALID"),
        (InlineKeyboardButton("x"), "Text buttons are unallowed"),
        (InlineKeyboardButton("x", url="https://a.nl", callback_data="b"), "exactly one action"),
        (InlineKeyboardButton("x", url="ftp://a.nl"), "Wrong HTTP URL"),
    ],
)
async def test_keyboard_refusals(
    tg_server: TelegramServer, bot: Bot, button: InlineKeyboardButton, error: str, alice: SimUser
) -> None:
    markup = InlineKeyboardMarkup([[button]])
    await refused(tg_server, bot.send_message(alice.id, "kies", reply_markup=markup), BadRequest, error)


async def test_callback_data_of_64_bytes_is_fine(tg_server: TelegramServer, bot: Bot, alice: SimUser) -> None:
    await bot.send_message(alice.id, "kies", reply_markup=InlineKeyboardMarkup.from_button(BUTTON_64_BYTES))


async def test_caption_limit_and_document_upload(tg_server: TelegramServer, bot: Bot, alice: SimUser) -> None:
    ics = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    too_long = bot.send_document(alice.id, ics, filename="dienst.ics", caption="c" * 1025)
    await refused(tg_server, too_long, BadRequest, "message caption is too long")
    sent = await bot.send_document(alice.id, ics, filename="dienst.ics", caption="<b>Dienst</b>", parse_mode="HTML")
    assert sent.document is not None and sent.document.file_name == "dienst.ics" and sent.caption == "Dienst"
    doc = alice.last().document
    assert doc is not None and (doc.filename, doc.mime_type, doc.content) == ("dienst.ics", "text/calendar", ics)
    assert bytes(await (await bot.get_file(sent.document.file_id)).download_as_bytearray()) == ics
    again = await bot.send_document(alice.id, sent.document.file_id)  # re-send by file_id
    assert again.document is not None and again.document.file_id == sent.document.file_id
    photo = await bot.send_photo(alice.id, b"\x89PNG fake", caption="foto")
    assert photo.photo and alice.last().photo is not None


async def test_edits_and_deletes(tg_server: TelegramServer, bot: Bot, alice: SimUser) -> None:
    sent = await bot.send_message(alice.id, "Versie 1", reply_markup=KEYBOARD)
    same = bot.edit_message_text("Versie 1", alice.id, sent.message_id, reply_markup=KEYBOARD)
    await refused(tg_server, same, BadRequest, "message is not modified: specified new message content")
    await bot.edit_message_text("Versie 1", alice.id, sent.message_id)  # no reply_markup: keyboard removed
    assert alice.last().buttons == [] and alice.last().edited == 1
    await bot.edit_message_reply_markup(alice.id, sent.message_id, reply_markup=KEYBOARD)
    assert alice.last().button_texts == ["Ja, aanmelden"] and alice.last().edited == 2
    await refused(tg_server, bot.edit_message_text("x", alice.id, 999), BadRequest, "message to edit not found")
    await alice.send("eigen bericht", wait=False)
    own = tg_server.chat(alice.id).messages[-1]
    await refused(tg_server, bot.edit_message_text("x", alice.id, own.message_id), BadRequest, "can't be edited")
    assert await bot.delete_message(alice.id, sent.message_id)
    assert alice.last().deleted and alice.messages(include_deleted=False) == []
    await refused(tg_server, bot.delete_message(alice.id, sent.message_id), BadRequest, "message to delete not found")
    await refused(tg_server, bot.edit_message_text("y", alice.id, sent.message_id), BadRequest, "to edit not found")


async def test_unknown_blocked_and_unstarted_chats(tg_server: TelegramServer, bot: Bot) -> None:
    await refused(tg_server, bot.send_message(424242, "hoi"), BadRequest, "chat not found")
    bob = tg_server.user("Bob")
    await refused(tg_server, bot.send_message(bob.id, "hoi"), Forbidden, "bot can't initiate conversation")
    await bob.send("/start", wait=False)
    await bob.block(wait=False)
    await refused(tg_server, bot.send_message(bob.id, "hoi"), Forbidden, "bot was blocked by the user")
    await refused(tg_server, bot.send_chat_action(bob.id, "typing"), Forbidden, "blocked")
    updates = await bot.get_updates()
    assert updates[-1].my_chat_member is not None and updates[-1].my_chat_member.new_chat_member.status == "kicked"
    await bob.unblock(wait=False)
    await bot.send_message(bob.id, "welkom terug")


async def test_callback_queries(tg_server: TelegramServer, bot: Bot, alice: SimUser) -> None:
    await bot.send_message(alice.id, "Aanmelden?", reply_markup=KEYBOARD)
    await alice.press(alice.last(), re.compile("aanmelden"), wait=False)
    [update] = await bot.get_updates()
    query = update.callback_query
    assert query is not None and query.data == "v1:yes" and isinstance(query.message, Message)
    assert query.message.reply_markup == KEYBOARD and query.from_user.id == alice.id
    await refused(tg_server, query.answer("x" * 201), BadRequest, "MESSAGE_TOO_LONG")
    assert tg_server.unanswered_queries() == [query.id]
    await query.answer("Gelukt", show_alert=True)
    assert [(a.text, a.show_alert, a.data) for a in alice.callback_answers] == [("Gelukt", True, "v1:yes")]
    await refused(tg_server, query.answer(), BadRequest, "query is too old")
    await refused(tg_server, bot.answer_callback_query("123"), BadRequest, "query ID is invalid")
    await alice.press_data(alice.last(), "v1:forged:1", wait=False)
    assert (await bot.get_updates(offset=update.update_id + 1))[0].callback_query.data == "v1:forged:1"  # type: ignore[union-attr]


async def test_press_errors_are_clear(tg_server: TelegramServer, bot: Bot, alice: SimUser) -> None:
    bob = tg_server.user("Bob", started=True)
    url_button = InlineKeyboardButton("Website", url="https://wijkhulp.nl")
    await bot.send_message(
        alice.id, "kies", reply_markup=InlineKeyboardMarkup([[*KEYBOARD.inline_keyboard[0], url_button]])
    )
    with pytest.raises(AssertionError, match=r"No button matching 'Nee'.*\['Ja, aanmelden', 'Website'\]"):
        await alice.press(alice.last(), "Nee")
    with pytest.raises(AssertionError, match="not a callback button"):
        await alice.press(alice.last(), "Website")
    with pytest.raises(AssertionError, match="cannot see"):
        await bob.press(alice.last(), "Ja, aanmelden")
    await bot.delete_message(alice.id, alice.last().message_id)
    with pytest.raises(AssertionError, match="was deleted"):
        await alice.press(alice.last(), "Ja, aanmelden")


# --- groups, commands, chats --------------------------------------------------------------------------


async def test_groups_privacy_mode_and_membership(tg_server: TelegramServer, bot: Bot) -> None:
    alice, bob = tg_server.user("Alice"), tg_server.user("Bob")
    group = tg_server.group("Wijk Centrum", members=[alice, bob], bot_member=False)
    await refused(tg_server, bot.send_message(group.id, "hoi"), Forbidden, "bot is not a member of the supergroup")
    await group.add_bot(by=alice, wait=False)
    assert await alice.send("gewoon gepraat", chat=group, wait=False) is None  # privacy mode hides it
    await bob.send("/dienst@wijkhulp_test_bot morgen", chat=group, wait=False)
    updates = await bot.get_updates()
    assert updates[0].my_chat_member is not None and updates[0].my_chat_member.new_chat_member.status == "member"
    assert updates[1].message is not None and updates[1].message.new_chat_members[0].id == bot.id
    command = updates[2].message
    assert command is not None and command.chat.type == "supergroup"
    assert command.parse_entities(["bot_command"]) == {command.entities[0]: "/dienst@wijkhulp_test_bot"}
    noted = await bot.send_message(group.id, "Genoteerd", reply_to_message_id=command.message_id)
    assert group.last().text == "Genoteerd" and noted.reply_to_message == command
    missing = bot.send_message(group.id, "x", reply_to_message_id=999)
    await refused(tg_server, missing, BadRequest, "message to be replied not found")
    carol = tg_server.user("Carol")
    await group.join(carol, wait=False)
    reply_id = await carol.send("Ik kan ook", chat=group, reply_to=group.last(), wait=False)  # replies reach the bot
    joined, reply = (u.message for u in await bot.get_updates(offset=updates[-1].update_id + 1))
    assert joined is not None and joined.new_chat_members[0].id == carol.id
    assert reply is not None and reply.reply_to_message is not None and reply_id is not None
    assert (await bot.get_chat(group.id)).title == "Wijk Centrum"
    await group.remove_bot(by=alice, wait=False)
    await refused(tg_server, bot.send_message(group.id, "hoi"), Forbidden, "bot was kicked from the supergroup")


async def test_my_commands_per_scope_and_language(tg_server: TelegramServer, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("start", "Begin"), BotCommand("dienst", "Dienst melden")], language_code="nl")
    await bot.set_my_commands([BotCommand("start", "Start")], language_code="en")
    await bot.set_my_commands([BotCommand("help", "Help")], scope=BotCommandScopeAllGroupChats())
    assert tg_server.commands("nl") == [("start", "Begin"), ("dienst", "Dienst melden")]
    assert tg_server.commands("en") == [("start", "Start")] and tg_server.commands() == []
    assert tg_server.commands(scope={"type": "all_group_chats"}) == [("help", "Help")]
    assert [c.command for c in await bot.get_my_commands(language_code="nl")] == ["start", "dienst"]
    await bot.delete_my_commands(language_code="en")
    assert tg_server.commands("en") == []
    await refused(tg_server, bot.set_my_commands([BotCommand("Start", "x")]), BadRequest, "BOT_COMMAND_INVALID")


async def test_chat_actions_reply_keyboard_and_contact(tg_server: TelegramServer, bot: Bot, alice: SimUser) -> None:
    assert await bot.send_chat_action(alice.id, "typing")
    await refused(tg_server, bot.send_chat_action(alice.id, "dancing"), BadRequest, "wrong parameter action")
    share = ReplyKeyboardMarkup([[KeyboardButton("Deel nummer", request_contact=True)]], one_time_keyboard=True)
    await bot.send_message(alice.id, "Je nummer?", reply_markup=share)
    assert alice.chat_actions == ["typing"] and alice.keyboard == [["Deel nummer"]] and alice.last().buttons == []
    await alice.share_contact("+31612345678", wait=False)
    [update] = await bot.get_updates()
    assert update.message is not None and update.message.contact is not None
    assert (update.message.contact.phone_number, update.message.contact.user_id) == ("+31612345678", alice.id)
    chat = await bot.get_chat(alice.id)
    assert (chat.first_name, chat.last_name, chat.type) == ("Alice", "de Vries", "private")


# --- updates, webhook, faults, flood limits -----------------------------------------------------------


async def test_long_polling_offsets_and_fast_stop(tg_server: TelegramServer, bot: Bot) -> None:
    alice = tg_server.user()
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await asyncio.sleep(0.05)  # let the poll reach the server, so that the update has to wake it
    started = time.monotonic()
    first = await alice.send("/start abc", wait=False)
    [update] = await poll
    assert update.update_id == first and time.monotonic() - started < 1
    second = await alice.send("nog iets", wait=False)
    assert [u.update_id for u in await bot.get_updates(offset=first + 1)] == [second] and second > first
    assert await bot.get_updates(offset=second + 1, timeout=0) == ()
    pending = asyncio.create_task(bot.get_updates(timeout=30))
    await asyncio.sleep(0.05)
    started = time.monotonic()
    await tg_server.stop()
    assert time.monotonic() - started < 1
    with contextlib.suppress(NetworkError):  # released with no updates, or the connection went away
        assert await pending == ()


async def test_second_poller_conflicts_and_filtered_updates_fail_clearly(tg_server: TelegramServer, bot: Bot) -> None:
    async with Bot(tg_server.token, base_url=tg_server.base_url) as other_instance:
        first = asyncio.create_task(other_instance.get_updates(timeout=5))
        await asyncio.sleep(0.05)
        assert await bot.get_updates(allowed_updates=["callback_query"]) == ()
        with pytest.raises(Conflict, match="terminated by other getUpdates request"):
            await first
    alice = tg_server.user()
    sending = asyncio.create_task(alice.send("hallo"))
    await asyncio.sleep(0)  # the update is queued
    assert await bot.get_updates() == ()
    with pytest.raises(AssertionError, match=r"dropped this message update.*\['callback_query'\]"):
        await sending


async def test_webhook_conflicts_with_polling(tg_server: TelegramServer, bot: Bot) -> None:
    await bot.set_webhook("https://wijkhulp.example/hook")
    assert (await bot.get_webhook_info()).url == "https://wijkhulp.example/hook"
    await refused(tg_server, bot.get_updates(), Conflict, "webhook is active")
    await bot.delete_webhook(drop_pending_updates=True)
    assert await bot.get_updates() == () and await bot.close() and await bot.log_out()


@IGNORE_PTB_RETRY_AFTER_WARNING
@pytest.mark.parametrize(
    ("kind", "error", "text"),
    [("429", RetryAfter, "Retry in 7 seconds"), ("500", NetworkError, "Internal Server Error"),
     ("502", NetworkError, "Bad Gateway"), ("drop", NetworkError, "Server disconnected")],
)  # fmt: skip
async def test_faults_have_no_side_effects(
    tg_server: TelegramServer, bot: Bot, alice: SimUser, kind: Any, error: type[TelegramError], text: str
) -> None:
    bob = tg_server.user(started=True)
    tg_server.inject_fault("sendMessage", kind, times=2, retry_after=7, chat_id=alice.id)
    await bot.send_message(bob.id, "other chat is not affected")
    for _ in range(2):
        with pytest.raises(error, match=text):
            await bot.send_message(alice.id, "hoi")
    assert alice.messages() == [] and tg_server.faults_served == 2 and tg_server.refusals == []
    await bot.send_message(alice.id, "hoi")
    assert alice.last().text == "hoi"


async def test_fault_without_method_spares_get_updates(tg_server: TelegramServer, bot: Bot, alice: SimUser) -> None:
    tg_server.inject_fault(kind="500")
    assert await bot.get_updates() == ()
    with pytest.raises(NetworkError):
        await bot.send_chat_action(alice.id, "typing")


@IGNORE_PTB_RETRY_AFTER_WARNING
async def test_flood_limits_with_manual_clock(tg_server: TelegramServer, bot: Bot, alice: SimUser) -> None:
    clock = ManualClock()
    tg_server.clock = clock
    for i in range(20):  # the private chat burst
        await bot.send_message(alice.id, f"bericht {i}")
    await refused(tg_server, bot.send_message(alice.id, "te veel"), RetryAfter, "retry after 1")
    clock.advance(1)
    await bot.send_message(alice.id, "weer toegestaan")
    group = tg_server.group("Wijk", members=[alice])
    for i in range(22):
        await bot.send_message(group.id, f"groep {i}")
    refusal = await refused(tg_server, bot.send_message(group.id, "x"), RetryAfter, "Too Many Requests: retry after 3")
    assert refusal.error_code == 429
    users = [tg_server.user(started=True) for _ in range(41)]
    clock.advance(60)
    for user in users[:40]:  # the overall burst, each to a different chat
        await bot.send_message(user.id, "iedereen")
    await refused(tg_server, bot.send_message(users[40].id, "één te veel"), RetryAfter, "retry after 1")
    tg_server.rate_limits = False
    await bot.send_message(users[40].id, "zonder limieten")


async def test_aio_rate_limiter_never_trips_the_limits(tg_server: TelegramServer) -> None:
    users = [tg_server.user(started=True) for _ in range(45)]  # more than the overall burst of 40
    limited = ExtBot(tg_server.token, base_url=tg_server.base_url, rate_limiter=AIORateLimiter())
    async with limited:
        await asyncio.gather(*(limited.send_message(u.id, "nieuwe dienst") for u in users))
    assert all(len(u.messages()) == 1 for u in users)


# --- the full loop with a real Application -----------------------------------------------------------


async def test_application_conversation(tg_server: TelegramServer) -> None:
    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html(f"Welkom, <b>{context.args}</b>", reply_markup=KEYBOARD)

    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.callback_query is not None
        await update.callback_query.answer("Aangemeld")
        await update.callback_query.edit_message_text("Je bent aangemeld")

    async def contact(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None and update.effective_message.contact is not None
        await update.effective_message.reply_text(f"Nummer {update.effective_message.contact.phone_number}")

    app = Application.builder().token(tg_server.token).base_url(tg_server.base_url).build()
    app.add_handlers([CommandHandler("start", start), CallbackQueryHandler(pressed)])
    app.add_handler(MessageHandler(tg_filters.CONTACT, contact))
    alice = tg_server.user("Alice")
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0)
        await alice.send("/start abc")
        assert alice.last().text == "Welkom, ['abc']" and alice.last().html == "Welkom, <b>['abc']</b>"
        await alice.press(alice.last(), "Ja, aanmelden")
        assert alice.last().text == "Je bent aangemeld" and alice.last().buttons == []
        assert [a.text for a in alice.callback_answers] == ["Aangemeld"]
        await alice.share_contact("+31612345678")
        assert alice.last().text == "Nummer +31612345678"
        started = time.monotonic()
        await app.updater.stop()
        await app.stop()
    assert time.monotonic() - started < 2


async def test_handled_waiter_hook_and_wait_for(tg_server: TelegramServer, bot: Bot) -> None:
    alice = tg_server.user("Alice")
    seen: list[int] = []

    async def handled(update_id: int) -> None:
        [update] = await bot.get_updates(offset=update_id)
        assert update.message is not None
        await bot.send_message(alice.id, f"echo {update.message.text}")
        seen.append(update_id)

    tg_server.handled_waiter = handled
    update_id = await alice.send("hallo")
    assert seen == [update_id] and alice.last().text == "echo hallo"

    async def later() -> None:
        await asyncio.sleep(0.05)
        await bot.send_message(alice.id, "herinnering")

    task = asyncio.create_task(later())
    await tg_server.wait_for(lambda: alice.last().text == "herinnering", timeout=2)
    await task
    with pytest.raises(AssertionError, match=r"(?s)not met within 0.05 s.*'herinnering'"):
        await tg_server.wait_for(lambda: False, timeout=0.05)
