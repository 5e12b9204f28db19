"""Flooding: a person sending far too much gets one polite slow-down notice, everyone else is served as usual."""

from __future__ import annotations

from bot.flood import FloodGuard, Verdict
from db.models import Role
from tests.harness import running_bot
from tests.support import FakeClock
from tgserver.server import TelegramServer

NOTICE = "Je stuurt veel tegelijk"


async def test_a_flood_is_slowed_down_and_others_are_served(
    tg_server: TelegramServer, database_url: str, clock: FakeClock
) -> None:
    async with running_bot(tg_server, database_url, clock, flood_burst=20, flood_window_seconds=30):
        flooder = tg_server.user(first_name="Floris", language_code="nl")
        other = tg_server.user(first_name="Olga", language_code="nl")
        # The FakeClock stands still, so to the bot all 60 arrive in the same instant (the server's simulated
        # time moves on per action, so its own per-chat limit is not what stops them).
        for number in range(60):
            await flooder.send("/help")
            if number == 30:
                await other.send("/help")  # in the middle of the flood

        answers = flooder.messages()
        notices = [m for m in answers if m.text.startswith(NOTICE)]
        assert len(notices) == 1, [m.text[:40] for m in answers]
        assert len(answers) == 21, "20 answers (the burst), one notice, and nothing for the other 39"
        assert len(other.messages()) == 1 and other.last().text.startswith("Wijkhulp helpt")

        # Still flooding a little later in the same window: dropped, without a second notice.
        clock.advance(seconds=2)
        await flooder.send("/help")
        await flooder.send("/help")
        assert len([m for m in flooder.messages() if m.text.startswith(NOTICE)]) == 1
        assert len(flooder.messages()) == 22, "one token came back in two seconds, not two"

        # After the window the flooder is served again, in full.
        clock.advance(seconds=30)
        await flooder.send("/help")
        assert not flooder.last().text.startswith(NOTICE)
        assert len(flooder.messages()) == 23


async def test_presses_in_a_flood_get_the_notice_as_a_callback_answer(
    tg_server: TelegramServer, database_url: str, clock: FakeClock
) -> None:
    async with running_bot(tg_server, database_url, clock, flood_burst=5, flood_window_seconds=30) as bot:
        pia = tg_server.user(first_name="Pia", language_code="en")
        await bot.join(pia, "caberg", Role.DOKTERSASSISTENT)  # two updates: /start and the join button
        await pia.send("/taal")
        menu = pia.last()
        for _ in range(10):
            await pia.press_data(menu, "v1:lang:en")
        answers = [a for a in pia.callback_answers if a.data == "v1:lang:en"]
        assert len(answers) == 10 and not tg_server.unanswered_queries(), "every press is answered"
        # The member chose English (Pia's Telegram is English too); the notice comes once, as an alert.
        alerts = [a for a in answers if a.show_alert and "You are sending a lot" in (a.text or "")]
        assert len(alerts) == 1
        assert sum("Slow down" in (a.text or "") for a in answers) == 7, "2 presses served, 1 notice, 7 dropped"


def test_the_bucket_refills_forgets_idle_people_and_stays_bounded() -> None:
    guard = FloodGuard(burst=3, window=30, max_tracked=100)
    assert [guard.check(1, 0.0) for _ in range(5)] == [
        Verdict.SERVE,
        Verdict.SERVE,
        Verdict.SERVE,
        Verdict.WARN,
        Verdict.DROP,
    ]
    assert guard.check(1, 10.0) is Verdict.SERVE, "one token per 10 s"
    assert guard.check(1, 10.0) is Verdict.DROP, "told once per window"
    assert guard.check(1, 31.0) is Verdict.SERVE
    # 1.1 tokens left; a clock that goes back hands out nothing more.
    assert [guard.check(1, 5.0) for _ in range(2)] == [Verdict.SERVE, Verdict.DROP]
    for user_id in range(2, 500):
        guard.check(user_id, 40.0)
    assert len(guard) <= 100
    guard.check(9999, 100.0)
    assert len(guard) == 1, "everyone idle for a window is forgotten"
