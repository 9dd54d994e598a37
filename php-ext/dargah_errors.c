/*
 * Dargah\Exception and its subclasses, one per core error kind. Every error
 * the extension raises goes through dargah_throw() or dargah_throw_status().
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dargah_internal.h"
#include "zend_exceptions.h"

/* The core's kind for a libdargah status. The boundary's own statuses are
 * never the caller's fault except invalid UTF-8 in an argument. */
static enum dargah_kind kind_of_status(int status)
{
	if (status > 0 && status < KIND_COUNT) {
		return (enum dargah_kind) status;
	}
	return status == DARGAH_INVALID_UTF8 ? KIND_INVALID_INPUT : KIND_INTERNAL;
}

/* Messages may quote what the caller passed (an unknown gateway or payment
 * id, perhaps straight from a URL): a log line stays a line. */
#define MAX_MESSAGE 1024

static zend_object *throw_kind(enum dargah_kind kind, const char *message)
{
	size_t length = strlen(message);
	if (length <= MAX_MESSAGE) {
		return zend_throw_exception(dargah_ce_kind[kind], message, kind);
	}
	length = MAX_MESSAGE;
	while (length > 0 && ((unsigned char) message[length] & 0xC0) == 0x80) {
		length--; /* not inside a UTF-8 sequence */
	}
	zend_string *cut = zend_strpprintf(0, "%.*s… (%zu bytes cut)", (int) length, message, strlen(message) - length);
	zend_object *e = zend_throw_exception(dargah_ce_kind[kind], ZSTR_VAL(cut), kind);
	zend_string_release(cut);
	return e;
}

void dargah_throw(enum dargah_kind kind, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	zend_string *message = zend_vstrpprintf(0, format, args);
	va_end(args);
	throw_kind(kind, ZSTR_VAL(message));
	zend_string_release(message);
}

void dargah_argument_error(uint32_t arg, const char *format, ...)
{
	va_list args;
	va_start(args, format);
	zend_string *message = zend_vstrpprintf(0, format, args);
	va_end(args);
	zend_argument_error(dargah_ce_invalid_argument, arg, "%s", ZSTR_VAL(message));
	zend_string_release(message);
	if (EG(exception) && EG(exception)->ce == dargah_ce_invalid_argument) {
		zend_update_property_long(zend_ce_exception, EG(exception), ZEND_STRL("code"), KIND_INVALID_INPUT);
	}
}

void dargah_argument_error_from_php(void)
{
	zend_object *original = EG(exception);
	if (!original || instanceof_function(original->ce, dargah_ce_exception)) {
		return;
	}
	zval rv;
	zval *message = zend_read_property_ex(zend_get_exception_base(original), original, ZSTR_KNOWN(ZEND_STR_MESSAGE), true, &rv);
	zend_string *text = zval_get_string(message);
	GC_ADDREF(original);
	zend_clear_exception();
	zend_object *e = zend_throw_exception(dargah_ce_invalid_argument, ZSTR_VAL(text), KIND_INVALID_INPUT);
	zend_exception_set_previous(e, original); /* takes our reference */
	zend_string_release(text);
}

void dargah_throw_status(DargahStatus status)
{
	/* Borrowed until the next libdargah call on this thread: used at once. */
	zend_object *e = throw_kind(kind_of_status(status), dargah_last_error_message());
	const char *code = dargah_last_error_gateway_code();
	const char *message = dargah_last_error_gateway_message();
	uint16_t http_status = dargah_last_error_http_status();

	if (code) {
		zend_update_property_string(dargah_ce_exception, e, ZEND_STRL("gatewayCode"), code);
	}
	if (message) {
		zend_update_property_string(dargah_ce_exception, e, ZEND_STRL("gatewayMessage"), message);
	}
	if (http_status) {
		zend_update_property_long(dargah_ce_exception, e, ZEND_STRL("httpStatus"), http_status);
	}
}

/* The kind of an exception object: that of the nearest kind class it
 * extends (a shop may subclass them, e.g. in tests). */
static enum dargah_kind kind_of_object(zend_object *e)
{
	for (zend_class_entry *ce = e->ce; ce; ce = ce->parent) {
		for (int kind = 1; kind < KIND_COUNT; kind++) {
			if (dargah_ce_kind[kind] == ce) {
				return (enum dargah_kind) kind;
			}
		}
	}
	return KIND_INTERNAL;
}

ZEND_METHOD(Dargah_Exception, getKind)
{
	DARGAH_PARSE_PARAMETERS_NONE();
	/* libdargah names its statuses as the core names the kinds. */
	RETURN_STRING(dargah_status_name(kind_of_object(Z_OBJ_P(ZEND_THIS))));
}

static void return_property(zval *this, const char *name, size_t length, zval *return_value)
{
	zval rv;
	zval *value = zend_read_property(dargah_ce_exception, Z_OBJ_P(this), name, length, true, &rv);
	RETURN_COPY_DEREF(value);
}

ZEND_METHOD(Dargah_Exception, getGatewayCode)
{
	DARGAH_PARSE_PARAMETERS_NONE();
	return_property(ZEND_THIS, ZEND_STRL("gatewayCode"), return_value);
}

ZEND_METHOD(Dargah_Exception, getGatewayMessage)
{
	DARGAH_PARSE_PARAMETERS_NONE();
	return_property(ZEND_THIS, ZEND_STRL("gatewayMessage"), return_value);
}

ZEND_METHOD(Dargah_Exception, getHttpStatus)
{
	DARGAH_PARSE_PARAMETERS_NONE();
	return_property(ZEND_THIS, ZEND_STRL("httpStatus"), return_value);
}

ZEND_METHOD(Dargah_Exception, isInDoubt)
{
	DARGAH_PARSE_PARAMETERS_NONE();
	RETURN_BOOL(dargah_status_is_in_doubt(kind_of_object(Z_OBJ_P(ZEND_THIS))));
}
