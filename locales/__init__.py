"""The gettext catalogs (nl, en): package data, so that an installed wheel carries them (compiled: setup.py)."""
