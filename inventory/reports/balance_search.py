"""The stock levels list's search: every word must match the item, as the history's search
matches items (part of its SKU or name, or its whole barcode: `history_search.item_condition`).

The items are looked up once, in one query whatever the number of words, and the balances are
then read by item id through their own index. Left to the admin's own search, each of the
list's queries (its page, its count, its totals) would join the balances to the catalogue and
search the catalogue's trigram indexes again: on a large catalogue that lookup is the costly
part, so it is paid once per page."""

from django.db.models import Q, QuerySet

from inventory.models import Balance, Item
from inventory.reports.history_search import ids_of, item_condition, search_words


def search_balances(balances: QuerySet[Balance], term: str) -> QuerySet[Balance]:
    """The balances of `balances` whose item every word of `term` matches."""
    words = search_words(term)
    if not words:
        return balances
    condition = Q()
    for word in words:
        condition &= item_condition(word)
    items = ids_of(Item.objects.filter(condition))
    if items is None:
        return balances.none()
    return balances.filter(item_id__in=items)
