"""Benchmark: the real bot process and a bare PTB bot on the test Telegram server, side by side; see README."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.bench.runner import main  # noqa: E402  (needs the repository root on the path)

if __name__ == "__main__":
    sys.exit(main())
