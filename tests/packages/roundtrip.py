"""The installed wheel against the sandbox the dargah package serves: one
CanPay payment created, paid on the sandbox, its callback handled once, and
verified once at the gateway. Prints the wheel's version last.

    python roundtrip.py SANDBOX_URL SANDBOX_CONFIG_JSON STORE_DIR
"""

import json
import sys
import urllib.request
from urllib.parse import parse_qsl, urlsplit

import dargah


def control(base: str, path: str, body: object = None) -> dict:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{base}/_control/{path}", data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def main() -> None:
    base, config_file, store_dir = sys.argv[1:4]
    with open(config_file) as f:
        config = json.load(f)
    config["store"] = f"sqlite://{store_dir}/dargah.db"
    client = dargah.Client(config)

    created = client.create_payment("canpay", "wheel-order-1", 250_000, "http://127.0.0.1:9/callback/canpay")
    token = created.token
    assert token and created.redirect.url.endswith(token), created.redirect
    answer = control(base, "pay", {"gateway": "canpay", "token": token, "action": "pay", "card": "6037991234567890"})
    query = dict(parse_qsl(urlsplit(answer["url"]).query, keep_blank_values=True))
    form = {k: str(v) for k, v in answer.get("form", {}).items()}

    outcome = client.handle_callback("canpay", query, form)
    assert outcome.is_newly_paid, outcome
    client.acknowledge(outcome.payment.id)
    again = client.handle_callback("canpay", query, form)
    assert not again.is_newly_paid, again
    verifies = control(base, "stats")["by_token"][token].get("canpay.verify", 0)
    assert verifies == 1, f"{verifies} verify calls"
    print(dargah.__version__)


if __name__ == "__main__":
    main()
