"""`{{ amount_minor|money:currency }}`: an amount in minor units, formatted by Babel."""

from django import template

from allowances.money import money as format_money

register = template.Library()


@register.filter
def money(amount_minor: int | None, currency: str) -> str:
    if amount_minor is None or not currency:
        return ""
    return format_money(int(amount_minor), currency)
