/*
 * Dargah\Payment, Dargah\Redirect and Dargah\Outcome: read-only snapshots
 * made from libdargah's answers. A payment is always read from the library's
 * JSON shape of it (dargah_payment_to_json, or a list or report from
 * dargah_client_call), so there is one way to fill one.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dargah_internal.h"
#include "ext/date/php_date.h"
#include "zend_enum.h"

enum field_type { FIELD_STRING, FIELD_INT, FIELD_TIME, FIELD_STATE };

static const struct payment_field {
	const char *key;      /* in the library's JSON */
	const char *property; /* on Dargah\Payment */
	enum field_type type;
	bool nullable;
} payment_fields[] = {
	{"id", "id", FIELD_STRING, false},
	{"gateway", "gateway", FIELD_STRING, false},
	{"account", "account", FIELD_STRING, false},
	{"invoice_id", "invoiceId", FIELD_STRING, false},
	{"amount", "amount", FIELD_INT, false},
	{"verified_amount", "verifiedAmount", FIELD_INT, true},
	{"callback_url", "callbackUrl", FIELD_STRING, false},
	{"state", "state", FIELD_STATE, false},
	{"token", "token", FIELD_STRING, true},
	{"reference", "reference", FIELD_STRING, true},
	{"trace_number", "traceNumber", FIELD_STRING, true},
	{"unverified_trace_number", "unverifiedTraceNumber", FIELD_STRING, true},
	{"masked_card", "maskedCard", FIELD_STRING, true},
	{"note", "note", FIELD_STRING, true},
	{"created_at", "createdAt", FIELD_TIME, false},
	{"updated_at", "updatedAt", FIELD_TIME, false},
	{"deadline_at", "deadlineAt", FIELD_TIME, false},
	{"paid_at", "paidAt", FIELD_TIME, true},
	{"acknowledged_at", "acknowledgedAt", FIELD_TIME, true},
};

/* Initialise a read-only property: allowed once, from the class's own scope. */
static void init_property(zend_class_entry *ce, zval *object, const char *name, zval *value)
{
	zend_update_property(ce, Z_OBJ_P(object), name, strlen(name), value);
	zval_ptr_dtor(value);
}

static bool enum_case(zend_class_entry *ce, zval *value, zval *out)
{
	zend_object *found = NULL;
	if (Z_TYPE_P(value) == IS_STRING) {
		zend_enum_get_case_by_value(&found, ce, 0, Z_STR_P(value), true);
	}
	if (!found) {
		dargah_throw(KIND_INTERNAL, "libdargah answered a %s this extension does not know; upgrade the extension",
			ZSTR_VAL(ce->name));
		return false;
	}
	ZVAL_OBJ_COPY(out, found);
	return true;
}

/* A DateTimeImmutable (UTC) from Unix milliseconds. */
static void datetime_from_ms(zend_long ms, zval *out)
{
	char text[48];
	int length = snprintf(text, sizeof text, "@" ZEND_LONG_FMT ".%03d", ms / 1000, (int) (ms % 1000));
	php_date_instantiate(php_date_get_immutable_ce(), out);
	php_date_initialize(Z_PHPDATE_P(out), text, length, NULL, NULL, 0);
}

static bool field_value(const struct payment_field *field, zval *json, zval *out)
{
	if (json && Z_TYPE_P(json) == IS_NULL && field->nullable) {
		ZVAL_NULL(out);
		return true;
	}
	switch (field->type) {
	case FIELD_STRING:
		if (json && Z_TYPE_P(json) == IS_STRING) {
			ZVAL_COPY(out, json);
			return true;
		}
		break;
	case FIELD_INT:
		if (json && Z_TYPE_P(json) == IS_LONG) {
			ZVAL_COPY(out, json);
			return true;
		}
		break;
	case FIELD_TIME:
		if (json && Z_TYPE_P(json) == IS_LONG && Z_LVAL_P(json) >= 0) {
			datetime_from_ms(Z_LVAL_P(json), out);
			return true;
		}
		break;
	case FIELD_STATE:
		return json && enum_case(dargah_ce_payment_state, json, out);
	}
	dargah_throw(KIND_INTERNAL, "libdargah answered a payment whose \"%s\" this extension cannot read", field->key);
	return false;
}

static bool payment_from_json(zval *json, zval *redirect, zval *out)
{
	if (Z_TYPE_P(json) != IS_ARRAY) {
		dargah_throw(KIND_INTERNAL, "libdargah answered a payment that is not an object");
		return false;
	}
	object_init_ex(out, dargah_ce_payment);
	for (size_t i = 0; i < sizeof payment_fields / sizeof payment_fields[0]; i++) {
		const struct payment_field *field = &payment_fields[i];
		zval value;
		if (!field_value(field, zend_hash_str_find(Z_ARRVAL_P(json), field->key, strlen(field->key)), &value)) {
			zval_ptr_dtor(out);
			ZVAL_UNDEF(out);
			return false;
		}
		init_property(dargah_ce_payment, out, field->property, &value);
	}
	zval none;
	ZVAL_NULL(&none);
	init_property(dargah_ce_payment, out, "redirect", redirect ? redirect : &none);
	return true;
}

bool dargah_payment_from_json(zval *json, zval *out)
{
	return payment_from_json(json, NULL, out);
}

static bool redirect_from_handle(const DargahPayment *payment, zval *out)
{
	DargahRedirectMethod method = dargah_payment_redirect_method(payment);
	if (method != DARGAH_REDIRECT_GET && method != DARGAH_REDIRECT_POST) {
		ZVAL_NULL(out);
		return true;
	}

	zval fields, value;
	array_init(&fields);
	size_t count = dargah_payment_redirect_field_count(payment);
	for (size_t i = 0; i < count; i++) {
		const char *name, *field_value;
		DargahStatus status = dargah_payment_redirect_field(payment, i, &name, &field_value);
		if (status != DARGAH_OK) {
			zend_array_destroy(Z_ARR(fields));
			dargah_throw_status(status);
			return false;
		}
		add_assoc_string(&fields, name, field_value);
	}

	object_init_ex(out, dargah_ce_redirect);
	ZVAL_STRING(&value, method == DARGAH_REDIRECT_POST ? "POST" : "GET");
	init_property(dargah_ce_redirect, out, "method", &value);
	ZVAL_STRING(&value, dargah_payment_redirect_url(payment));
	init_property(dargah_ce_redirect, out, "url", &value);
	init_property(dargah_ce_redirect, out, "fields", &fields);
	ZVAL_STRING(&value, dargah_payment_redirect_html(payment));
	init_property(dargah_ce_redirect, out, "html", &value);
	return true;
}

bool dargah_payment_from_handle(const DargahPayment *payment, bool with_redirect, zval *out)
{
	char *text;
	DargahStatus status = dargah_payment_to_json(payment, &text);
	if (status != DARGAH_OK) {
		dargah_throw_status(status);
		return false;
	}
	zval json, redirect;
	if (!dargah_json_take(text, &json)) {
		return false;
	}
	ZVAL_NULL(&redirect);
	bool ok = (!with_redirect || redirect_from_handle(payment, &redirect)) && payment_from_json(&json, &redirect, out);
	if (!ok) {
		zval_ptr_dtor(&redirect);
	}
	zval_ptr_dtor(&json);
	return ok;
}

static bool outcome_from(zval *kind_name, zval *payment, zval *out)
{
	zval kind;
	if (!enum_case(dargah_ce_outcome_kind, kind_name, &kind)) {
		zval_ptr_dtor(payment);
		return false;
	}
	object_init_ex(out, dargah_ce_outcome);
	init_property(dargah_ce_outcome, out, "kind", &kind);
	init_property(dargah_ce_outcome, out, "payment", payment);
	return true;
}

bool dargah_outcome_from_handle(const DargahOutcome *outcome, zval *out)
{
	zval kind, payment;
	if (!dargah_payment_from_handle(dargah_outcome_payment(outcome), false, &payment)) {
		return false;
	}
	ZVAL_STRING(&kind, dargah_outcome_kind_name(outcome));
	bool ok = outcome_from(&kind, &payment, out);
	zval_ptr_dtor(&kind);
	return ok;
}

bool dargah_outcome_from_json(zval *json, zval *out)
{
	zval *kind = Z_TYPE_P(json) == IS_ARRAY ? zend_hash_str_find(Z_ARRVAL_P(json), ZEND_STRL("kind")) : NULL;
	zval *payment_json = Z_TYPE_P(json) == IS_ARRAY ? zend_hash_str_find(Z_ARRVAL_P(json), ZEND_STRL("payment")) : NULL;
	zval payment;
	if (!kind || !payment_json) {
		dargah_throw(KIND_INTERNAL, "libdargah answered an outcome this extension cannot read");
		return false;
	}
	return dargah_payment_from_json(payment_json, &payment) && outcome_from(kind, &payment, out);
}

/* Private constructors: these objects come only from a Dargah\Client. */
ZEND_METHOD(Dargah_Redirect, __construct) { DARGAH_PARSE_PARAMETERS_NONE(); }
ZEND_METHOD(Dargah_Payment, __construct) { DARGAH_PARSE_PARAMETERS_NONE(); }
ZEND_METHOD(Dargah_Outcome, __construct) { DARGAH_PARSE_PARAMETERS_NONE(); }

static zval *property(zend_class_entry *ce, zval *object, const char *name, zval *rv)
{
	return zend_read_property(ce, Z_OBJ_P(object), name, strlen(name), true, rv);
}

ZEND_METHOD(Dargah_Redirect, isPost)
{
	zval rv;
	DARGAH_PARSE_PARAMETERS_NONE();
	zval *method = property(dargah_ce_redirect, ZEND_THIS, "method", &rv);
	RETURN_BOOL(Z_TYPE_P(method) == IS_STRING && zend_string_equals_literal(Z_STR_P(method), "POST"));
}

ZEND_METHOD(Dargah_Payment, isPaid)
{
	zval rv;
	DARGAH_PARSE_PARAMETERS_NONE();
	zval *state = property(dargah_ce_payment, ZEND_THIS, "state", &rv);
	RETURN_BOOL(Z_TYPE_P(state) == IS_OBJECT && Z_OBJ_P(state) == zend_enum_get_case_cstr(dargah_ce_payment_state, "Paid"));
}

static bool outcome_is(zval *outcome, const char *kind_case)
{
	zval rv;
	zval *kind = property(dargah_ce_outcome, outcome, "kind", &rv);
	return Z_TYPE_P(kind) == IS_OBJECT && Z_OBJ_P(kind) == zend_enum_get_case_cstr(dargah_ce_outcome_kind, kind_case);
}

ZEND_METHOD(Dargah_Outcome, isNewlyPaid)
{
	DARGAH_PARSE_PARAMETERS_NONE();
	RETURN_BOOL(outcome_is(ZEND_THIS, "NewlyPaid"));
}

ZEND_METHOD(Dargah_Outcome, isPaid)
{
	DARGAH_PARSE_PARAMETERS_NONE();
	RETURN_BOOL(outcome_is(ZEND_THIS, "NewlyPaid") || outcome_is(ZEND_THIS, "AlreadyPaid"));
}
