from __future__ import annotations

from typing import Any, Optional

from django.core.management.base import BaseCommand, CommandError, CommandParser

import dargah

from ...client import get_client


def _when(value: Optional[Any]) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"


class Command(BaseCommand):
    help = "List stored payments (newest first), or show one with its history of gateway answers."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        listing = sub.add_parser("list", help="payments, newest first")
        listing.add_argument("--state", choices=[s.value for s in dargah.PaymentState])
        listing.add_argument("--limit", type=int, default=50)
        listing.add_argument("--offset", type=int, default=0)
        show = sub.add_parser("show", help="one payment and its history")
        show.add_argument("payment_id")

    def handle(self, *args: Any, **options: Any) -> None:
        client = get_client()
        if options["action"] == "list":
            payments = client.payments(options["state"], limit=options["limit"], offset=options["offset"])
            self.stdout.write(f"{'payment':<28} {'gateway':<7} {'state':<12} {'amount':>12}  {'invoice':<24} created (UTC)")
            for p in payments:
                self.stdout.write(f"{p.id:<28} {p.gateway.value:<7} {p.state.value:<12} {p.amount:>12}  {p.invoice_id:<24} {_when(p.created_at)}")
            return
        try:
            payment = client.payment(options["payment_id"])
            history = client.history(payment.id)
        except dargah.UnknownPaymentError as e:
            raise CommandError(str(e)) from None
        for name in ("id", "gateway", "invoice_id", "amount", "state", "token", "reference", "trace_number", "unverified_trace_number", "masked_card", "verified_amount", "note"):
            value = getattr(payment, name)
            self.stdout.write(f"{name:<16} {value.value if hasattr(value, 'value') else ('-' if value is None else value)}")
        for name in ("created_at", "updated_at", "deadline_at", "paid_at", "acknowledged_at"):
            self.stdout.write(f"{name:<16} {_when(getattr(payment, name))}")
        self.stdout.write(f"history ({len(history)}):")
        for event in history:
            self.stdout.write(f"  {_when(event.at)}  fence {event.fence}  {event.state.value}")
            self.stdout.write(f"    {event.raw}")
