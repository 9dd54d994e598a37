from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...delivery import reconcile_pass


class Command(BaseCommand):
    help = (
        "Resolve payments whose customer never came back and payments left in doubt, with their gateways, "
        "then send payment_paid for every paid payment not acknowledged yet (the outbox), "
        "and e-mail ADMINS once about each payment that needs review. "
        "Run it every minute (cron), or with --watch under a supervisor."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--watch", type=int, metavar="SECS", help="run a pass every SECS seconds until stopped")
        parser.add_argument("--min-age", type=int, default=120, metavar="SECS", help="leave payments younger than this to their callback (default 120)")
        parser.add_argument("--limit", type=int, default=200, help="payments per pass (default 200)")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            done = reconcile_pass(min_age_secs=options["min_age"], limit=options["limit"])
            for outcome in done.outcomes:
                self.stdout.write(f"{outcome.payment_id} {outcome.payment.gateway.value} {outcome.invoice_id}: {outcome.kind.value}")
            for payment_id in done.drained.delivered:
                self.stdout.write(f"{payment_id}: payment_paid delivered, acknowledged")
            for payment_id in done.drained.failed:
                self.stderr.write(f"{payment_id}: a payment_paid receiver raised; left in the outbox")
            for payment_id in done.told:
                self.stdout.write(f"{payment_id}: needs review; ADMINS e-mailed")
            self.stdout.write(f"reconcile: {done.summary()}")
            if not options["watch"]:
                return
            time.sleep(options["watch"])
