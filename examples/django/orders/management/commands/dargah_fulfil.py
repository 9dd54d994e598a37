from typing import Any

from django.core.management.base import BaseCommand

from orders.payments import fulfil_unacknowledged


class Command(BaseCommand):
    help = "Resolve in-doubt payments and credit paid orders whose callback was lost (run from cron)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"credited {fulfil_unacknowledged()} order(s)")
