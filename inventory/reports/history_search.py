"""The stock history's search: what people type into its search box, as a filter of ledger lines
(the history page and its CSV export) and of adjustments (the list of transactions).

Every word must match ("crew black"); quoted words stay together ("\"order 10741\""). A word
matches a line when it is part of its item's SKU ("TEE-BLA") or name ("beanie", in any case), is
the item's barcode, is its transaction's short id (the last 8 hex digits the lists show) or whole
id, or is part of its transaction's reason: the reason's name ("damaged"), the note or the
reference ("10741" finds "Sale, order #10741").

Fast on a million-line ledger by construction: each word is looked up first in the small tables,
items and adjustments (through the short-id index, and on PostgreSQL the trigram indexes of
migration 0021), and the ledger is then read by those ids through its own indexes, never scanned
for text. A word that matches very many adjustments ("sale") is handed to the database as a
subquery instead of a list: its lines are everywhere in the ledger, so the newest page is found
by reading the newest lines.
"""

import contextlib
import re
import uuid
from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.utils.text import smart_split, unescape_string_literal

from inventory.models import Adjustment, AdjustmentLine, Item
from inventory.models.ledger import short_id_sql

MAX_WORDS = 10  # bounds the queries a search costs; nobody types more
LISTED_IDS = 1000  # matches in a small table passed on as a list of ids; more, as a subquery
SHORT_ID = re.compile(r"[0-9a-f]{8}")

Ids = list[int] | QuerySet


def search_words(term: str) -> list[str]:
    """The words of a search, split as the admin splits them: quoted phrases stay whole."""
    words: list[str] = []
    for bit in smart_split(term):
        if len(bit) >= 2 and bit[0] in "\"'" and bit[-1] == bit[0]:
            bit = unescape_string_literal(bit)
        bit = bit.strip()
        if bit and bit not in words:
            words.append(bit)
    return words[:MAX_WORDS]


@dataclass(frozen=True)
class WordMatch:
    """What one word matched: items and adjustments, each None (nothing), ids or a subquery."""

    items: Ids | None
    adjustments: Ids | None

    @property
    def nothing(self) -> bool:
        return self.items is None and self.adjustments is None


def match_word(word: str) -> WordMatch:
    """Two queries, whatever the word and however large the ledger."""
    return WordMatch(
        items=ids_of(Item.objects.filter(item_condition(word))),
        adjustments=ids_of(
            Adjustment.objects.alias(short_id_digits=short_id_sql()).filter(
                _adjustment_condition(word)
            )
        ),
    )


def search_lines(lines: QuerySet[AdjustmentLine], term: str) -> QuerySet[AdjustmentLine]:
    """The ledger lines of `lines` that every word of `term` matches."""
    for word in search_words(term):
        match = match_word(word)
        if match.nothing:
            return lines.none()
        condition = Q()
        if match.items is not None:
            condition |= Q(item_id__in=match.items)
        if match.adjustments is not None:
            condition |= Q(adjustment_id__in=match.adjustments)
        lines = lines.filter(condition)
    return lines


def search_adjustments(adjustments: QuerySet[Adjustment], term: str) -> QuerySet[Adjustment]:
    """The adjustments of `adjustments` that every word of `term` matches (through any of their
    lines for a word that names items)."""
    for word in search_words(term):
        match = match_word(word)
        if match.nothing:
            return adjustments.none()
        condition = Q()
        if match.items is not None:
            with_items = AdjustmentLine.objects.filter(item_id__in=match.items)
            condition |= Q(pk__in=with_items.values("adjustment_id"))
        if match.adjustments is not None:
            condition |= Q(pk__in=match.adjustments)
        adjustments = adjustments.filter(condition)
    return adjustments


def item_condition(word: str) -> Q:
    """A word matches an item when it is part of its SKU or name, or its whole barcode."""
    return Q(sku__icontains=word) | Q(name__icontains=word) | Q(barcode=word)


def _adjustment_condition(word: str) -> Q:
    condition = Q(reason__icontains=word) | Q(reference__icontains=word)
    if codes := reason_codes_named(word):
        condition |= Q(reason_code__in=codes)
    digits = word.lower()
    if SHORT_ID.fullmatch(digits):
        condition |= Q(short_id_digits=digits)
    with contextlib.suppress(ValueError):  # not a whole transaction id
        condition |= Q(transaction_id=uuid.UUID(word))
    return condition


def reason_codes_named(word: str) -> list[str]:
    """The reason codes a word names: the code itself, or the start of a word of its label
    ("damage" → damaged, "theft" → shrinkage, "return" → returned)."""
    word = word.lower()
    return [
        code
        for code, label in Adjustment.ReasonCode.choices
        if word == code or any(part.startswith(word) for part in label.lower().split())
    ]


def ids_of(matches: QuerySet) -> Ids | None:
    """None when nothing matches, the ids when they are few, else the query as a subquery."""
    ids = list(matches.order_by().values_list("pk", flat=True)[: LISTED_IDS + 1])
    if not ids:
        return None
    if len(ids) <= LISTED_IDS:
        return ids
    return matches.order_by().values("pk")
