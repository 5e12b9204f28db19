"""Translation catalogs: extract messages, keep nl/en in step, check completeness, compile.

    python scripts/catalogs.py extract   # after changing strings: update messages.pot and both .po files
    python scripts/catalogs.py check     # fail if any message lacks a translation or is fuzzy
    python scripts/catalogs.py compile   # write the .mo files the bot loads

English is the source language, so en's translations are the msgids themselves, filled in here; Dutch is
translated by hand in locales/nl/LC_MESSAGES/messages.po.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "locales"
POT = LOCALES / "messages.pot"
LANGUAGES = ("nl", "en")


def po_path(language: str) -> Path:
    return LOCALES / language / "LC_MESSAGES" / "messages.po"


def read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale)


def write(path: Path, catalog: Catalog) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        write_po(handle, catalog, width=110, omit_header=False, sort_output=False)


def extract_template(target: Path) -> None:
    """Every translatable string of the code, as a .pot file."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            str(ROOT / "babel.cfg"),
            "-k",
            "N_",
            "--no-location",
            "--sort-output",
            "--project",
            "wijkhulp",
            "-o",
            str(target),
            "app",
            "bot",
            "handlers",
        ],
        cwd=ROOT,
        capture_output=True,  # a line per file; shown only when extraction fails
        text=True,
    )
    if result.returncode != 0:
        print(result.stdout + result.stderr, file=sys.stderr)
        raise SystemExit(result.returncode)


def extract() -> None:
    extract_template(POT)
    template = read(POT)
    for language in LANGUAGES:
        path = po_path(language)
        catalog = read(path, language) if path.exists() else Catalog(locale=language, project="wijkhulp")
        catalog.update(template, no_fuzzy_matching=True)
        catalog.fuzzy = False  # the header; a fuzzy header makes msgfmt skip the catalog metadata
        if language == "en":
            for message in catalog:
                if message.id:
                    message.string = message.id
                    message.flags.discard("fuzzy")
        catalog.obsolete.clear()
        write(path, catalog)


def problems() -> list[str]:
    # Against the code as it is now, not the last extracted template: a string added without `extract` counts.
    with tempfile.TemporaryDirectory() as folder:
        fresh = Path(folder) / "messages.pot"
        extract_template(fresh)
        template_ids = {m.id for m in read(fresh) if m.id}
    found: list[str] = []
    for language in LANGUAGES:
        catalog = read(po_path(language), language)
        ids = {m.id for m in catalog if m.id}
        found += [f"{language}: missing {mid!r}" for mid in template_ids - ids]
        for message in catalog:
            if not message.id:
                continue
            strings = message.string if isinstance(message.string, tuple) else (message.string,)
            if not all(strings):
                found.append(f"{language}: untranslated {message.id!r}")
            if message.fuzzy:
                found.append(f"{language}: fuzzy {message.id!r}")
    return found


def compile_all() -> None:
    for language in LANGUAGES:
        catalog = read(po_path(language), language)
        with po_path(language).with_suffix(".mo").open("wb") as handle:
            write_mo(handle, catalog)


def main() -> int:
    command = sys.argv[1] if len(sys.argv) > 1 else ""
    if command == "extract":
        extract()
    elif command == "check":
        found = problems()
        for line in found:
            print(line, file=sys.stderr)
        return 1 if found else 0
    elif command == "compile":
        compile_all()
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
