"""docs/permissions.md, rendered from the permission table (bot/permission_table.py) for people to read."""

from __future__ import annotations

from bot.permission_table import PERSONAS, Kind, P, Persona, rows


def render_markdown() -> str:
    """docs/permissions.md: the table for people (generated; do not edit the file by hand)."""
    order = list(Persona)
    out = [
        "# Who may do what",
        "",
        "<!-- Generated from bot/permission_table.py by scripts/permissions_doc.py; do not edit by hand. -->",
        "",
        "Every command and every button, against every kind of person. ✅ allowed, ❌ denied: a short answer,",
        "and nothing changes. `tests/e2e/test_permissions.py` walks every cell through the real bot, plus forged",
        "buttons (another request's id, another practice's offer, a made-up action, an old version, garbage).",
        "",
        'The people, seen from the practice the row is about ("own": the request was posted by the own practice\'s',
        "manager, the offer came from the member of the same wijk, the meeting is for the wijk and planned by",
        "another coordinator, the action point is the own practice's):",
        "",
    ]
    out += [f"- **{label}**: {description}" for label, description in (PERSONAS[p] for p in order)]
    sections: tuple[tuple[Kind, str], ...] = (("command", "Commands"), ("button", "Buttons"))
    for kind, title in sections:
        out += ["", f"## {title}", ""]
        out.append("| | what | where | rule | " + " | ".join(PERSONAS[p][0] for p in order) + " |")
        out.append("|---" * (4 + len(order)) + "|")
        for entry in rows(kind):
            cells = []
            for persona in order:
                cell = entry.cells[persona]
                mark = "✅" if cell.allowed else "❌"
                cells.append(f"{mark} {cell.note}".strip())
            rule = entry.rule if entry.rule == "anyone" else f"`{entry.rule.removeprefix(P)}`"
            out.append(f"| {entry.label} | {entry.what} | {entry.where} | {rule} | " + " | ".join(cells) + " |")
    out += [
        "",
        "Rules without a module are in `bot/permissions.py`. A button's data is input like any other: the handler",
        "checks the presser against the thing named in it, every time. In a linked wijk group, *I can help* counts",
        "only on the request's own post and only from a member who could have been asked",
        "(`bot.services.groups.is_group_post`, `may_offer_from_group`); anyone else's press is answered privately.",
        "",
    ]
    return "\n".join(out)
