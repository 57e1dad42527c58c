"""Paging for the admin lists that grow with the business (the ledger, the balances): a page
costs the same on a small catalogue and on ten million balances."""

from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedCountPaginator(Paginator):
    """Counting every row of a million-line ledger or a ten-million-balance list on each page
    view is what makes big admin changelists slow. Count at most CAP rows instead (a bounded
    index scan); to reach further rows the user filters or searches, which is how such lists
    are read anyway.

    The count drops the ordering: which rows are counted does not matter, and ordered by id
    a search for one SKU would walk the whole ledger backwards on the primary key, filtering,
    instead of reading that item's entries of an index."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list.order_by()[: self.CAP + 1].count()

    def page(self, number):
        """The page's rows in two steps, in one query: their ids (filters, order and LIMIT
        through the ledger's indexes), then those rows with their joins. Otherwise the planner
        may join every line of a searched SKU with its adjustment (a scan of all adjustments)
        before keeping one page: a cost that grows with the ledger."""
        page = super().page(number)
        page.object_list = self.object_list.filter(pk__in=page.object_list.values("pk"))
        return page

    @property
    def capped(self) -> bool:
        return self.count > self.CAP
