"""Role names in the reader's language: for the handlers' messages and the services' reports alike."""

from __future__ import annotations

from bot.i18n import N_, Translator
from db.models import Role

ROLE_LABELS: dict[Role, str] = {
    Role.PRAKTIJKMANAGER: N_("practice manager"),
    Role.HUISARTS: N_("GP"),
    Role.DOKTERSASSISTENT: N_("doctor's assistant"),
    Role.POH_S: N_("practice nurse (POH-S)"),
    Role.POH_GGZ: N_("mental-health practice nurse (POH-GGZ)"),
    Role.TRIAGIST: N_("triage assistant"),
    Role.MEDISCH_STUDENT: N_("medical student (regional pool)"),
    Role.COORDINATOR: N_("regional coordinator"),
}


def role_label(t: Translator, role: Role | str) -> str:
    """A role's name in the reader's language (a code no longer known: the code itself)."""
    try:
        return t.gettext(ROLE_LABELS[Role(role)])
    except ValueError:
        return str(role)
