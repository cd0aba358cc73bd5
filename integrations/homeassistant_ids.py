"""Home Assistant's ids for PySEB's entities and device: a discovery node or object id (slug), the object part of an
entity id (entity_id_part, as HA's slugify makes it), the device's default name; a text whose letters a-z cannot
spell (Cyrillic, Greek, CJK) gets a short digest. Pure: text in, text out (integrations.homeassistant builds the
entities and their configs with these)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from settings.version import PYSEB_NAME

__all__ = ["DEFAULT_DEVICE_NAME", "DEFAULT_NODE_ID", "DIGEST_CHARS", "default_device_name", "entity_id_part", "slug",
           "unspellable"]

_NOT_ID = re.compile(r"[^a-z0-9_]+")
_NOT_ENTITY_ID = re.compile(r"[^a-z0-9]+")  # HA's entity ids have no "__" either
# Latin letters NFKD leaves whole (no accent to take off), as HA's slugify (python-slugify, through unidecode) spells
# them; dropped, "Gartenstraße" made ids HA never builds (gartenstrae_grid, not gartenstrasse_grid).
_SPELLED = str.maketrans({
    "ß": "ss", "æ": "ae", "Æ": "AE", "ð": "d", "Ð": "D", "ø": "o", "Ø": "O", "þ": "th", "Þ": "Th", "đ": "d",
    "Đ": "D", "ħ": "h", "Ħ": "H", "ı": "i", "ł": "l", "Ł": "L", "ŋ": "ng", "Ŋ": "NG", "œ": "oe", "Œ": "OE",
    "ŧ": "t", "Ŧ": "T", "ƒ": "f",
})
DEFAULT_NODE_ID = PYSEB_NAME  # [mqtt] client_id's default, as a node id
DEFAULT_DEVICE_NAME = "PySEB"


# HA's MQTT docs (home-assistant.io/integrations/mqtt/#discovery-topic): a discovery topic's node_id and object_id
# "must only consist of characters from the character class [a-zA-Z0-9_-]"; a unique_id must be unique per platform
# ("if two sensors have the same unique ID, Home Assistant will raise an exception": it keeps the first). An entity
# id's object part (homeassistant.core.valid_entity_id) is lower-case a-z, digits and single '_', none at an end.
# So a text whose letters cannot be spelled in a-z (Cyrillic, Greek, CJK: HA's own slugify transliterates them with
# unidecode, which PySEB does without) keeps what it has of a-z and digits plus a short digest of the whole text:
# "Дом" and "Дача" were both "x", one node id, one unique id per entity for both instances. Letters that can be
# spelled (accents, ß) never get one: their ids stay the ones users have.
DIGEST_CHARS = 8  # hex digits of sha256: 32 bits, against a handful of names on one broker


def _spelled(text: str) -> str:
    """`text` in ASCII as HA spells it ("é": "e", "ß": "ss"), a letter it cannot be spelled with dropped."""
    return unicodedata.normalize("NFKD", text.translate(_SPELLED)).encode("ascii", "ignore").decode()


def unspellable(text: str) -> bool:
    """True when `text` has a letter or digit with no spelling in a-z and 0-9 (a symbol, "°", does not count)."""
    return any(not char.isascii() and unicodedata.category(char)[0] in "LN" and not _spelled(char) for char in text)


def _digest(text: str) -> str:
    """A short stable digest of `text`, whatever its case ("Дом" and "ДОМ" are one name, as "Garage" and
    "garage" are)."""
    canonical = unicodedata.normalize("NFC", text.strip()).casefold()
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:DIGEST_CHARS]


def _id_of(kept: str, text: str) -> str:
    """The id `kept` (what a-z and digits spell of `text`), a digest of `text` added when it has letters with no
    spelling in a-z; "x" for nothing kept."""
    if unspellable(text):
        return f"{kept}_{_digest(text)}" if kept else _digest(text)
    return kept or "x"


def slug(name: str) -> str:
    """`name` as a discovery node or object id: lower case letters, digits and '_' only; a short digest of `name`
    added when it has letters with no spelling in a-z (see DIGEST_CHARS)."""
    return _id_of(_NOT_ID.sub("_", name.lower()).strip("_"), name)


def entity_id_part(name: str) -> str:
    """`name` as (part of) the object id of an HA entity id, as HA's slugify makes it: accents dropped ("Séjour":
    "sejour"), the letters of _SPELLED spelled out ("Straße": "strasse"), every other run of non-letters and
    non-digits one '_'; a short digest of `name` added when it has letters with no spelling in a-z ("Дом": no
    "sensor.grid" for every such name)."""
    return _id_of(_NOT_ENTITY_ID.sub("_", _spelled(name).lower()).strip("_"), name)


def default_device_name(node_id: str, node_text: str | None = None) -> str:
    """The device's name for an instance of node id `node_id`: "PySEB" for the default one (so a single instance
    keeps the name it always had), "PySEB <rest>" for another ("pyseb_test": "PySEB test", "garage": "PySEB
    garage"), so that two instances' entities are told apart in HA and get entity ids of their own. A node id made
    from `node_text` with letters a-z cannot spell ("Дом": a digest) is named with the text as written ("PySEB
    Дом")."""
    if node_text is not None and unspellable(node_text):
        return f"{DEFAULT_DEVICE_NAME} {node_text.strip()}"
    if node_id == DEFAULT_NODE_ID:
        return DEFAULT_DEVICE_NAME
    rest = node_id.removeprefix(f"{DEFAULT_NODE_ID}_").replace("_", " ").strip()
    return f"{DEFAULT_DEVICE_NAME} {rest}" if rest else DEFAULT_DEVICE_NAME
