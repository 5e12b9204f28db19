"""The guided tour: what a visitor can try, step by step, and which persona to use for it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.i18n import N_, Translator


@dataclass(frozen=True)
class TourStep:
    """One step: the persona to use, a title and what to do (both translated when shown)."""

    persona: str
    title: str
    text: str

    def as_json(self, t: Translator) -> dict[str, Any]:
        """The step in the reader's language."""
        return {"persona": self.persona, "title": t.gettext(self.title), "text": t.gettext(self.text)}


STEPS: tuple[TourStep, ...] = (
    TourStep(
        "anna",
        N_("Anna asks for a locum"),
        N_(
            "Anna is the practice manager of De Maasoever; one of her GPs is ill tomorrow morning. In Anna's chat, "
            "type /verzoek and answer with the buttons: huisarts (waarneming), Morgen, Verder, Ochtend, Normaal, "
            "Geen notitie, Versturen. The bot tells her who it asked first."
        ),
    ),
    TourStep(
        "gijs",
        N_("The partner practice hears first"),
        N_(
            "Jekerkwartier has a continuity contract with De Maasoever, so its GP Gijs is asked in the first round. "
            "Gijs reads English, so his copy is in English. Press \"I can help with all of it\"."
        ),
    ),
    TourStep(
        "anna",
        N_("Anna accepts"),
        N_(
            "Gijs's offer reaches Anna as a card. Press Accepteren: Gijs hears that he is expected, with Anna's "
            "name as the contact."
        ),
    ),
    TourStep(
        "wijk-centrum",
        N_("Everyone sees it is filled"),
        N_(
            "The Wijk Centrum group gets the wijk's requests. The post of Anna's request was edited in place: "
            "filled, no button any more. Every copy of a request follows its state like this."
        ),
    ),
    TourStep(
        "carla",
        N_("The coordinator's morning"),
        N_(
            "Carla coordinates the region. Bram's request for a doktersassistent is still open. Press \"Tomorrow "
            "07:30\" and then \"+1 hour\": at 08:00 her daily digest of what is open arrives. Type /open in her "
            "chat for the open requests of the region."
        ),
    ),
    TourStep(
        "dewi",
        N_("An assistant helps another practice"),
        N_(
            "Bram's practice (Vrijthof) needs a doktersassistent; the request was open when you came in. Dewi "
            "works at Wyck in the same wijk: press \"Ik kan alles\" under it."
        ),
    ),
    TourStep(
        "bram",
        N_("Bram chooses"),
        N_("Bram gets Dewi's offer as a card: press Accepteren (or Afslaan). Dewi hears the answer at once."),
    ),
    TourStep(
        "bram",
        N_("The wijk meeting"),
        N_(
            "Carla planned the Wijkoverleg Centrum for next week. Answer Bram's invitation with Ja, Nee or "
            "Misschien, or download its calendar file. Then press \"Next reminder\" above: the clock moves on and "
            "the reminder arrives in every invitee's chat."
        ),
    ),
    TourStep(
        "sam",
        N_("Your turn"),
        N_(
            "Sam is a medical student in the regional pool. Try anything as anyone: a request for \"elke "
            "assistent\", /profiel, /beschikbaarheid. \"Start over\" brings the demo region back as it was."
        ),
    ),
)


def tour_steps() -> tuple[TourStep, ...]:
    """All steps, in order."""
    return STEPS
