"""The database: models, sessions, migrations.

The model modules import downwards only (meetings -> models -> availability -> base). Importing any of them
runs this file first, which loads the meeting models too, so that Base.metadata always holds the whole schema:
Alembic's autogenerate and the tests (create_all, "every table") rely on that.
"""

from db import meetings as _meetings  # noqa: F401
