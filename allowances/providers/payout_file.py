"""The payout-file provider: a CSV handed to a mobile-money or top-up operator, and the
operator's result CSV.

Export, one row per payment: `reference` (the payment's idempotency key, which the operator
echoes back), `amount` in major units with the currency's digits, `currency`, `method`,
`recipient` (the clear phone number or wallet). This module is the only place where a payout
contact leaves the database in the clear, and only in this file.

Result file, one row per payment: `reference`, `status` (delivered or failed),
`operator_transaction_id`, `fee` (major units, may be empty), `reason`; optionally `amount` and
`currency`, which must then match the payment.
"""

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.debug import sensitive_variables

from allowances.models import Payment, PayoutContact
from allowances.money import KNOWN_CURRENCIES, major_text, parse_major
from allowances.providers import ProviderOutcome, Submission
from allowances.services.contacts import payout_contact_value

EXPORT_COLUMNS = ["reference", "amount", "currency", "method", "recipient"]
RESULT_REQUIRED = {"reference", "status", "operator_transaction_id", "fee", "reason"}
MAX_RESULT_BYTES = 2 * 1024 * 1024
MAX_RESULT_LINES = 20_000


class PayoutFileProvider:
    name = "payout_file"
    label = gettext_lazy("Payout file (CSV for a mobile-money or top-up operator)")

    @sensitive_variables("recipient")
    def submit(self, payments: Sequence[Payment]) -> Submission:
        contacts = {
            c.user_id: c
            for c in PayoutContact.objects.filter(
                user_id__in={p.entitlement.beneficiary_id for p in payments}
            )
        }
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(EXPORT_COLUMNS)
        for payment in payments:
            contact = contacts.get(payment.entitlement.beneficiary_id)
            recipient = payout_contact_value(contact) if contact else ""
            writer.writerow(
                [
                    str(payment.idempotency_key),
                    major_text(payment.amount_minor, payment.currency),
                    payment.currency,
                    payment.method,
                    recipient,
                ]
            )
        return Submission(file=out.getvalue().encode("utf-8"), filename="payout.csv")


@dataclass(frozen=True)
class ResultLine:
    number: int  # line number in the file, header = 1
    outcome: ProviderOutcome | None
    error: str = ""


def _outcome_currency(row: dict[str, str], expected: str) -> str:
    currency = (row.get("currency") or "").strip().upper()
    return currency or expected


def parse_result_file(content: bytes, *, currency_of: dict[str, str]) -> list[ResultLine]:
    """Read the operator's result CSV into outcomes, one per line, or an error for the line.
    `currency_of` maps references to their payment's currency (to read major units); an unknown
    reference is left for the service to refuse. Raises ValueError for a file that is not a
    readable CSV with the required columns."""
    if len(content) > MAX_RESULT_BYTES:
        raise ValueError(_("This file is too large (at most 2 MB)."))
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(_("This file is not UTF-8 text.")) from None
    reader = csv.DictReader(io.StringIO(text))
    columns = {c.strip().lower() for c in (reader.fieldnames or [])}
    missing = sorted(RESULT_REQUIRED - columns)
    if missing:
        raise ValueError(_("Columns missing from the file: %(columns)s.") % {"columns": ", ".join(missing)})
    lines: list[ResultLine] = []
    try:
        for index, raw in enumerate(reader, start=2):
            if index > MAX_RESULT_LINES + 1:
                raise ValueError(_("This file has too many lines (at most 20,000)."))
            row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items() if isinstance(v, str)}
            if not any(row.values()):
                continue
            lines.append(_line(index, row, currency_of))
    except csv.Error:
        raise ValueError(_("This file is not a readable CSV file.")) from None
    return lines


def _line(number: int, row: dict[str, str], currency_of: dict[str, str]) -> ResultLine:
    reference = row.get("reference", "")
    status = row.get("status", "").lower()
    if status not in (Payment.Status.DELIVERED, Payment.Status.FAILED):
        return ResultLine(number, None, _("The status is “delivered” or “failed”."))
    expected = currency_of.get(reference, "")
    if not expected:
        return ResultLine(
            number,
            None,
            _("No payment of this batch has the reference “%(reference)s”.") % {"reference": reference[:40]},
        )
    currency = _outcome_currency(row, expected)
    if currency not in KNOWN_CURRENCIES:
        return ResultLine(number, None, _("Unknown currency “%(currency)s”.") % {"currency": currency[:8]})
    try:
        fee = parse_major(row["fee"], currency) if row.get("fee") else 0
        amount = parse_major(row["amount"], currency) if row.get("amount") else None
    except ValueError:
        return ResultLine(
            number,
            None,
            _("Amounts and fees are positive numbers with at most the currency's decimals (such as 12.50)."),
        )
    transaction_id = row.get("operator_transaction_id", "")[:128]
    return ResultLine(
        number,
        ProviderOutcome(
            event_id=f"file:{reference[:60]}:{status}:{transaction_id[:50]}",
            reference=reference,
            status=status,
            amount_minor=amount,
            currency=currency,
            fee_minor=fee,
            transaction_id=transaction_id,
            reason=row.get("reason", "")[:300],
        ),
    )
