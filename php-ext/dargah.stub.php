<?php

/**
 * The PHP API of the dargah extension. The arginfo header (dargah_arginfo.h)
 * is generated from this file by PHP's gen_stub.php: `make php-arginfo`.
 *
 * @generate-class-entries
 */

namespace Dargah {

    /** What a callback means for the shop. */
    enum OutcomeKind: string
    {
        /** Credit the order now: exactly one caller ever gets this for a payment. */
        case NewlyPaid = "newly_paid";
        /** Paid earlier and already reported: show "paid", never credit again. */
        case AlreadyPaid = "already_paid";
        case Failed = "failed";
        case Cancelled = "cancelled";
        /** Another worker is verifying right now: "we are confirming your payment". */
        case InProgress = "in_progress";
        /** Never paid as asked (amount or identity mismatch): a person must look. */
        case NeedsReview = "needs_review";
    }

    /** A payment's stored state. */
    enum PaymentState: string
    {
        case Created = "created";
        case Awaiting = "awaiting";
        case Verifying = "verifying";
        case InDoubt = "in_doubt";
        case Paid = "paid";
        case Failed = "failed";
        case Cancelled = "cancelled";
        case Expired = "expired";
        case NeedsReview = "needs_review";
    }

    /**
     * A configured client. Clients are kept per process: `new Client($config)`
     * with the same configuration in every request reuses one underlying client,
     * with its connections and store handles.
     *
     * @strict-properties
     * @not-serializable
     */
    final class Client
    {
        /**
         * @param array|string $config an array, or the same as JSON text
         * (sensitive: never shown in a stack trace)
         */
        public function __construct(#[\SensitiveParameter] array|string $config) {}

        /**
         * @param array|null $vandar Vandar's options: national_code, valid_card_number, comment, port
         * @param string|null $account the gateway's merchant account (`accounts.NAME` in the
         * configuration; the gateway's own table when null). The payment keeps it: its
         * callbacks, recovery, reconciliation and refunds use that account.
         */
        public function createPayment(
            string $gateway,
            string $invoiceId,
            int $amount,
            string $callbackUrl,
            ?string $mobile = null,
            ?string $description = null,
            ?array $vandar = null,
            ?string $account = null,
        ): Payment {}

        /** A stored payment, with its redirect when it still has one. */
        public function payment(string $paymentId): Payment {}

        /** @return list<Payment> */
        public function payments(?string $state = null, int $limit = 100, int $offset = 0): array {}

        /**
         * @param array|string|null $query $_GET, or the raw query string
         * @param array|string|null $body $_POST, or the raw urlencoded body
         * @param string|null $account the merchant account whose callback URL this is: a
         * payment of another account is refused (InvalidCallbackException, no gateway call).
         * Either way a payment is verified only with its own account's credentials.
         */
        public function handleCallback(string $gateway, array|string|null $query = null, array|string|null $body = null, ?string $account = null): Outcome {}

        public function acknowledge(string $paymentId): bool {}

        /** @return list<Payment> */
        public function unacknowledged(int $limit = 100): array {}

        /** @return array{outcomes: list<Outcome>, errors: list<array<string,mixed>>} */
        public function recover(int $limit = 100): array {}

        /** @param array|null $params the operation's parameters (sensitive: never shown in a stack trace) */
        public function call(string $operation, #[\SensitiveParameter] ?array $params = null): mixed {}

        /**
         * A payment's history, oldest first: state changes and the gateway's
         * answers, redacted (cards masked, answers cut to what a dispute needs).
         *
         * @return list<array{at: int, fence: int, label: string, raw: mixed}>
         */
        public function events(string $paymentId): array {}

        /**
         * Where the audit trail goes: a callable fn(string $level, string
         * $message, array $context), a PSR-3 logger (an object with
         * log($level, $message, $context)), or null (the default: nothing is
         * collected or printed). Called on the PHP thread when each call returns.
         */
        public function setLogger(mixed $logger): void {}
    }

    /**
     * How to send the customer to the gateway.
     *
     * @strict-properties
     */
    final class Redirect
    {
        /** "GET" or "POST" */
        public readonly string $method;
        public readonly string $url;
        /** @var array<string,string> the POST form's fields, in order */
        public readonly array $fields;
        /** A complete page that sends the customer on (an auto-submitting form for POST). */
        public readonly string $html;

        private function __construct() {}

        public function isPost(): bool {}
    }

    /**
     * A payment as stored. Money is in rial; times are UTC.
     *
     * @strict-properties
     */
    final class Payment
    {
        public readonly string $id;
        public readonly string $gateway;
        /** The merchant account it was created with ("default": the gateway's own table). */
        public readonly string $account;
        public readonly string $invoiceId;
        public readonly int $amount;
        public readonly ?int $verifiedAmount;
        public readonly string $callbackUrl;
        public readonly PaymentState $state;
        public readonly ?string $token;
        public readonly ?string $reference;
        /** The trace number as the gateway confirmed it. */
        public readonly ?string $traceNumber;
        /** A trace number only the customer's browser sent (AtiPay): digits, not confirmed by the gateway; never proof. */
        public readonly ?string $unverifiedTraceNumber;
        public readonly ?string $maskedCard;
        public readonly ?string $note;
        public readonly \DateTimeImmutable $createdAt;
        public readonly \DateTimeImmutable $updatedAt;
        public readonly \DateTimeImmutable $deadlineAt;
        public readonly ?\DateTimeImmutable $paidAt;
        public readonly ?\DateTimeImmutable $acknowledgedAt;
        /** Where to send the customer: set by createPayment() and payment(), null otherwise. */
        public readonly ?Redirect $redirect;

        private function __construct() {}

        public function isPaid(): bool {}
    }

    /**
     * The answer to handleCallback(): what it means, and the payment after it.
     *
     * @strict-properties
     */
    final class Outcome
    {
        public readonly OutcomeKind $kind;
        public readonly Payment $payment;

        private function __construct() {}

        /** Credit the order now (then acknowledge()): true for exactly one caller. */
        public function isNewlyPaid(): bool {}

        /** Newly or already paid. */
        public function isPaid(): bool {}
    }

    /**
     * Every error of the extension. getCode() is the core's stable kind number
     * (the same in C and Python); the gateway's own code, message and HTTP
     * status are kept when the gateway answered with an error.
     */
    abstract class Exception extends \RuntimeException
    {
        protected ?string $gatewayCode = null;
        protected ?string $gatewayMessage = null;
        protected ?int $httpStatus = null;

        /** The kind's snake_case name, e.g. "gateway_rejected". */
        public function getKind(): string {}

        public function getGatewayCode(): ?string {}

        public function getGatewayMessage(): ?string {}

        public function getHttpStatus(): ?int {}

        /** The gateway may or may not have acted: never treat the payment as failed. */
        public function isInDoubt(): bool {}
    }

    class InvalidInputException extends Exception {}
    /**
     * A method of the extension called with an argument of the wrong type or
     * value (a float, bool or numeric string as an amount, a NUL byte in a
     * name, a missing argument): what PHP raises as TypeError, ValueError or
     * ArgumentCountError, with that error as its previous one.
     */
    class InvalidArgumentException extends InvalidInputException {}
    class ConfigException extends Exception {}
    class UnknownPaymentException extends Exception {}
    class DuplicateInvoiceException extends Exception {}
    class InvalidCallbackException extends Exception {}
    class GatewayRejectedException extends Exception {}
    class MalformedResponseException extends Exception {}
    class GatewayUnavailableException extends Exception {}
    class NetworkException extends Exception {}
    class TimeoutException extends Exception {}
    class StoreException extends Exception {}
    class UnsupportedException extends Exception {}
    class InternalException extends Exception {}
    class InDoubtException extends Exception {}
    class RateLimitedException extends Exception {}
}
