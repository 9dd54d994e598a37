/* What the extension's C files share. Not installed. */
#ifndef DARGAH_INTERNAL_H
#define DARGAH_INTERNAL_H

#include "php.h"
#include "php_dargah.h"

/* The core's error kinds (ErrorKind::code(), core/src/error.rs): one
 * exception class each. libdargah's statuses 1 to 15 are these kinds, with
 * the same numbers; its own statuses (100 and up) map onto them. */
enum dargah_kind {
	KIND_INVALID_INPUT = DARGAH_INVALID_INPUT,
	KIND_CONFIG = DARGAH_CONFIG,
	KIND_UNKNOWN_PAYMENT = DARGAH_UNKNOWN_PAYMENT,
	KIND_DUPLICATE_INVOICE = DARGAH_DUPLICATE_INVOICE,
	KIND_INVALID_CALLBACK = DARGAH_INVALID_CALLBACK,
	KIND_GATEWAY_REJECTED = DARGAH_GATEWAY_REJECTED,
	KIND_MALFORMED_RESPONSE = DARGAH_MALFORMED_RESPONSE,
	KIND_GATEWAY_UNAVAILABLE = DARGAH_GATEWAY_UNAVAILABLE,
	KIND_NETWORK = DARGAH_NETWORK,
	KIND_TIMEOUT = DARGAH_TIMEOUT,
	KIND_STORE = DARGAH_STORE,
	KIND_UNSUPPORTED = DARGAH_UNSUPPORTED,
	KIND_INTERNAL = DARGAH_INTERNAL,
	KIND_IN_DOUBT = DARGAH_IN_DOUBT,
	KIND_RATE_LIMITED = DARGAH_RATE_LIMITED,
	KIND_COUNT
};

extern zend_class_entry *dargah_ce_client;
extern zend_class_entry *dargah_ce_payment;
extern zend_class_entry *dargah_ce_redirect;
extern zend_class_entry *dargah_ce_outcome;
extern zend_class_entry *dargah_ce_outcome_kind;
extern zend_class_entry *dargah_ce_payment_state;
extern zend_class_entry *dargah_ce_exception;
extern zend_class_entry *dargah_ce_invalid_argument;
/* The exception class of each kind, indexed by kind number. */
extern zend_class_entry *dargah_ce_kind[KIND_COUNT];

/* dargah_client.c */
void dargah_client_register_handlers(void);
size_t dargah_shared_client_count(void);

/* dargah_errors.c */
/* Throw the exception for a failed libdargah call, from this thread's last error. */
void dargah_throw_status(DargahStatus status);
/* Throw the exception of `kind` for an error the extension found itself. */
void dargah_throw(enum dargah_kind kind, const char *format, ...) ZEND_ATTRIBUTE_FORMAT(printf, 2, 3);
/* Throw Dargah\InvalidArgumentException for argument `arg` of the running
 * method, worded as PHP words its own ("…(): Argument #3 ($amount) must …"). */
void dargah_argument_error(uint32_t arg, const char *format, ...) ZEND_ATTRIBUTE_FORMAT(printf, 2, 3);
/* The TypeError, ValueError or ArgumentCountError PHP's argument parsing just
 * threw, as a Dargah\InvalidArgumentException with the same message (and the
 * original as its previous): every argument error of the extension is a
 * Dargah\Exception, which a shop catches around every call. */
void dargah_argument_error_from_php(void);

/* ZEND_PARSE_PARAMETERS_END() and _NONE() with dargah_argument_error_from_php(). */
#define DARGAH_PARSE_PARAMETERS_END() ZEND_PARSE_PARAMETERS_END_EX(dargah_argument_error_from_php(); return)
#define DARGAH_PARSE_PARAMETERS_NONE() ZEND_PARSE_PARAMETERS_START(0, 0) DARGAH_PARSE_PARAMETERS_END()

/* dargah_log.c */
/* A callable, an object with log() (PSR-3), or null. */
bool dargah_log_valid(zval *logger);
/* Collect the audit events of the next libdargah call when `logger` is not null. */
void dargah_log_begin(zval *logger);
/* After that call: throw its error (if any), then hand its events to `logger`
 * on this thread. False if the call failed; a logger that throws does not
 * change the answer (its exception becomes an E_WARNING). */
bool dargah_log_finish(zval *logger, DargahStatus status);

/* dargah_json.c */
/* `value` as JSON text for libdargah (an empty array is "{}"); NULL after
 * throwing the exception of `kind`, with `what` in its message. */
zend_string *dargah_json_encode(zval *value, enum dargah_kind kind, const char *what);
/* Decode JSON that libdargah handed out (objects become arrays) and free it;
 * false after throwing. */
bool dargah_json_take(char *json, zval *out);

/* dargah_values.c */
/* A Dargah\Payment from a payment handle, with its redirect when `with_redirect`. */
bool dargah_payment_from_handle(const DargahPayment *payment, bool with_redirect, zval *out);
/* A Dargah\Payment from the library's JSON shape of a payment (no redirect). */
bool dargah_payment_from_json(zval *json, zval *out);
/* A Dargah\Outcome from an outcome handle. */
bool dargah_outcome_from_handle(const DargahOutcome *outcome, zval *out);
/* A Dargah\Outcome from the library's JSON shape of an outcome ({"kind","payment"}). */
bool dargah_outcome_from_json(zval *json, zval *out);

#endif
