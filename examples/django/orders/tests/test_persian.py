"""dargah.django in Persian: the payments admin and the review e-mail
translated (the wheel carries the compiled fa translation, and the .po is
complete), ids, amounts and card masks isolated with <bdi>, dates in the
Solar Hijri calendar."""

from __future__ import annotations

import io
import re
import subprocess
import time
from datetime import date, datetime, timezone
from pathlib import Path
from typing import List, Tuple

import dargah
import dargah.django
from dargah.django.labels import local_date_text, note_label, to_jalali
from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from django.test import Client, SimpleTestCase, override_settings
from django.utils import translation

from orders.models import Order

from .support import MOBILE, SandboxTestCase

REPO = Path(__file__).resolve().parents[4]
PO = REPO / "python" / "python" / "dargah" / "django" / "locale" / "fa" / "LC_MESSAGES" / "django.po"
SHOP_PO = Path(__file__).resolve().parents[1] / "locale" / "fa" / "LC_MESSAGES" / "django.po"
CORE = REPO / "core" / "src"


class TheTranslation(SimpleTestCase):
    def test_the_wheel_carries_the_compiled_translation(self) -> None:
        mo = Path(dargah.django.__file__).parent / "locale" / "fa" / "LC_MESSAGES" / "django.mo"
        self.assertTrue(mo.is_file(), f"{mo}: make python-wheel compiles it")

    def test_the_shops_translation_is_compiled(self) -> None:
        self.assertTrue(SHOP_PO.with_suffix(".mo").is_file(), "make django-test compiles it")

    def test_the_po_files_are_complete(self) -> None:
        for po in [PO, SHOP_PO]:
            stats = subprocess.run(["msgfmt", "--check", "--statistics", "-o", "/dev/null", str(po)], capture_output=True, text=True, check=True)
            self.assertRegex(stats.stderr.strip(), r"^\d+ translated messages\.$", f"{po}: no fuzzy or untranslated message")

    def test_states_and_reasons_in_persian(self) -> None:
        from dargah.django.labels import state_label

        with translation.override("fa"):
            self.assertEqual(state_label("needs_review"), "نیاز به بررسی")
            self.assertEqual(note_label("mupra verify: not paid"), "تأیید ماپرا: پرداخت نشده")
        with translation.override("en"):
            self.assertEqual(state_label("needs_review"), "Needs review")


class TheEnginesNotes(SimpleTestCase):
    """Every sentence the engine writes into a payment's note reads in
    Persian, its amounts, ids and the gateway's own words kept, isolated."""

    def test_a_known_note_reads_in_persian_with_its_amounts(self) -> None:
        with translation.override("fa"):
            self.assertEqual(
                note_label("amount mismatch: the gateway says 1000 rial, the order is 125000 rial; a verify of ours may have gone through, so a person must check"),
                f"مبلغ نمی‌خواند: درگاه {ltr('1000')} ریال می‌گوید، سفارش {ltr('125000')} ریال است؛ ممکن است یک تأیید ما انجام شده باشد، پس یک نفر باید بررسی کند",
            )
            self.assertEqual(
                note_label("vandar transaction info: code 7 (Something new), which the document does not describe; asked again until the deadline, then a person must check"),
                f"اطلاعات تراکنش وندار: کد {ltr('7')} ({ltr('Something new')})، که در مستندات وندار شرح داده نشده است؛ "
                "تا مهلت پرداخت دوباره پرسیده می‌شود، سپس یک نفر باید بررسی کند",
            )
            self.assertEqual(note_label("atipay verify-payment: rejected"), "تأیید آتی‌پی رد شد: بی‌پیام")
            self.assertEqual(note_label(None), "")

    def test_an_unknown_part_stays_english(self) -> None:
        with translation.override("fa"):
            self.assertEqual(
                note_label("a sentence the engine may say one day; asked again until the deadline, then a person must check"),
                "a sentence the engine may say one day؛ تا مهلت پرداخت دوباره پرسیده می‌شود، سپس یک نفر باید بررسی کند",
            )

    def test_in_english_a_note_is_the_engines(self) -> None:
        with translation.override("en"):
            for note in ["amount mismatch: the gateway says 1000 rial, the order is 125000 rial", "mupra verify: rejected; an earlier verify of ours may have gone through"]:
                self.assertEqual(note_label(note), note)

    def test_every_sentence_of_the_engine_reads_in_persian(self) -> None:
        sentences, calls = engine_notes()
        # The extraction still finds the engine's notes where it words them.
        self.assertGreaterEqual(len(sentences), 20, sentences)
        for known in ["amount mismatch: the gateway says {paid} rial, the order is {} rial", "{what}: {}", "create failed: {}", "; an earlier verify of ours may have gone through"]:
            self.assertIn(known, sentences)
        self.assertEqual(set(calls), {"mupra verify", "canpay verify", "atipay verify-payment", "vandar verify"})
        untranslated = []
        with translation.override("fa"):
            for sentence in sentences:
                for part in sentence.split("; "):
                    if not part or re.fullmatch(r"\{\w*\}", part):
                        continue  # another sentence's note, which this one adds to
                    for what in calls if "{what}" in part else [""]:
                        example = re.sub(r"\{[^{}]*\}", "1000", part.replace("{what}", what))
                        persian = note_label(example)
                        # Left in English only: the values (isolated) and AtiPay's field name.
                        english = re.sub(r"\u2066[^\u2069]*\u2069|referenceNumber", "", persian)
                        if not re.search("[\u0600-\u06ff]", persian) or re.search("[A-Za-z]{2,}", english):
                            untranslated.append(f"{example} -> {persian}")
        self.assertEqual(untranslated, [], "the engine writes these notes; translate them in dargah.django.labels")


def ltr(text: str) -> str:
    return f"\u2066{text}\u2069"


#: A Rust string literal's text.
_LITERAL = r'"((?:[^"\\]|\\.)*)"'
#: Where the engine words a note: ``note: "…"``, ``note = format!("…"``,
#: ``note = Some(format!("…"``, ``fail_created(id, "…"`` or ``&format!("…"``;
#: a ``format!("{note}; …")`` adding to a note, and a literal "; …" appended to one.
_NOTE_SITES = re.compile(
    r"(?:\bnote\s*[:=]\s*(?:Some\(\s*)?(?:format!\(\s*)?|\bfail_created\([^,]+,\s*&?(?:format!\(\s*)?)" + _LITERAL
    + r'|format!\(\s*"(\{note\}; (?:[^"\\]|\\.)*)"|"(; [a-z](?:[^"\\]|\\.)*)"'
)
#: The gateway calls a ``{what}`` in a note names (gateways/mod.rs, vandar.rs).
_CALL_SITES = re.compile(r"\b(?:refusal_as_unpaid(?:_noting)?|paid_or_review)\([^,]+,\s*" + _LITERAL)


def engine_notes() -> Tuple[List[str], List[str]]:
    """The format strings of every note the engine writes (core/src, core/src/gateways,
    core/src/store), and the gateway calls a ``{what}`` stands for."""
    source = "\n".join(path.read_text() for folder in ["", "gateways", "store"] for path in sorted((CORE / folder).glob("*.rs")))
    sentences = [_unescape(next(group for group in match.groups() if group is not None)) for match in _NOTE_SITES.finditer(source)]
    calls = [_unescape(match[1]) for match in _CALL_SITES.finditer(source)]
    return sorted(set(sentences)), sorted(set(calls))


def _unescape(literal: str) -> str:
    return re.sub(r"\\\n\s*", "", literal).replace('\\"', '"').replace("{{", "{").replace("}}", "}")


class SolarHijri(SimpleTestCase):
    def test_known_dates(self) -> None:
        # The pairs the core's jalali.rs checks (through ICU), and a few more.
        for gregorian, jalali in [
            (date(2022, 3, 21), (1401, 1, 1)),
            (date(2025, 3, 20), (1403, 12, 30)),  # 1403 is leap: Esfand has 30 days
            (date(2021, 3, 20), (1399, 12, 30)),
            (date(2023, 1, 18), (1401, 10, 28)),
            (date(2024, 2, 29), (1402, 12, 10)),
            (date(1979, 2, 11), (1357, 11, 22)),
            (date(2026, 12, 5), (1405, 9, 14)),
        ]:
            self.assertEqual(to_jalali(gregorian), jalali, gregorian)

    def test_every_day_of_ten_years_is_the_next_day(self) -> None:
        day, (year, month, mday) = date(2020, 3, 20), to_jalali(date(2020, 3, 20))
        for _ in range(3653):
            day = date.fromordinal(day.toordinal() + 1)
            following = to_jalali(day)
            expected = [(year, month, mday + 1), (year, month + 1, 1), (year + 1, 1, 1)]
            self.assertIn(following, expected, day)
            year, month, mday = following

    def test_dates_follow_the_language(self) -> None:
        moment = datetime(2026, 12, 5, 6, 30, tzinfo=timezone.utc)  # 10:00 in Tehran
        with override_settings(TIME_ZONE="Asia/Tehran"):
            with translation.override("fa"):
                self.assertEqual(local_date_text(moment), "14 آذر 1405 10:00:00")
            with translation.override("en"):
                self.assertEqual(local_date_text(moment), "2026-12-05 10:00:00")


class PersianPages(SandboxTestCase):
    """The payments admin, and the shop's own pages the customer sees."""

    def setUp(self) -> None:
        self.use_fresh_store(atipay_window_secs=1)
        self.browser = Client(HTTP_HOST="localhost")
        self.owner = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="fa")
        # LocaleMiddleware leaves the last request's language active in this thread.
        self.addCleanup(translation.activate, "en")
        self.owner.force_login(User.objects.create_superuser("owner", "owner@shop.example", "pw"))

    def test_the_shop_in_persian(self) -> None:
        customer = Client(HTTP_HOST="localhost", HTTP_ACCEPT_LANGUAGE="fa")
        checkout = customer.get("/")
        self.assertContains(checkout, '<html lang="fa" dir="rtl">')
        self.assertContains(checkout, "شاهنامهٔ مصور — <bdi>1250000</bdi> ریال")
        self.assertContains(checkout, '<button type="submit" name="gateway" value="vandar" id="pay-vandar">وندار</button>', html=False)
        self.assertContains(customer.post("/", {"item": "book", "gateway": "vandar", "mobile": "0912"}, status_code=400), "لطفاً اطلاعاتتان را بررسی کنید", status_code=400)

        customer.post("/", {"item": "book", "gateway": "vandar", "mobile": MOBILE})
        order = Order.objects.latest("created_at")
        self.assertContains(customer.get(order.get_absolute_url()), "در انتظار پرداخت")
        callback = self.sandbox.pay(self.payment(order))
        page = customer.get(callback.path, follow=True)
        self.assertContains(page, '<p id="status" data-status="paid">پرداخت شد</p>', html=False)
        self.assertContains(page, "مبلغ: <bdi>1250000</bdi> ریال، از راه وندار")
        self.assertContains(page, '، کارت <bdi dir="ltr">603799******7890</bdi>.', html=False)
        self.assertContains(self.browser.get(order.get_absolute_url()), "Amount: <bdi>1250000</bdi> rial, via Vandar")

    def test_the_same_solar_hijri_dates_as_the_core(self) -> None:
        """Sepal speaks Jalali; the core converts its dates through ICU: every one agrees."""
        answer = dargah.django.get_client().sepal_inquiry(date_from="1400/01/01", date_to="1404/12/29", limit=100)
        pairs = [(item["created"]["gregorian"][:10], item["created"]["jalali"][:10]) for item in answer["items"]]
        self.assertGreater(len(pairs), 5)
        for gregorian, jalali in pairs:
            year, month, day = to_jalali(date.fromisoformat(gregorian))
            self.assertEqual(f"{year:04}/{month:02}/{day:02}", jalali, gregorian)

    def test_the_review_queue_and_a_paid_payment_in_persian(self) -> None:
        review = self.buy("atipay")
        client = dargah.django.get_client()
        self.sandbox.pay(client.payment(review.payment_id))  # no callback: needs review at the deadline
        paid = self.buy("vandar")
        callback = self.sandbox.pay(client.payment(paid.payment_id))
        self.browser.get(callback.path)
        time.sleep(1.2)
        with translation.override("fa"):  # what a Persian reconcile job writes to the owner
            call_command("dargah_reconcile", "--min-age", "0", stdout=io.StringIO())
        [message] = mail.outbox
        self.assertIn("نیاز به بررسی دارد", message.subject)
        self.assertIn("آتی‌پی: بازگشت از درگاه referenceNumber نداشت", message.body)

        page = self.owner.get("/admin/dargah/payment/")
        self.assertContains(page, 'dir="rtl"')
        self.assertContains(page, '<h2 id="state-needs_review" class="dargah-state">نیاز به بررسی (<bdi>1</bdi>)</h2>', html=False)
        self.assertContains(page, "تا مهلت پرداخت دوباره پرسیده می‌شود، سپس یک نفر باید بررسی کند")
        self.assertContains(page, f"<bdi>{review.payment_id}</bdi>")
        self.assertContains(page, f"<bdi>{review.invoice_id}</bdi>")
        self.assertContains(page, "<bdi>1,250,000</bdi>")
        created = client.payment(review.payment_id).created_at
        with translation.override("fa"):
            self.assertContains(page, f"<bdi>{local_date_text(created)}</bdi>")

        detail = self.owner.get(f"/admin/dargah/payment/{paid.payment_id}/")
        self.assertContains(detail, '<td id="state" data-state="paid">پرداخت شده</td>', html=False)
        self.assertContains(detail, '<bdi dir="ltr">603799******7890</bdi>', html=False)
        self.assertContains(detail, "تاریخچه")
