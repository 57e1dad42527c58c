from django import template

from inventory.admin.alerts import open_alert_counts

register = template.Library()


@register.simple_tag(takes_context=True)
def open_low_stock_alerts(context) -> dict[str, int]:
    """Open alerts the current user may see, by kind (see `open_alert_counts`)."""
    return open_alert_counts(context["request"].user)
