"""The end of a soak: the database and every chat of the test server, checked against what people did.

Definitions (the README's "Soak test" section repeats them):
- A request is *lost* when its manager pressed Send and got an answer, but no request carries the intent's
  token; *doubled* when more than one does. A form cut off before Send was never a request (the manager starts
  it again) and must have left nothing.
- An outbox row is *delivered* when it is `sent` and the chat holds the message id it recorded. A *duplicate* is a
  further bot message in the same chat that looks the same (same first line, or the same file name); it is
  *explained* only by a send cut off between Telegram's answer and the commit: a row the log shows as
  `outbox.resend_unknown_fate` (or `outbox.unrecorded`), or an at-most-once row left `unknown`. Those are counted
  and reported; every other duplicate, a recorded message missing from its chat, a row left undelivered, a
  failed row, an offer or answer that people were told about but the database lacks, fails the soak.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from db.meetings import DueStatus, MeetingInvitee, MeetingReminder
from db.models import Member, Offer, OfferStatus, OutboxMessage, OutboxStatus, ShortageRequest
from db.session import Database
from tests.soak.people import OFFER_OK, Record
from tests.soak.process import NOT_RESENT, RESENT, UNRECORDED, BotProcess, Workers
from tgserver.server import TelegramServer
from tgserver.state import ChatMessage

# Refusals a SIGKILL can cause without any fault of the bot: an edit sent again after its fate was unknown, and a
# press answered by a process that was killed before it confirmed the update (Telegram hands it out again).
BENIGN_REFUSALS = ("message is not modified", "query is too old", "query ID is invalid", "already answered")


@dataclass
class Findings:
    """Figures and problems; `problems` empty means the soak passed."""

    figures: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    # Every problem is counted; only the first LISTED are kept as text, so a long run's report stays readable.
    problem_count: int = 0

    LISTED = 200

    def problem(self, text: str) -> None:
        self.problem_count += 1
        if len(self.problems) < self.LISTED:
            self.problems.append(text)


def signature(message: ChatMessage) -> str:
    """What makes two bot messages 'the same notice': the file name of a document, else the first line."""
    if message.document is not None:
        return "file:" + message.document.filename
    return message.text.split("\n", 1)[0]


async def check(
    server: TelegramServer, bot: BotProcess | Workers, record: Record, database_url: str, now: datetime
) -> Findings:
    """Everything at once; the bot is stopped and the outbox drained."""
    found = Findings()
    database = Database(database_url)
    try:
        async with database.session() as session:
            requests = list(await session.scalars(select(ShortageRequest)))
            offers = list(await session.scalars(select(Offer)))
            rows = list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))
            members = {m.id: m.telegram_user_id for m in await session.scalars(select(Member))}
            reminders = list(await session.scalars(select(MeetingReminder)))
            invitees = list(await session.scalars(select(MeetingInvitee)))
    finally:
        await database.dispose()
    _requests(found, record, requests)
    _offers(found, record, requests, offers, members, rows)
    _rsvps(found, record, invitees, members)
    _outbox(found, server, bot, rows, now)
    _reminders(found, reminders, rows, now)
    _refusals(found, server)
    found.figures["tracebacks in the bot's log"] = bot.tracebacks
    if bot.tracebacks:
        found.problem(f"{bot.tracebacks} tracebacks in the bot's log ({bot.log_path})")
    for stuck in record.stuck:
        found.problem("stuck: " + stuck)
    return found


def _requests(found: Findings, record: Record, requests: list[ShortageRequest]) -> None:
    by_note = Counter(r.note for r in requests)
    tokens = {intent.token for intent in record.intents}
    for intent in record.intents:
        count = by_note[intent.token]
        if count > 1:
            found.problem(f"request '{intent.token}' exists {count} times")
        elif intent.send_answered and count == 0:
            found.problem(
                f"request '{intent.token}' was sent and answered ({intent.send_answer!r}) but is not in the database"
            )
        elif not intent.send_pressed and count:
            found.problem(f"request '{intent.token}' exists although its form never reached Send")
    for request in requests:
        if request.note not in tokens:
            found.problem(f"request #{request.id} does not belong to any simulated manager")
    found.figures["requests posted"] = len(requests)
    found.figures["request forms started again after a kill"] = sum(max(0, i.tries - 1) for i in record.intents)
    found.figures["requests cancelled"] = sum(r.status == "cancelled" for r in requests)


def _offers(
    found: Findings,
    record: Record,
    requests: list[ShortageRequest],
    offers: list[Offer],
    members: dict[int, int],
    rows: list[OutboxMessage],
) -> None:
    live = Counter((o.request_id, o.member_id) for o in offers if o.status != OfferStatus.WITHDRAWN)
    for (request_id, member_id), count in live.items():
        if count > 1:
            found.problem(f"member {member_id} has {count} offers on request #{request_id}")
    pressed = record.offer_attempts
    have = {(members.get(o.member_id or 0), o.request_id) for o in offers}
    for press in record.offers:
        key = (press.user_id, int(press.data.split(":")[2]))
        if press.data.startswith("v1:oa:") and (press.text or "").startswith(OFFER_OK) and key not in have:
            found.problem(f"user {press.user_id} was told their offer on request #{key[1]} was sent; it is not stored")
    for offer in offers:
        if (members.get(offer.member_id or 0), offer.request_id) not in pressed:
            found.problem(f"offer #{offer.id} was made by nobody who pressed 'I can help'")
    kinds = defaultdict(set)
    for row in rows:
        if "offer_id" in row.params:
            kinds[row.kind].add(row.params["offer_id"])
    status_of = {o.id: o.status for o in offers}
    for offer in offers:
        if offer.id not in kinds["offer.received"]:
            found.problem(f"offer #{offer.id}: the requester was never sent it")
        if offer.status == OfferStatus.ACCEPTED and offer.id not in kinds["offer.accepted"]:
            found.problem(f"offer #{offer.id} was accepted but the helper was never told")
        if offer.status == OfferStatus.DECLINED and offer.id not in kinds["offer.declined"]:
            found.problem(f"offer #{offer.id} was declined but the helper was never told")
    for press in record.decisions:
        offer_id = int(press.data.split(":")[2])
        accepted = press.text == "Done." and press.data.startswith("v1:ac:")
        if accepted and status_of.get(offer_id) not in (OfferStatus.ACCEPTED, OfferStatus.CANCELLED):
            found.problem(f"offer #{offer_id}: accepted ('Done.') but stored as {status_of.get(offer_id)}")
    found.figures["offers"] = len(offers)
    found.figures["answers to Accept"] = dict(
        Counter((p.text or "")[:50] for p in record.decisions if p.data.startswith("v1:ac:"))
    )
    found.figures["offers accepted"] = sum(o.status == OfferStatus.ACCEPTED for o in offers)
    found.figures["offers declined"] = sum(o.status == OfferStatus.DECLINED for o in offers)
    found.figures["requests filled"] = sum(r.status == "filled" for r in requests)


def _rsvps(found: Findings, record: Record, invitees: list[MeetingInvitee], members: dict[int, int]) -> None:
    last: dict[tuple[int, int], str] = {}
    for press in record.rsvps:
        _v, _a, occurrence, answer = press.data.split(":")
        # An answer without text is the bot after a restart: it had saved the press, and says so in the chat.
        if press.text is None or press.text.startswith("Saved"):
            last[(press.user_id, int(occurrence))] = answer
    stored = {(members.get(i.member_id), i.occurrence_id): i.answer for i in invitees}
    for key, answer in last.items():
        if stored.get(key) != answer:
            found.problem(f"user {key[0]} answered {answer} to occurrence {key[1]}; stored: {stored.get(key)}")
    found.figures["RSVPs"] = len(record.rsvps)


def _outbox(
    found: Findings, server: TelegramServer, bot: BotProcess | Workers, rows: list[OutboxMessage], now: datetime
) -> None:
    # A row can be cut off more than once (killed again while sending it again): each time may leave a copy.
    resent = Counter(bot.log_ids(RESENT) + bot.log_ids(UNRECORDED))
    status = Counter(row.status for row in rows)
    found.figures["outbox rows"] = dict(sorted(status.items()))
    # A row waiting for its time (the person's quiet hours) is not late: it is counted apart, and a problem only
    # once it is due and still unsent.
    later = [row for row in rows if row.status == OutboxStatus.PENDING and row.next_attempt_at > now]
    found.figures["outbox rows scheduled for later (quiet hours)"] = len(later)
    for row in rows:
        if row in later:
            continue
        if row.status in (OutboxStatus.PENDING, OutboxStatus.SENDING, OutboxStatus.IN_FLIGHT):
            found.problem(f"outbox row {row.id} ({row.kind}) is still {row.status} after the drain")
        if row.status == OutboxStatus.FAILED:
            found.problem(f"outbox row {row.id} ({row.kind}) failed: {row.last_error}")
    claimed: dict[int, dict[int, OutboxMessage]] = defaultdict(dict)
    for row in rows:
        if row.status != OutboxStatus.SENT or row.telegram_message_id is None:
            continue
        chat = server.world.chats.get(row.chat_id)
        message = chat.find(row.telegram_message_id) if chat else None
        if message is None or not message.from_bot:
            found.problem(f"outbox row {row.id} ({row.kind}) recorded message {row.telegram_message_id}; not in chat")
            continue
        if row.telegram_message_id in claimed[row.chat_id]:
            found.problem(
                f"outbox rows {claimed[row.chat_id][row.telegram_message_id].id} and {row.id} claim one message"
            )
        claimed[row.chat_id][row.telegram_message_id] = row
    unknown_by_chat = Counter(row.chat_id for row in rows if row.status == OutboxStatus.UNKNOWN)
    # An at-most-once reminder is never sent again, so a reminder message no row recorded is one left `unknown`
    # that reached Telegram after all; more of them in a chat than unknown rows would be a reminder sent twice.
    arrived = 0
    for chat_id, unknown in unknown_by_chat.items():
        recorded_ids = {r.telegram_message_id for r in rows if r.chat_id == chat_id}
        stray = sum(
            1
            for m in server.world.chats[chat_id].messages
            if m.from_bot and m.text.startswith("⏰") and m.message_id not in recorded_ids
        )
        if stray > unknown:
            found.problem(f"chat {chat_id}: {stray} reminder messages no row recorded, {unknown} rows unknown")
        arrived += min(stray, unknown)
    explained, most = 0, 1
    for chat_id, by_id in claimed.items():
        messages = [m for m in server.world.chats[chat_id].messages if m.from_bot]
        everything = Counter(signature(m) for m in messages)
        recorded = Counter(signature(m) for m in messages if m.message_id in by_id)
        allowed: Counter[str] = Counter()
        for message_id, row in by_id.items():
            allowed[signature(_find(server, chat_id, message_id))] += resent[row.id]
        for sig, count in recorded.items():
            extra = everything[sig] - count
            if extra <= 0:
                continue
            most = max(most, 1 + -(-extra // count))  # copies of the worst row, at least
            if extra > count:  # more unrecorded copies than rows: some row reached the chat three times or more
                found.problem(f"chat {chat_id}: {count} row(s) of {sig[:60]!r} arrived {count + extra} times")
            if extra > allowed[sig] + unknown_by_chat[chat_id]:
                found.problem(f"chat {chat_id}: {extra} unexplained extra copies of {sig[:60]!r}")
            explained += min(extra, allowed[sig] + unknown_by_chat[chat_id])
    sent = [row for row in rows if row.status == OutboxStatus.SENT]
    found.figures["messages sent by the outbox"] = len(sent)
    found.figures["messages in all chats"] = sum(
        1 for chat in server.world.chats.values() for m in chat.messages if m.from_bot
    )
    found.figures["rows a killed process had claimed, sent again (outbox.resend_unknown_fate)"] = sum(resent.values())
    found.figures["of these, cut off between Telegram's answer and the commit: duplicates"] = explained
    found.figures["most copies of one message in a chat (at most 2)"] = most
    found.figures["at-most-once sends cut off (not sent again)"] = status[OutboxStatus.UNKNOWN]
    found.figures["of these, reached the person anyway"] = arrived
    found.figures["log: unknown_fate_not_resent"] = len(set(bot.log_ids(NOT_RESENT)))


def _find(server: TelegramServer, chat_id: int, message_id: int) -> ChatMessage:
    message = server.world.chats[chat_id].find(message_id)
    assert message is not None
    return message


def _reminders(found: Findings, reminders: list[MeetingReminder], rows: list[OutboxMessage], now: datetime) -> None:
    done = {r.id for r in reminders if r.status == DueStatus.DONE}
    per_reminder: dict[int, Counter[int]] = defaultdict(Counter)
    for row in rows:
        if row.kind == "meeting.reminder":
            per_reminder[row.params.get("reminder_id", 0)][row.chat_id] += 1
    for reminder in reminders:
        if reminder.due_at <= now and reminder.status == DueStatus.PENDING:
            found.problem(f"reminder {reminder.id} was due at {reminder.due_at:%H:%M:%S} and never handled")
        if reminder.id in done and not per_reminder[reminder.id]:
            found.problem(f"reminder {reminder.id} is done but nobody was sent it")
    for reminder_id, chats in per_reminder.items():
        for chat_id, count in chats.items():
            if count > 1:
                found.problem(f"reminder {reminder_id} queued {count} times for chat {chat_id}")
    found.figures["reminders due and sent"] = len(done)
    found.figures["reminder messages"] = sum(sum(c.values()) for c in per_reminder.values())
    found.figures["reminders not yet due"] = sum(r.status == DueStatus.PENDING for r in reminders)


def _refusals(found: Findings, server: TelegramServer) -> None:
    refusals = server.take_refusals()
    benign = [r for r in refusals if any(b in r.description for b in BENIGN_REFUSALS)]
    found.figures["server refusals after a kill (edit or answer repeated)"] = len(benign)
    for refusal in refusals:
        if refusal not in benign:
            found.problem(f"the test server refused {refusal.method}: {refusal.description}")
