"""A refusal of the write path in words for a person: the item by SKU and name ("TEE-BLA-M ·
Tee black M"), the location by its name ("Downtown store"), lines counted from 1, and what to
do next. The write path words its errors for programs (`LineError.message`, the API's text)
and gives the facts; this turns the facts into sentences, with the names looked up in two
queries whatever the number of errors, and only when there are errors.

Every page a person reads a refusal on (the admin's forms, the stocktake pages) uses `for_people`;
the API keeps `LineError.message`."""

from collections.abc import Callable, Sequence

from django.db.models import Q

from inventory.errors import ErrorCode, LineError
from inventory.models import MAX_QUANTITY, Item
from inventory.models.catalog import item_label
from locations.models import Location

IDENTITY_LABELS = {"sku": "SKU", "variant_id": "variant id", "product_id": "product id"}


class Names:
    """The names of the items and locations some errors are about, read in two queries."""

    def __init__(self, errors: Sequence[LineError]) -> None:
        self.items: dict[tuple[str, str | int], str] = {}
        self.locations: dict[int, str] = {}
        wanted = Q()
        for error in errors:
            if error.item_id is not None:
                wanted |= Q(pk=error.item_id)
            elif error.named is not None and error.named[0] in IDENTITY_LABELS:
                wanted |= Q(**{error.named[0]: error.named[1]})
        if wanted:
            for pk, sku, variant_id, product_id, name in Item.objects.filter(wanted).values_list(
                "pk", "sku", "variant_id", "product_id", "name"
            ):
                label = item_label(sku, name)
                self.items[("item_id", pk)] = self.items[("sku", sku)] = label
                if variant_id is not None:
                    self.items[("variant_id", variant_id)] = label
                self.items.setdefault(("product_id", product_id), label)
        location_ids = {error.location_id for error in errors} - {None}
        if location_ids:
            self.locations = dict(
                Location.objects.filter(pk__in=location_ids).values_list("pk", "label")
            )

    def item(self, error: LineError) -> str:
        if error.item_id is not None and ("item_id", error.item_id) in self.items:
            return self.items[("item_id", error.item_id)]
        if error.named is not None and error.named in self.items:
            return self.items[error.named]
        if error.named is not None and error.named[0] in IDENTITY_LABELS:
            name, value = error.named
            return f"the item with {IDENTITY_LABELS[name]} “{value}”"
        return "an item that no longer exists"

    def location(self, error: LineError) -> str:
        if error.location_id is None:
            return "this location"
        return self.locations.get(error.location_id, "a location that no longer exists")


def for_people(
    errors: Sequence[LineError], *, line_number: Callable[[int], int] | None = None
) -> list[str]:
    """Each error as a sentence for a person, in order. `line_number` maps a line's index in the
    batch to the number the person sees (a form's row, counted from 1; by default index + 1)."""
    if not errors:
        return []
    names = Names(errors)
    number = line_number or (lambda index: index + 1)
    return [_sentence(error, names, number) for error in errors]


def _sentence(error: LineError, names: Names, number: Callable[[int], int]) -> str:
    word = WORDS.get(error.code)
    return word(error, names, number) if word is not None else error.message


def _insufficient(error: LineError, names: Names, number: Callable[[int], int]) -> str:
    facts = error.facts
    on_hand, safety = facts["on_hand"], max(facts.get("safety_stock") or 0, 0)
    wanted = -facts["change"]
    kept = f", {safety} of them kept as safety stock" if safety else ""
    most = max(on_hand - safety, 0)
    remedy = f"Remove at most {most}" if most else "Nothing can be removed now"
    return (
        f"{names.item(error)} at {names.location(error)}: only {on_hand} on hand{kept},"
        f" so {wanted} cannot be removed. {remedy}, or count the shelf and set the number"
        " you find."
    )


def _duplicate(error: LineError, names: Names, number: Callable[[int], int]) -> str:
    return (
        f"{names.item(error)} at {names.location(error)} is already on line"
        f" {number(error.facts['first'])}: put the whole change on one line."
    )


def _negative(error: LineError, names: Names, number: Callable[[int], int]) -> str:
    return (
        f"{names.item(error)}: on-hand cannot be set below 0. To take units out, choose “Add”"
        " and enter a negative number."
    )


def _not_positive(error: LineError, names: Names, number: Callable[[int], int]) -> str:
    return f"{names.item(error)}: a transfer moves 1 or more. Enter a positive quantity."


def _out_of_range(error: LineError, names: Names, number: Callable[[int], int]) -> str:
    item, facts = names.item(error), error.facts
    if "change" in facts:
        return (
            f"{item} at {names.location(error)}: on-hand would change by {facts['change']} at"
            f" once, more than {MAX_QUANTITY}. Make the change in two steps."
        )
    if "after" in facts:
        return (
            f"{item} at {names.location(error)}: on-hand would be {facts['after']}, more than"
            f" the largest quantity, {MAX_QUANTITY}. Enter a smaller number."
        )
    if error.field == "expected_quantity":
        return f"{item}: the on-hand this form was opened with is out of range. Reload the page."
    return f"{item}: enter a quantity between -{MAX_QUANTITY} and {MAX_QUANTITY}."


def _stale(error: LineError, names: Names, number: Callable[[int], int]) -> str:
    facts = error.facts
    return (
        f"{names.item(error)} at {names.location(error)}: on-hand is now {facts['on_hand']},"
        f" not {facts['expected']} as when this was opened. Check the quantity and apply again."
    )


def _identity_changed(error: LineError, names: Names, number: Callable[[int], int]) -> str:
    return (
        f"{names.item(error)} at {names.location(error)} was changed by someone else at the same"
        " moment. Nothing was changed: apply again."
    )


def _unknown_item(error: LineError, names: Names, number: Callable[[int], int]) -> str:
    if error.named is None or error.named[0] not in IDENTITY_LABELS:
        return "An item on this line no longer exists: remove the line."
    name, value = error.named
    return f"No item has {IDENTITY_LABELS[name]} “{value}”. Check it, or create the item first."


def _wrong_identifier(error: LineError, names: Names, number: Callable[[int], int]) -> str:
    assert error.named is not None
    if error.named[0] == "variant_id":
        return f"{names.item(error)} is tracked by product: name it by its product id or SKU."
    return f"{names.item(error)} is tracked by variant: name it by its variant id or SKU."


def _missing_identity(error: LineError, names: Names, number: Callable[[int], int]) -> str:
    return "Which item? Enter its SKU."


def _ambiguous(error: LineError, names: Names, number: Callable[[int], int]) -> str:
    return "The codes on this line name different items: give just one."


def _unknown_location(error: LineError, names: Names, number: Callable[[int], int]) -> str:
    if error.location_id is None:
        return f"{names.item(error)}: choose the location the stock goes to."
    return "This location no longer exists: choose another location."


def _disabled(error: LineError, names: Names, number: Callable[[int], int]) -> str:
    return f"{names.location(error)} is switched off: turn it on under Locations first."


def _same_location(error: LineError, names: Names, number: Callable[[int], int]) -> str:
    return (
        f"{names.item(error)} is already at {names.location(error)}: choose another location"
        " to move it to."
    )


def _empty(error: LineError, names: Names, number: Callable[[int], int]) -> str:
    return "Nothing to change: enter a quantity for at least one item."


def _too_many(error: LineError, names: Names, number: Callable[[int], int]) -> str:
    facts = error.facts
    return (
        f"At most {facts['most']} lines can be changed at once; this has {facts['lines']}."
        " Split it into smaller batches."
    )


WORDS: dict[ErrorCode, Callable[[LineError, Names, Callable[[int], int]], str]] = {
    ErrorCode.INSUFFICIENT_STOCK: _insufficient,
    ErrorCode.DUPLICATE_LINE: _duplicate,
    ErrorCode.NEGATIVE_QUANTITY: _negative,
    ErrorCode.NON_POSITIVE_QUANTITY: _not_positive,
    ErrorCode.QUANTITY_OUT_OF_RANGE: _out_of_range,
    ErrorCode.STALE_QUANTITY: _stale,
    ErrorCode.IDENTITY_CHANGED: _identity_changed,
    ErrorCode.UNKNOWN_ITEM: _unknown_item,
    ErrorCode.WRONG_IDENTIFIER: _wrong_identifier,
    ErrorCode.MISSING_IDENTITY: _missing_identity,
    ErrorCode.AMBIGUOUS_IDENTITY: _ambiguous,
    ErrorCode.UNKNOWN_LOCATION: _unknown_location,
    ErrorCode.LOCATION_DISABLED: _disabled,
    ErrorCode.SAME_LOCATION: _same_location,
    ErrorCode.EMPTY_BATCH: _empty,
    ErrorCode.TOO_MANY_LINES: _too_many,
}
