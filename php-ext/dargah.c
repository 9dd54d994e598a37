/*
 * The module: class registration and phpinfo().
 *
 * PHP-FPM loads extensions in its master process and then forks its workers
 * (DESIGN.md, "Fork and threads"), so MINIT registers classes and constants
 * and nothing else: no client, runtime, thread or connection exists until a
 * request makes a Dargah\Client. There is no MSHUTDOWN: what a process made
 * is left to the process's exit.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dargah_internal.h"
#include "ext/standard/info.h"
#include "ext/spl/spl_exceptions.h"
#include "zend_attributes.h" /* #[\SensitiveParameter] in the arginfo */
#include "zend_enum.h"
#include "zend_exceptions.h"
#include "dargah_arginfo.h"

zend_class_entry *dargah_ce_client;
zend_class_entry *dargah_ce_payment;
zend_class_entry *dargah_ce_redirect;
zend_class_entry *dargah_ce_outcome;
zend_class_entry *dargah_ce_outcome_kind;
zend_class_entry *dargah_ce_payment_state;
zend_class_entry *dargah_ce_exception;
zend_class_entry *dargah_ce_invalid_argument;
zend_class_entry *dargah_ce_kind[KIND_COUNT];

static void register_exceptions(void)
{
	zend_class_entry *base = register_class_Dargah_Exception(spl_ce_RuntimeException);
	dargah_ce_exception = base;
	dargah_ce_kind[KIND_INVALID_INPUT] = register_class_Dargah_InvalidInputException(base);
	dargah_ce_invalid_argument = register_class_Dargah_InvalidArgumentException(dargah_ce_kind[KIND_INVALID_INPUT]);
	dargah_ce_kind[KIND_CONFIG] = register_class_Dargah_ConfigException(base);
	dargah_ce_kind[KIND_UNKNOWN_PAYMENT] = register_class_Dargah_UnknownPaymentException(base);
	dargah_ce_kind[KIND_DUPLICATE_INVOICE] = register_class_Dargah_DuplicateInvoiceException(base);
	dargah_ce_kind[KIND_INVALID_CALLBACK] = register_class_Dargah_InvalidCallbackException(base);
	dargah_ce_kind[KIND_GATEWAY_REJECTED] = register_class_Dargah_GatewayRejectedException(base);
	dargah_ce_kind[KIND_MALFORMED_RESPONSE] = register_class_Dargah_MalformedResponseException(base);
	dargah_ce_kind[KIND_GATEWAY_UNAVAILABLE] = register_class_Dargah_GatewayUnavailableException(base);
	dargah_ce_kind[KIND_NETWORK] = register_class_Dargah_NetworkException(base);
	dargah_ce_kind[KIND_TIMEOUT] = register_class_Dargah_TimeoutException(base);
	dargah_ce_kind[KIND_STORE] = register_class_Dargah_StoreException(base);
	dargah_ce_kind[KIND_UNSUPPORTED] = register_class_Dargah_UnsupportedException(base);
	dargah_ce_kind[KIND_INTERNAL] = register_class_Dargah_InternalException(base);
	dargah_ce_kind[KIND_IN_DOUBT] = register_class_Dargah_InDoubtException(base);
	dargah_ce_kind[KIND_RATE_LIMITED] = register_class_Dargah_RateLimitedException(base);
}

static PHP_MINIT_FUNCTION(dargah)
{
	dargah_ce_outcome_kind = register_class_Dargah_OutcomeKind();
	dargah_ce_payment_state = register_class_Dargah_PaymentState();
	dargah_ce_client = register_class_Dargah_Client();
	dargah_ce_redirect = register_class_Dargah_Redirect();
	dargah_ce_payment = register_class_Dargah_Payment();
	dargah_ce_outcome = register_class_Dargah_Outcome();
	register_exceptions();
	dargah_client_register_handlers();

	REGISTER_NS_STRING_CONSTANT("Dargah", "VERSION", PHP_DARGAH_VERSION, CONST_CS | CONST_PERSISTENT);
	return SUCCESS;
}

static PHP_MINFO_FUNCTION(dargah)
{
	char clients[32];
	snprintf(clients, sizeof clients, "%zu", dargah_shared_client_count());

	php_info_print_table_start();
	php_info_print_table_row(2, "dargah support", "enabled");
	php_info_print_table_row(2, "extension version", PHP_DARGAH_VERSION);
	/* A static string: reading it starts nothing. */
	php_info_print_table_row(2, "libdargah version", dargah_version());
	php_info_print_table_row(2, "clients kept by this process", clients);
	php_info_print_table_end();
}

static const zend_module_dep dargah_deps[] = {
	ZEND_MOD_REQUIRED("json")
	ZEND_MOD_REQUIRED("date")
	ZEND_MOD_REQUIRED("spl")
	ZEND_MOD_END
};

zend_module_entry dargah_module_entry = {
	STANDARD_MODULE_HEADER_EX,
	NULL,
	dargah_deps,
	"dargah",
	NULL,
	PHP_MINIT(dargah),
	NULL, /* no MSHUTDOWN: see the top of this file */
	NULL,
	NULL,
	PHP_MINFO(dargah),
	PHP_DARGAH_VERSION,
	STANDARD_MODULE_PROPERTIES
};

#ifdef COMPILE_DL_DARGAH
#ifdef ZTS
ZEND_TSRMLS_CACHE_DEFINE()
#endif
ZEND_GET_MODULE(dargah)
#endif
