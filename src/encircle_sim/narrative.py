"""A step's events in words, with place names: the page's event feed and the animation's caption.

Events come as rows of the event log (``model.events.rows_at(step)`` for a live model, the rows
of a run's ``events.csv`` for a replay): ``kind``, ``place`` (a town, or "12 km NE of Hatra"),
and ``details``, the log's ``key=value; key=value`` text.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from encircle_sim.metrics import ATTACK_KINDS, CONTACT_KINDS, ESCAPE_KINDS

__all__ = ["ATTACK_KINDS", "CONTACT_KINDS", "ESCAPE_KINDS", "caption", "sentence", "sentences"]
#: The order of the groups in the caption, and their names (one, many).
CAPTION_GROUPS = (
    (("engagement",), ("contact", "contacts")),
    (("ambush",), ("ambush", "ambushes")),
    (("interdiction",), ("cell stopped at the cordon", "cells stopped at the cordon")),
    (("air_strike",), ("air strike", "air strikes")),
    (("raid",), ("raid on the SDF", "raids on the SDF")),
    (("escaped_cordon",), ("escape through the cordon", "escapes through the cordon")),
    (("escaped_border",), ("escape into Syria", "escapes into Syria")),
    (ATTACK_KINDS, ("attack in Syria", "attacks in Syria")),
    (("captured",), ("cell captured", "cells captured")),
    (("cache_destroyed",), ("cache destroyed", "caches destroyed")),
)


def parse_details(text: Any) -> dict[str, str]:
    """The event log's ``key=value; key=value`` text as a dict (empty for none)."""
    if not isinstance(text, str) or not text:
        return {}
    out = {}
    for part in text.split("; "):
        key, sep, value = part.partition("=")
        if sep:
            out[key.strip()] = value.strip()
    return out


def _n(value: Any) -> int:
    try:
        return int(float(value))
    except (TypeError, ValueError):
        return 0


def _losses(d: Mapping[str, str]) -> str:
    parts = []
    red, blue, civ = _n(d.get("insurgent_losses")), _n(d.get("sf_losses")), \
        _n(d.get("civilian_casualties"))
    if red:
        parts.append(f"{red} insurgent{'s' if red != 1 else ''} killed")
    if blue:
        parts.append(f"{blue} security-force casualt{'ies' if blue != 1 else 'y'}")
    if civ:
        parts.append(f"{civ} civilian{'s' if civ != 1 else ''} hurt")
    return ": " + ", ".join(parts) if parts else ": no losses"


def sentence(kind: str, place: Any, details: Any = "") -> str | None:
    """One event in words ("Ambush near Rawa: 2 security-force casualties"); None for kinds
    the feed leaves out."""
    d = parse_details(details)
    where = place if isinstance(place, str) and place else "an unknown place"
    near = f"at {where}" if " of " not in where else where
    if kind == "engagement":
        return f"Contact {near}{_losses(d)}"
    if kind == "ambush":
        return f"Ambush by a cell {near}{_losses(d)}"
    if kind == "interdiction":
        return f"Cell leaving the pocket stopped {near}{_losses(d)}"
    if kind == "air_strike":
        air = f" ({d['air']})" if d.get("air") else ""
        return f"Air strike{air} {near}{_losses(d)}"
    if kind == "raid":
        return f"Sleeper-cell raid on an SDF post {near}{_losses(d)}"
    if kind == "escaped_cordon":
        return f"A cell of {_n(d.get('fighters'))} fighters slipped through the cordon {near}"
    if kind == "escaped_border":
        return f"A cell of {_n(d.get('fighters'))} fighters crossed into Syria {near}"
    if kind == "border_turned_back":
        return f"A cell was turned back at the border {near}"
    if kind == "attack_population":
        civ = _n(d.get("civilian_casualties"))
        return f"Attack on the population of {d.get('town', where)}: {civ} civilian casualties"
    if kind == "attack_sdf":
        return f"Attack on an SDF post near {d.get('town', where)}"
    if kind == "captured":
        return f"A cell was captured {near}"
    if kind == "killed":
        return f"A cell was wiped out {near}"
    if kind == "dissolved":
        return f"A cell out of supply dissolved {near}"
    if kind == "cache_destroyed":
        return f"Supply cache found and destroyed {near}"
    if kind == "unit_destroyed":
        return f"A security-force unit was destroyed {near}"
    if kind == "joined_syria":
        return f"An escaped cell joined the sleepers around {d.get('town', where)}"
    if kind == "phase":
        return f"The operation moves on: {d.get('phase', 'next phase')}"
    if kind == "order":
        how = {"trigger": "Standing order triggered", "scenario": "Standing order"}.get(
            d.get("source", ""), "Order")
        return f"{how}: {d.get('order', '')}"
    if kind == "order_failed":
        return f"Standing order '{d.get('order', '')}' not carried out: {d.get('reason', '')}"
    return None


def sentences(rows: Iterable[Mapping[str, Any]]) -> list[str]:
    """Every event of a step that the feed shows, in words, in the order they happened."""
    out = []
    for row in rows:
        text = sentence(row.get("kind", ""), row.get("place"), row.get("details", ""))
        if text:
            out.append(text)
    return out


def caption(rows: Iterable[Mapping[str, Any]], max_places: int = 3) -> str:
    """A step's events in one line, by the towns nearest to them: "4 contacts near Baiji,
    Al-Shirqat; 1 escape through the cordon near Rawa"; "no contacts" when nothing happened."""
    rows = list(rows)
    parts = []
    for kinds, (one, many) in CAPTION_GROUPS:
        hits = [r for r in rows if r.get("kind") in kinds]
        if not hits:
            continue
        towns = list(dict.fromkeys(r["place"].rpartition(" of ")[2] for r in hits
                                   if isinstance(r.get("place"), str) and r["place"]))
        where = ", ".join(towns[:max_places]) + (", ..." if len(towns) > max_places else "")
        parts.append(f"{len(hits)} {one if len(hits) == 1 else many}"
                     + (f" near {where}" if where else ""))
    return "; ".join(parts) if parts else "no contacts"
