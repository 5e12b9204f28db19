"""docs/permissions.md, generated from the permission table in bot/permission_table.py.

    python scripts/permissions_doc.py write   # after changing the table: regenerate the doc
    python scripts/permissions_doc.py check   # fail if the doc is stale (part of ./dev check)
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "permissions.md"


def main() -> int:
    sys.path.insert(0, str(ROOT))  # run as a script from anywhere, like scripts/catalogs.py
    from bot.permission_doc import render_markdown

    command = sys.argv[1] if len(sys.argv) > 1 else ""
    wanted = render_markdown()
    if command == "write":
        DOC.parent.mkdir(parents=True, exist_ok=True)
        DOC.write_text(wanted, encoding="utf-8")
        return 0
    if command == "check":
        if not DOC.exists() or DOC.read_text(encoding="utf-8") != wanted:
            print(f"{DOC.relative_to(ROOT)} is stale: run `.venv/bin/python scripts/permissions_doc.py write`")
            return 1
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main())
