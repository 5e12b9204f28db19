"""Entry point: `python -m bot --help`, or `wijkhulp --help` where the wheel is installed.

The one module in bot/ that imports from above it, and only because it is where the program starts (nothing
imports it): it hands the command line the wiring's `run` (app/wiring.py, above handlers) and the playground's,
so that bot.cli itself needs nothing above bot. The import contract in pyproject.toml names this exception.
"""

import sys

from app.playground.server import run as run_playground
from app.wiring import run
from bot.cli import main


def entry_point() -> int:
    """`python -m bot` and the `wijkhulp` console script of an installed wheel."""
    return main(run_bot=run, run_playground=run_playground)


if __name__ == "__main__":
    sys.exit(entry_point())
