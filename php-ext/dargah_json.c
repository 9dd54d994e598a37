/*
 * PHP values to and from the JSON texts libdargah takes and hands out
 * (configurations, payment requests, operation parameters and answers).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dargah_internal.h"
#include "ext/json/php_json.h"
#include "zend_smart_str.h"

static const char *json_error(php_json_error_code code)
{
	switch (code) {
	case PHP_JSON_ERROR_UTF8:
		return "malformed UTF-8 in a string";
	case PHP_JSON_ERROR_UTF16:
		return "a lone UTF-16 surrogate in a string";
	case PHP_JSON_ERROR_DEPTH:
		return "nested too deeply";
	case PHP_JSON_ERROR_RECURSION:
		return "a value contains itself";
	case PHP_JSON_ERROR_INF_OR_NAN:
		return "INF and NAN cannot be sent";
	case PHP_JSON_ERROR_UNSUPPORTED_TYPE:
		return "a value of a type that cannot be sent (a resource or closure)";
	default:
		return "cannot be written as JSON";
	}
}

zend_string *dargah_json_encode(zval *value, enum dargah_kind kind, const char *what)
{
	/* Every JSON value libdargah takes at the top is an object, and PHP has
	 * one empty array for both [] and {}. */
	if (Z_TYPE_P(value) == IS_ARRAY && zend_hash_num_elements(Z_ARRVAL_P(value)) == 0) {
		return zend_string_init("{}", 2, false);
	}

	smart_str json = {0};
	/* Values are quoted as they are (no \u escapes for Persian text) and the
	 * messages never quote them: a configuration holds credentials. */
	int options = PHP_JSON_UNESCAPED_UNICODE | PHP_JSON_UNESCAPED_SLASHES | PHP_JSON_PRESERVE_ZERO_FRACTION;
	if (php_json_encode_ex(&json, value, options, PHP_JSON_PARSER_DEFAULT_DEPTH) == FAILURE) {
		smart_str_free(&json);
		if (!EG(exception)) { /* a JsonSerializable may have thrown its own */
			dargah_throw(kind, "%s: %s", what, json_error(JSON_G(error_code)));
		}
		return NULL;
	}
	return smart_str_extract(&json);
}

bool dargah_json_take(char *json, zval *out)
{
	zend_result decoded = php_json_decode_ex(out, json, strlen(json),
		PHP_JSON_OBJECT_AS_ARRAY | PHP_JSON_BIGINT_AS_STRING, PHP_JSON_PARSER_DEFAULT_DEPTH);
	dargah_string_free(json);
	if (decoded == FAILURE) {
		dargah_throw(KIND_INTERNAL, "libdargah answered JSON this extension cannot read");
		return false;
	}
	return true;
}
