"""Only what pyproject.toml cannot say: compile the translation catalogs into the wheel.

The .mo files are built from the .po files (they are not in git), so a wheel built from a fresh clone still has
them: `bot/i18n.py` would otherwise compile them in memory at every start.
"""

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from setuptools import setup
from setuptools.command.build_py import build_py


class BuildWithCatalogs(build_py):
    """build_py, then locales/<language>/LC_MESSAGES/messages.mo next to each .po in the build."""

    def run(self) -> None:
        super().run()
        for po_path in sorted(Path("locales").glob("*/LC_MESSAGES/messages.po")):
            target = Path(self.build_lib) / po_path.with_suffix(".mo")
            target.parent.mkdir(parents=True, exist_ok=True)
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=po_path.parts[1])
            with target.open("wb") as mo_file:
                write_mo(mo_file, catalog)


setup(cmdclass={"build_py": BuildWithCatalogs})
