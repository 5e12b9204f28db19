"""Entry point: `python -m bot --help`.

The one module in bot/ that imports from above it, and only because it is where the program starts (nothing
imports it): it hands the command line the wiring's `run` (app/wiring.py, above handlers), so that bot.cli itself
needs nothing above bot. The import contract in pyproject.toml names this exception.
"""

import sys

from app.wiring import run
from bot.cli import main

sys.exit(main(run_bot=run))
