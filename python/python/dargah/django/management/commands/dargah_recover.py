from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...client import get_client
from ...delivery import announce


class Command(BaseCommand):
    help = "Resolve payments left in doubt (a timeout or a crash mid-verify) with their gateways, and signal what they became."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--limit", type=int, default=100)

    def handle(self, *args: Any, **options: Any) -> None:
        report = get_client().recover(options["limit"])
        for outcome in report.outcomes:
            announce(outcome, "outbox")
            self.stdout.write(f"{outcome.payment_id} {outcome.payment.gateway.value} {outcome.invoice_id}: {outcome.kind.value}")
        for payment_id, error in report.errors.items():
            self.stderr.write(f"{payment_id}: still in doubt: {error}")
        self.stdout.write(f"recover: resolved {len(report.outcomes)}; still in doubt {len(report.errors)}")
