"""The people of the demo region: who they are in the example network, and how the page names them."""

from __future__ import annotations

from dataclasses import dataclass

from bot.i18n import Translator
from db.models import Role
from handlers.texts import role_label

GROUP_ID = "wijk-centrum"


@dataclass(frozen=True)
class Persona:
    """One person the visitor can act as: a Telegram user with a place in the example network."""

    id: str
    first_name: str
    last_name: str
    role: Role
    practice: str | None  # practice code in the network file; None for the coordinator and the student
    practice_name: str  # as the page shows it; empty for the regional pool
    language: str
    phone: str  # made up: what the persona shares when the bot asks for a phone number

    @property
    def full_name(self) -> str:
        """First and last name, as Telegram shows them."""
        return f"{self.first_name} {self.last_name}"


# Wijk Centrum of the example network: De Maasoever and Jekerkwartier are partners (continuity contract),
# Vrijthof and Wyck are in the same wijk; the student is in the regional pool.
PERSONAS: tuple[Persona, ...] = (
    Persona("carla", "Carla", "Janssen", Role.COORDINATOR, None, "Regio Maastricht-Heuvelland", "nl", "+31600000001"),
    Persona("anna", "Anna", "de Wit", Role.PRAKTIJKMANAGER, "maasoever", "De Maasoever", "nl", "+31600000002"),
    Persona("bram", "Bram", "Hermans", Role.PRAKTIJKMANAGER, "vrijthof", "Vrijthof & Stokstraat", "nl", "+31600000003"),
    Persona("dewi", "Dewi", "Smeets", Role.DOKTERSASSISTENT, "wyck", "Wyck", "nl", "+31600000004"),
    Persona("gijs", "Gijs", "Lemmens", Role.HUISARTS, "jekerkwartier", "Jekerkwartier", "en", "+31600000005"),
    Persona("sam", "Sam", "Bakker", Role.MEDISCH_STUDENT, None, "", "nl", "+31600000006"),
)
GROUP_TITLE = "Wijk Centrum"
GROUP_MEMBERS = ("carla", "anna", "bram", "dewi", "gijs")

def by_id(persona_id: str) -> Persona | None:
    """The persona with this id, if any."""
    return next((persona for persona in PERSONAS if persona.id == persona_id), None)


def subtitle(persona: Persona, t: Translator) -> str:
    """Role and practice, as the phone's header shows them."""
    return f"{role_label(t, persona.role)} · {persona.practice_name or t.gettext('regional pool')}"
