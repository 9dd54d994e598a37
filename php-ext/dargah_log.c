/*
 * The audit trail for PHP: Dargah\Client::setLogger() takes a callable
 * fn(string $level, string $message, array $context) or a PSR-3 logger
 * (any object with log($level, $message, $context)).
 *
 * libdargah calls one C callback (registered on the first setLogger(), never
 * at load time) on the PHP thread, before the dargah_* function returns;
 * it only copies the event into a list. The logger itself is called after
 * the libdargah call has returned and its exception (if any) is made, so a
 * logger that throws or calls Dargah again cannot disturb it: a logger's
 * exception becomes a warning and the call's result or exception stands. With no
 * logger set on the client nothing is collected and nothing is printed.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dargah_internal.h"
#include "ext/json/php_json.h"
#include "zend_exceptions.h"

#ifdef ZTS
#define DARGAH_TLS TSRM_TLS
#else
#define DARGAH_TLS
#endif

static bool registered;
/* The events of the libdargah call in progress on this thread, while collecting. */
static DARGAH_TLS zval pending;
static DARGAH_TLS bool collecting;

/* PSR-3 level names. */
static const char *psr_level(DargahLogLevel level)
{
	switch (level) {
	case DARGAH_LOG_ERROR:
		return "error";
	case DARGAH_LOG_WARN:
		return "warning";
	case DARGAH_LOG_INFO:
		return "info";
	default:
		return "debug";
	}
}

static void collect(void *user_data, DargahLogLevel level, const char *target, const char *message, const char *fields_json)
{
	(void) user_data;
	(void) target;
	if (!collecting) {
		return;
	}
	zval event;
	array_init_size(&event, 3);
	add_next_index_string(&event, psr_level(level));
	add_next_index_string(&event, message);
	add_next_index_string(&event, fields_json);
	if (Z_TYPE(pending) != IS_ARRAY) {
		array_init(&pending);
	}
	add_next_index_zval(&pending, &event);
}

bool dargah_log_valid(zval *logger)
{
	if (Z_TYPE_P(logger) == IS_NULL || zend_is_callable(logger, 0, NULL)) {
		return true;
	}
	return Z_TYPE_P(logger) == IS_OBJECT && zend_hash_str_exists(&Z_OBJCE_P(logger)->function_table, ZEND_STRL("log"));
}

void dargah_log_begin(zval *logger)
{
	collecting = Z_TYPE_P(logger) != IS_NULL;
	if (collecting && !registered) {
		/* Every level: each client's logger decides what it keeps. */
		registered = dargah_set_log_callback(collect, NULL, DARGAH_LOG_DEBUG) == DARGAH_OK;
	}
}

/* Hand one event to the logger: fn($level, $message, $context) or $logger->log(…). */
static void deliver(zval *logger, zval *event)
{
	zval *level = zend_hash_index_find(Z_ARRVAL_P(event), 0);
	zval *message = zend_hash_index_find(Z_ARRVAL_P(event), 1);
	zval *fields = zend_hash_index_find(Z_ARRVAL_P(event), 2);
	zval args[3], result;
	ZVAL_COPY(&args[0], level);
	ZVAL_COPY(&args[1], message);
	if (php_json_decode_ex(&args[2], Z_STRVAL_P(fields), Z_STRLEN_P(fields), PHP_JSON_OBJECT_AS_ARRAY, PHP_JSON_PARSER_DEFAULT_DEPTH) == FAILURE) {
		array_init(&args[2]);
	}
	ZVAL_UNDEF(&result);
	if (zend_is_callable(logger, 0, NULL)) {
		call_user_function(NULL, NULL, logger, &result, 3, args);
	} else {
		zval method;
		ZVAL_STRINGL(&method, "log", 3);
		call_user_function(NULL, logger, &method, &result, 3, args);
		zval_ptr_dtor(&method);
	}
	zval_ptr_dtor(&result);
	zval_ptr_dtor(&args[0]);
	zval_ptr_dtor(&args[1]);
	zval_ptr_dtor(&args[2]);
}

/*
 * The logger threw (a full disk, a dead syslog): the call's result stands —
 * a `newly_paid` outcome taken by a logger's exception is told to no one, and
 * every later callback says `already_paid`. The failure becomes an E_WARNING
 * naming the exception; if an error handler turns that warning into an
 * exception in turn, that one is dropped too, after the handler has seen it.
 */
static void logger_failed(uint32_t undelivered)
{
	zend_object *thrown = EG(exception);
	GC_ADDREF(thrown);
	zend_clear_exception();
	zval rv;
	zval *message = zend_read_property_ex(zend_get_exception_base(thrown), thrown, ZSTR_KNOWN(ZEND_STR_MESSAGE), true, &rv);
	zend_string *text = zval_get_string(message);
	php_error_docref(NULL, E_WARNING, "the Dargah\\Client logger threw %s: %s; %u audit event(s) of this call were not logged, its result stands",
		ZSTR_VAL(thrown->ce->name), ZSTR_VAL(text), undelivered);
	zend_string_release(text);
	OBJ_RELEASE(thrown);
	if (EG(exception)) {
		zend_clear_exception();
	}
}

bool dargah_log_finish(zval *logger, DargahStatus status)
{
	if (status != DARGAH_OK) {
		dargah_throw_status(status);
	}
	collecting = false;
	if (Z_TYPE(pending) != IS_ARRAY) {
		return status == DARGAH_OK;
	}
	zval events;
	ZVAL_COPY_VALUE(&events, &pending);
	ZVAL_UNDEF(&pending);
	if (Z_TYPE_P(logger) != IS_NULL) {
		/* The call's own exception is set aside while the logger runs (a
		 * pending exception would stop the logger's PHP code), and thrown again after. */
		zend_object *call_exception = EG(exception);
		if (call_exception) {
			GC_ADDREF(call_exception);
			zend_clear_exception();
		}
		uint32_t left = zend_hash_num_elements(Z_ARRVAL(events));
		zval *event;
		ZEND_HASH_FOREACH_VAL(Z_ARRVAL(events), event) {
			deliver(logger, event);
			left--;
			if (EG(exception)) {
				logger_failed(left);
				break; /* a logger that failed once would fail again: the rest are dropped, counted */
			}
		} ZEND_HASH_FOREACH_END();
		if (call_exception) {
			zval thrown;
			ZVAL_OBJ(&thrown, call_exception);
			zend_throw_exception_object(&thrown); /* takes our reference */
		}
	}
	zval_ptr_dtor(&events);
	return status == DARGAH_OK;
}
