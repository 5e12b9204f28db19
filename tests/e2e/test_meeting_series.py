"""A fortnightly meeting at 19:00 keeps 19:00 local across the last Sunday of March and of October."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from sqlalchemy import func, select

from db.meetings import MeetingInvitee
from tests.e2e.meetings_helpers import calendars, cast, event, invitations, occurrences, plan, reminders, sweep, utc
from tests.harness import Harness

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


async def test_a_series_keeps_its_local_time_across_both_clock_changes(bot: Harness) -> None:
    everyone = await cast(bot)
    carol = everyone.people.carol
    await plan(bot, everyone.corrie, day="do 11 mrt 2027", repeat="Elke 2 weken", title="Spreekuur-overleg")
    series = await occurrences(bot)
    assert len(series) == 19  # 11 March to 18 November 2027, planned a year ahead
    assert {o.start_local.hour for o in series} == {19}
    by_day = {o.start_local.date().isoformat(): o.starts_at for o in series}
    assert by_day["2027-03-25"] == utc(2027, 3, 25, 18)  # winter time, before Sunday 28 March
    assert by_day["2027-04-08"] == utc(2027, 4, 8, 17)  # summer time
    assert by_day["2027-10-21"] == utc(2027, 10, 21, 17)  # still summer time: the change is Sunday 31 October
    assert by_day["2027-11-04"] == utc(2027, 11, 4, 18)  # winter time again
    await bot.dispatch()
    assert calendars(carol) == [], "nothing is sent months ahead"

    bot.clock.current = utc(2027, 3, 20, 12)
    await sweep(bot)
    # One invitation and one calendar file for the series: the rule, in local time with its zone.
    assert len(invitations(carol)) == 1 and "Uitnodiging voor een reeks" in invitations(carol)[0].text
    [series_file] = calendars(carol)
    vevent = event(series_file)
    rule = vevent["RRULE"].to_ical()
    rule = rule.decode() if isinstance(rule, bytes) else str(rule)
    assert rule == "FREQ=WEEKLY;INTERVAL=2"
    first: datetime = vevent.decoded("DTSTART")
    assert (first.year, first.month, first.day, first.hour) == (2027, 3, 11, 19)
    assert str(first.tzinfo) == "Europe/Amsterdam"
    expanded: list[datetime] = list(islice(rrulestr(rule, dtstart=first.replace(tzinfo=None)), 5))
    local = [moment.replace(tzinfo=AMSTERDAM) for moment in expanded]
    assert [(s.month, s.day, s.hour, s.minute) for s in local] == [
        (3, 11, 19, 0),
        (3, 25, 19, 0),
        (4, 8, 19, 0),
        (4, 22, 19, 0),
        (5, 6, 19, 0),
    ]
    offsets = [s.utcoffset() for s in local]  # winter time until 28 March, summer time after
    assert [o.total_seconds() / 3600 for o in offsets if o is not None] == [1.0, 1.0, 2.0, 2.0, 2.0]

    # The 2-hour reminder of 8 April comes at 17:00 local, which is 15:00 UTC in summer. (The reminders the jump
    # of the clock left behind go out first, well before it: a late one stands for a next one due within the hour.)
    bot.clock.current = utc(2027, 4, 8, 12, 0)
    await sweep(bot)
    bot.clock.current = utc(2027, 4, 8, 14, 59)
    await sweep(bot)
    before = [m for m in reminders(carol) if "donderdag 8 april 2027, 19:00–21:00" in m.text]
    bot.clock.current = utc(2027, 4, 8, 15, 0)
    await sweep(bot)
    after = [m for m in reminders(carol) if "donderdag 8 april 2027, 19:00–21:00" in m.text]
    assert len(after) == len(before) + 1 and "Te laat" not in after[-1].text

    # The sweep runs all along (every half minute in the bot): dates enter the eight weeks one by one.
    moment = utc(2027, 4, 20, 12)
    while moment < utc(2027, 10, 20, 12):
        bot.clock.current = moment
        await sweep(bot)
        moment += timedelta(days=14)
    bot.clock.current = utc(2027, 10, 20, 12)
    await sweep(bot)
    assert len(calendars(carol)) == 1 and len(invitations(carol)) == 1, "later dates bring no message each"
    member = await bot.member(carol)
    assert member is not None
    async with bot.session() as session:
        invited = await session.scalar(
            select(func.count(MeetingInvitee.id)).where(MeetingInvitee.member_id == member.id)
        )
    assert invited is not None and invited > 4, "yet they are invited: their reminders ask for an answer"
    assert len(await occurrences(bot)) > 19, "the sweep plans the series further as time passes"
