"""The playground: the real bot against a Telegram stand-in, with a page to try it in (`python -m bot playground`).

`session.py` runs one playground (stand-in, bot, seeded demo region, movable clock), `web.py` serves the page and
its JSON API, `chat_view.py` shows a chat as the page does, `personas.py` and `tour.py` are the demo's people and
guided tour; `server.py` starts it all from the command line.
"""
