"""Paging for the admin lists that grow with the business (the ledger, the balances): a page
costs the same on a small catalogue and on ten million balances."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property

from inventory.sql import COUNT_CAP, capped_count


class CappedCountPaginator(Paginator):
    """Counting every row of a million-line ledger or a ten-million-balance list on each page
    view is what makes big admin changelists slow. Count at most CAP rows instead (a bounded
    index scan); to reach further rows the user filters or searches, which is how such lists
    are read anyway.

    The count drops the ordering (`capped_count`): ordered by id, a search for one SKU would
    walk the whole ledger backwards on the primary key, filtering, instead of reading that
    item's entries of an index."""

    CAP = COUNT_CAP

    @cached_property
    def count(self) -> int:
        return capped_count(self.object_list, self.CAP)

    def page(self, number):
        """The page's rows in two steps: their ids (filters, order and LIMIT through the
        indexes), then those rows, by those ids, with their joins. In one query the planner
        may join every row with its adjustment, item and documents before keeping one page:
        with more tables than `join_collapse_limit` (8) it no longer moves the page's ids
        first, and the history's first page read all of a 10M-line ledger."""
        page = super().page(number)
        ids = list(page.object_list.values_list("pk", flat=True))
        page.object_list = self.object_list.filter(pk__in=ids)
        return page

    @property
    def capped(self) -> bool:
        return self.count > self.CAP
