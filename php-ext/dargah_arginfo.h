/* This is a generated file, edit the .stub.php file instead.
 * Stub hash: e7e2cff70786a32edc4b1d16862301ade9582a44 */

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_Dargah_Client___construct, 0, 0, 1)
	ZEND_ARG_TYPE_MASK(0, config, MAY_BE_ARRAY|MAY_BE_STRING, NULL)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_Dargah_Client_createPayment, 0, 4, Dargah\\Payment, 0)
	ZEND_ARG_TYPE_INFO(0, gateway, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, invoiceId, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO(0, amount, IS_LONG, 0)
	ZEND_ARG_TYPE_INFO(0, callbackUrl, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, mobile, IS_STRING, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, description, IS_STRING, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, vandar, IS_ARRAY, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, account, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_Dargah_Client_payment, 0, 1, Dargah\\Payment, 0)
	ZEND_ARG_TYPE_INFO(0, paymentId, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Dargah_Client_payments, 0, 0, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, state, IS_STRING, 1, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, limit, IS_LONG, 0, "100")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, offset, IS_LONG, 0, "0")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_OBJ_INFO_EX(arginfo_class_Dargah_Client_handleCallback, 0, 1, Dargah\\Outcome, 0)
	ZEND_ARG_TYPE_INFO(0, gateway, IS_STRING, 0)
	ZEND_ARG_TYPE_MASK(0, query, MAY_BE_ARRAY|MAY_BE_STRING|MAY_BE_NULL, "null")
	ZEND_ARG_TYPE_MASK(0, body, MAY_BE_ARRAY|MAY_BE_STRING|MAY_BE_NULL, "null")
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, account, IS_STRING, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Dargah_Client_acknowledge, 0, 1, _IS_BOOL, 0)
	ZEND_ARG_TYPE_INFO(0, paymentId, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Dargah_Client_unacknowledged, 0, 0, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, limit, IS_LONG, 0, "100")
ZEND_END_ARG_INFO()

#define arginfo_class_Dargah_Client_recover arginfo_class_Dargah_Client_unacknowledged

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Dargah_Client_call, 0, 1, IS_MIXED, 0)
	ZEND_ARG_TYPE_INFO(0, operation, IS_STRING, 0)
	ZEND_ARG_TYPE_INFO_WITH_DEFAULT_VALUE(0, params, IS_ARRAY, 1, "null")
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Dargah_Client_events, 0, 1, IS_ARRAY, 0)
	ZEND_ARG_TYPE_INFO(0, paymentId, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Dargah_Client_setLogger, 0, 1, IS_VOID, 0)
	ZEND_ARG_TYPE_INFO(0, logger, IS_MIXED, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_INFO_EX(arginfo_class_Dargah_Redirect___construct, 0, 0, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Dargah_Redirect_isPost, 0, 0, _IS_BOOL, 0)
ZEND_END_ARG_INFO()

#define arginfo_class_Dargah_Payment___construct arginfo_class_Dargah_Redirect___construct

#define arginfo_class_Dargah_Payment_isPaid arginfo_class_Dargah_Redirect_isPost

#define arginfo_class_Dargah_Outcome___construct arginfo_class_Dargah_Redirect___construct

#define arginfo_class_Dargah_Outcome_isNewlyPaid arginfo_class_Dargah_Redirect_isPost

#define arginfo_class_Dargah_Outcome_isPaid arginfo_class_Dargah_Redirect_isPost

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Dargah_Exception_getKind, 0, 0, IS_STRING, 0)
ZEND_END_ARG_INFO()

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Dargah_Exception_getGatewayCode, 0, 0, IS_STRING, 1)
ZEND_END_ARG_INFO()

#define arginfo_class_Dargah_Exception_getGatewayMessage arginfo_class_Dargah_Exception_getGatewayCode

ZEND_BEGIN_ARG_WITH_RETURN_TYPE_INFO_EX(arginfo_class_Dargah_Exception_getHttpStatus, 0, 0, IS_LONG, 1)
ZEND_END_ARG_INFO()

#define arginfo_class_Dargah_Exception_isInDoubt arginfo_class_Dargah_Redirect_isPost


ZEND_METHOD(Dargah_Client, __construct);
ZEND_METHOD(Dargah_Client, createPayment);
ZEND_METHOD(Dargah_Client, payment);
ZEND_METHOD(Dargah_Client, payments);
ZEND_METHOD(Dargah_Client, handleCallback);
ZEND_METHOD(Dargah_Client, acknowledge);
ZEND_METHOD(Dargah_Client, unacknowledged);
ZEND_METHOD(Dargah_Client, recover);
ZEND_METHOD(Dargah_Client, call);
ZEND_METHOD(Dargah_Client, events);
ZEND_METHOD(Dargah_Client, setLogger);
ZEND_METHOD(Dargah_Redirect, __construct);
ZEND_METHOD(Dargah_Redirect, isPost);
ZEND_METHOD(Dargah_Payment, __construct);
ZEND_METHOD(Dargah_Payment, isPaid);
ZEND_METHOD(Dargah_Outcome, __construct);
ZEND_METHOD(Dargah_Outcome, isNewlyPaid);
ZEND_METHOD(Dargah_Outcome, isPaid);
ZEND_METHOD(Dargah_Exception, getKind);
ZEND_METHOD(Dargah_Exception, getGatewayCode);
ZEND_METHOD(Dargah_Exception, getGatewayMessage);
ZEND_METHOD(Dargah_Exception, getHttpStatus);
ZEND_METHOD(Dargah_Exception, isInDoubt);


static const zend_function_entry class_Dargah_OutcomeKind_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_PaymentState_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_Client_methods[] = {
	ZEND_ME(Dargah_Client, __construct, arginfo_class_Dargah_Client___construct, ZEND_ACC_PUBLIC)
	ZEND_ME(Dargah_Client, createPayment, arginfo_class_Dargah_Client_createPayment, ZEND_ACC_PUBLIC)
	ZEND_ME(Dargah_Client, payment, arginfo_class_Dargah_Client_payment, ZEND_ACC_PUBLIC)
	ZEND_ME(Dargah_Client, payments, arginfo_class_Dargah_Client_payments, ZEND_ACC_PUBLIC)
	ZEND_ME(Dargah_Client, handleCallback, arginfo_class_Dargah_Client_handleCallback, ZEND_ACC_PUBLIC)
	ZEND_ME(Dargah_Client, acknowledge, arginfo_class_Dargah_Client_acknowledge, ZEND_ACC_PUBLIC)
	ZEND_ME(Dargah_Client, unacknowledged, arginfo_class_Dargah_Client_unacknowledged, ZEND_ACC_PUBLIC)
	ZEND_ME(Dargah_Client, recover, arginfo_class_Dargah_Client_recover, ZEND_ACC_PUBLIC)
	ZEND_ME(Dargah_Client, call, arginfo_class_Dargah_Client_call, ZEND_ACC_PUBLIC)
	ZEND_ME(Dargah_Client, events, arginfo_class_Dargah_Client_events, ZEND_ACC_PUBLIC)
	ZEND_ME(Dargah_Client, setLogger, arginfo_class_Dargah_Client_setLogger, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_Redirect_methods[] = {
	ZEND_ME(Dargah_Redirect, __construct, arginfo_class_Dargah_Redirect___construct, ZEND_ACC_PRIVATE)
	ZEND_ME(Dargah_Redirect, isPost, arginfo_class_Dargah_Redirect_isPost, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_Payment_methods[] = {
	ZEND_ME(Dargah_Payment, __construct, arginfo_class_Dargah_Payment___construct, ZEND_ACC_PRIVATE)
	ZEND_ME(Dargah_Payment, isPaid, arginfo_class_Dargah_Payment_isPaid, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_Outcome_methods[] = {
	ZEND_ME(Dargah_Outcome, __construct, arginfo_class_Dargah_Outcome___construct, ZEND_ACC_PRIVATE)
	ZEND_ME(Dargah_Outcome, isNewlyPaid, arginfo_class_Dargah_Outcome_isNewlyPaid, ZEND_ACC_PUBLIC)
	ZEND_ME(Dargah_Outcome, isPaid, arginfo_class_Dargah_Outcome_isPaid, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_Exception_methods[] = {
	ZEND_ME(Dargah_Exception, getKind, arginfo_class_Dargah_Exception_getKind, ZEND_ACC_PUBLIC)
	ZEND_ME(Dargah_Exception, getGatewayCode, arginfo_class_Dargah_Exception_getGatewayCode, ZEND_ACC_PUBLIC)
	ZEND_ME(Dargah_Exception, getGatewayMessage, arginfo_class_Dargah_Exception_getGatewayMessage, ZEND_ACC_PUBLIC)
	ZEND_ME(Dargah_Exception, getHttpStatus, arginfo_class_Dargah_Exception_getHttpStatus, ZEND_ACC_PUBLIC)
	ZEND_ME(Dargah_Exception, isInDoubt, arginfo_class_Dargah_Exception_isInDoubt, ZEND_ACC_PUBLIC)
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_InvalidInputException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_InvalidArgumentException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_ConfigException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_UnknownPaymentException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_DuplicateInvoiceException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_InvalidCallbackException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_GatewayRejectedException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_MalformedResponseException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_GatewayUnavailableException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_NetworkException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_TimeoutException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_StoreException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_UnsupportedException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_InternalException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_InDoubtException_methods[] = {
	ZEND_FE_END
};


static const zend_function_entry class_Dargah_RateLimitedException_methods[] = {
	ZEND_FE_END
};

static zend_class_entry *register_class_Dargah_OutcomeKind(void)
{
	zend_class_entry *class_entry = zend_register_internal_enum("Dargah\\OutcomeKind", IS_STRING, class_Dargah_OutcomeKind_methods);

	zval enum_case_NewlyPaid_value;
	zend_string *enum_case_NewlyPaid_value_str = zend_string_init("newly_paid", strlen("newly_paid"), 1);
	ZVAL_STR(&enum_case_NewlyPaid_value, enum_case_NewlyPaid_value_str);
	zend_enum_add_case_cstr(class_entry, "NewlyPaid", &enum_case_NewlyPaid_value);

	zval enum_case_AlreadyPaid_value;
	zend_string *enum_case_AlreadyPaid_value_str = zend_string_init("already_paid", strlen("already_paid"), 1);
	ZVAL_STR(&enum_case_AlreadyPaid_value, enum_case_AlreadyPaid_value_str);
	zend_enum_add_case_cstr(class_entry, "AlreadyPaid", &enum_case_AlreadyPaid_value);

	zval enum_case_Failed_value;
	zend_string *enum_case_Failed_value_str = zend_string_init("failed", strlen("failed"), 1);
	ZVAL_STR(&enum_case_Failed_value, enum_case_Failed_value_str);
	zend_enum_add_case_cstr(class_entry, "Failed", &enum_case_Failed_value);

	zval enum_case_Cancelled_value;
	zend_string *enum_case_Cancelled_value_str = zend_string_init("cancelled", strlen("cancelled"), 1);
	ZVAL_STR(&enum_case_Cancelled_value, enum_case_Cancelled_value_str);
	zend_enum_add_case_cstr(class_entry, "Cancelled", &enum_case_Cancelled_value);

	zval enum_case_InProgress_value;
	zend_string *enum_case_InProgress_value_str = zend_string_init("in_progress", strlen("in_progress"), 1);
	ZVAL_STR(&enum_case_InProgress_value, enum_case_InProgress_value_str);
	zend_enum_add_case_cstr(class_entry, "InProgress", &enum_case_InProgress_value);

	zval enum_case_NeedsReview_value;
	zend_string *enum_case_NeedsReview_value_str = zend_string_init("needs_review", strlen("needs_review"), 1);
	ZVAL_STR(&enum_case_NeedsReview_value, enum_case_NeedsReview_value_str);
	zend_enum_add_case_cstr(class_entry, "NeedsReview", &enum_case_NeedsReview_value);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_PaymentState(void)
{
	zend_class_entry *class_entry = zend_register_internal_enum("Dargah\\PaymentState", IS_STRING, class_Dargah_PaymentState_methods);

	zval enum_case_Created_value;
	zend_string *enum_case_Created_value_str = zend_string_init("created", strlen("created"), 1);
	ZVAL_STR(&enum_case_Created_value, enum_case_Created_value_str);
	zend_enum_add_case_cstr(class_entry, "Created", &enum_case_Created_value);

	zval enum_case_Awaiting_value;
	zend_string *enum_case_Awaiting_value_str = zend_string_init("awaiting", strlen("awaiting"), 1);
	ZVAL_STR(&enum_case_Awaiting_value, enum_case_Awaiting_value_str);
	zend_enum_add_case_cstr(class_entry, "Awaiting", &enum_case_Awaiting_value);

	zval enum_case_Verifying_value;
	zend_string *enum_case_Verifying_value_str = zend_string_init("verifying", strlen("verifying"), 1);
	ZVAL_STR(&enum_case_Verifying_value, enum_case_Verifying_value_str);
	zend_enum_add_case_cstr(class_entry, "Verifying", &enum_case_Verifying_value);

	zval enum_case_InDoubt_value;
	zend_string *enum_case_InDoubt_value_str = zend_string_init("in_doubt", strlen("in_doubt"), 1);
	ZVAL_STR(&enum_case_InDoubt_value, enum_case_InDoubt_value_str);
	zend_enum_add_case_cstr(class_entry, "InDoubt", &enum_case_InDoubt_value);

	zval enum_case_Paid_value;
	zend_string *enum_case_Paid_value_str = zend_string_init("paid", strlen("paid"), 1);
	ZVAL_STR(&enum_case_Paid_value, enum_case_Paid_value_str);
	zend_enum_add_case_cstr(class_entry, "Paid", &enum_case_Paid_value);

	zval enum_case_Failed_value;
	zend_string *enum_case_Failed_value_str = zend_string_init("failed", strlen("failed"), 1);
	ZVAL_STR(&enum_case_Failed_value, enum_case_Failed_value_str);
	zend_enum_add_case_cstr(class_entry, "Failed", &enum_case_Failed_value);

	zval enum_case_Cancelled_value;
	zend_string *enum_case_Cancelled_value_str = zend_string_init("cancelled", strlen("cancelled"), 1);
	ZVAL_STR(&enum_case_Cancelled_value, enum_case_Cancelled_value_str);
	zend_enum_add_case_cstr(class_entry, "Cancelled", &enum_case_Cancelled_value);

	zval enum_case_Expired_value;
	zend_string *enum_case_Expired_value_str = zend_string_init("expired", strlen("expired"), 1);
	ZVAL_STR(&enum_case_Expired_value, enum_case_Expired_value_str);
	zend_enum_add_case_cstr(class_entry, "Expired", &enum_case_Expired_value);

	zval enum_case_NeedsReview_value;
	zend_string *enum_case_NeedsReview_value_str = zend_string_init("needs_review", strlen("needs_review"), 1);
	ZVAL_STR(&enum_case_NeedsReview_value, enum_case_NeedsReview_value_str);
	zend_enum_add_case_cstr(class_entry, "NeedsReview", &enum_case_NeedsReview_value);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_Client(void)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Dargah", "Client", class_Dargah_Client_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES|ZEND_ACC_NOT_SERIALIZABLE;


	zend_add_parameter_attribute(zend_hash_str_find_ptr(&class_entry->function_table, "__construct", sizeof("__construct") - 1), 0, ZSTR_KNOWN(ZEND_STR_SENSITIVEPARAMETER), 0);

	zend_add_parameter_attribute(zend_hash_str_find_ptr(&class_entry->function_table, "call", sizeof("call") - 1), 1, ZSTR_KNOWN(ZEND_STR_SENSITIVEPARAMETER), 0);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_Redirect(void)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Dargah", "Redirect", class_Dargah_Redirect_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES;

	zval property_method_default_value;
	ZVAL_UNDEF(&property_method_default_value);
	zend_string *property_method_name = zend_string_init("method", sizeof("method") - 1, 1);
	zend_declare_typed_property(class_entry, property_method_name, &property_method_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_method_name);

	zval property_url_default_value;
	ZVAL_UNDEF(&property_url_default_value);
	zend_string *property_url_name = zend_string_init("url", sizeof("url") - 1, 1);
	zend_declare_typed_property(class_entry, property_url_name, &property_url_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_url_name);

	zval property_fields_default_value;
	ZVAL_UNDEF(&property_fields_default_value);
	zend_string *property_fields_name = zend_string_init("fields", sizeof("fields") - 1, 1);
	zend_declare_typed_property(class_entry, property_fields_name, &property_fields_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_ARRAY));
	zend_string_release(property_fields_name);

	zval property_html_default_value;
	ZVAL_UNDEF(&property_html_default_value);
	zend_string *property_html_name = zend_string_init("html", sizeof("html") - 1, 1);
	zend_declare_typed_property(class_entry, property_html_name, &property_html_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_html_name);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_Payment(void)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Dargah", "Payment", class_Dargah_Payment_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES;

	zval property_id_default_value;
	ZVAL_UNDEF(&property_id_default_value);
	zend_string *property_id_name = zend_string_init("id", sizeof("id") - 1, 1);
	zend_declare_typed_property(class_entry, property_id_name, &property_id_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_id_name);

	zval property_gateway_default_value;
	ZVAL_UNDEF(&property_gateway_default_value);
	zend_string *property_gateway_name = zend_string_init("gateway", sizeof("gateway") - 1, 1);
	zend_declare_typed_property(class_entry, property_gateway_name, &property_gateway_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_gateway_name);

	zval property_account_default_value;
	ZVAL_UNDEF(&property_account_default_value);
	zend_string *property_account_name = zend_string_init("account", sizeof("account") - 1, 1);
	zend_declare_typed_property(class_entry, property_account_name, &property_account_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_account_name);

	zval property_invoiceId_default_value;
	ZVAL_UNDEF(&property_invoiceId_default_value);
	zend_string *property_invoiceId_name = zend_string_init("invoiceId", sizeof("invoiceId") - 1, 1);
	zend_declare_typed_property(class_entry, property_invoiceId_name, &property_invoiceId_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_invoiceId_name);

	zval property_amount_default_value;
	ZVAL_UNDEF(&property_amount_default_value);
	zend_string *property_amount_name = zend_string_init("amount", sizeof("amount") - 1, 1);
	zend_declare_typed_property(class_entry, property_amount_name, &property_amount_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_LONG));
	zend_string_release(property_amount_name);

	zval property_verifiedAmount_default_value;
	ZVAL_UNDEF(&property_verifiedAmount_default_value);
	zend_string *property_verifiedAmount_name = zend_string_init("verifiedAmount", sizeof("verifiedAmount") - 1, 1);
	zend_declare_typed_property(class_entry, property_verifiedAmount_name, &property_verifiedAmount_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_LONG|MAY_BE_NULL));
	zend_string_release(property_verifiedAmount_name);

	zval property_callbackUrl_default_value;
	ZVAL_UNDEF(&property_callbackUrl_default_value);
	zend_string *property_callbackUrl_name = zend_string_init("callbackUrl", sizeof("callbackUrl") - 1, 1);
	zend_declare_typed_property(class_entry, property_callbackUrl_name, &property_callbackUrl_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING));
	zend_string_release(property_callbackUrl_name);

	zend_string *property_state_class_Dargah_PaymentState = zend_string_init("Dargah\\PaymentState", sizeof("Dargah\\PaymentState")-1, 1);
	zval property_state_default_value;
	ZVAL_UNDEF(&property_state_default_value);
	zend_string *property_state_name = zend_string_init("state", sizeof("state") - 1, 1);
	zend_declare_typed_property(class_entry, property_state_name, &property_state_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_CLASS(property_state_class_Dargah_PaymentState, 0, 0));
	zend_string_release(property_state_name);

	zval property_token_default_value;
	ZVAL_UNDEF(&property_token_default_value);
	zend_string *property_token_name = zend_string_init("token", sizeof("token") - 1, 1);
	zend_declare_typed_property(class_entry, property_token_name, &property_token_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING|MAY_BE_NULL));
	zend_string_release(property_token_name);

	zval property_reference_default_value;
	ZVAL_UNDEF(&property_reference_default_value);
	zend_string *property_reference_name = zend_string_init("reference", sizeof("reference") - 1, 1);
	zend_declare_typed_property(class_entry, property_reference_name, &property_reference_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING|MAY_BE_NULL));
	zend_string_release(property_reference_name);

	zval property_traceNumber_default_value;
	ZVAL_UNDEF(&property_traceNumber_default_value);
	zend_string *property_traceNumber_name = zend_string_init("traceNumber", sizeof("traceNumber") - 1, 1);
	zend_declare_typed_property(class_entry, property_traceNumber_name, &property_traceNumber_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING|MAY_BE_NULL));
	zend_string_release(property_traceNumber_name);

	zval property_unverifiedTraceNumber_default_value;
	ZVAL_UNDEF(&property_unverifiedTraceNumber_default_value);
	zend_string *property_unverifiedTraceNumber_name = zend_string_init("unverifiedTraceNumber", sizeof("unverifiedTraceNumber") - 1, 1);
	zend_declare_typed_property(class_entry, property_unverifiedTraceNumber_name, &property_unverifiedTraceNumber_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING|MAY_BE_NULL));
	zend_string_release(property_unverifiedTraceNumber_name);

	zval property_maskedCard_default_value;
	ZVAL_UNDEF(&property_maskedCard_default_value);
	zend_string *property_maskedCard_name = zend_string_init("maskedCard", sizeof("maskedCard") - 1, 1);
	zend_declare_typed_property(class_entry, property_maskedCard_name, &property_maskedCard_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING|MAY_BE_NULL));
	zend_string_release(property_maskedCard_name);

	zval property_note_default_value;
	ZVAL_UNDEF(&property_note_default_value);
	zend_string *property_note_name = zend_string_init("note", sizeof("note") - 1, 1);
	zend_declare_typed_property(class_entry, property_note_name, &property_note_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING|MAY_BE_NULL));
	zend_string_release(property_note_name);

	zend_string *property_createdAt_class_DateTimeImmutable = zend_string_init("DateTimeImmutable", sizeof("DateTimeImmutable")-1, 1);
	zval property_createdAt_default_value;
	ZVAL_UNDEF(&property_createdAt_default_value);
	zend_string *property_createdAt_name = zend_string_init("createdAt", sizeof("createdAt") - 1, 1);
	zend_declare_typed_property(class_entry, property_createdAt_name, &property_createdAt_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_CLASS(property_createdAt_class_DateTimeImmutable, 0, 0));
	zend_string_release(property_createdAt_name);

	zend_string *property_updatedAt_class_DateTimeImmutable = zend_string_init("DateTimeImmutable", sizeof("DateTimeImmutable")-1, 1);
	zval property_updatedAt_default_value;
	ZVAL_UNDEF(&property_updatedAt_default_value);
	zend_string *property_updatedAt_name = zend_string_init("updatedAt", sizeof("updatedAt") - 1, 1);
	zend_declare_typed_property(class_entry, property_updatedAt_name, &property_updatedAt_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_CLASS(property_updatedAt_class_DateTimeImmutable, 0, 0));
	zend_string_release(property_updatedAt_name);

	zend_string *property_deadlineAt_class_DateTimeImmutable = zend_string_init("DateTimeImmutable", sizeof("DateTimeImmutable")-1, 1);
	zval property_deadlineAt_default_value;
	ZVAL_UNDEF(&property_deadlineAt_default_value);
	zend_string *property_deadlineAt_name = zend_string_init("deadlineAt", sizeof("deadlineAt") - 1, 1);
	zend_declare_typed_property(class_entry, property_deadlineAt_name, &property_deadlineAt_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_CLASS(property_deadlineAt_class_DateTimeImmutable, 0, 0));
	zend_string_release(property_deadlineAt_name);

	zend_string *property_paidAt_class_DateTimeImmutable = zend_string_init("DateTimeImmutable", sizeof("DateTimeImmutable")-1, 1);
	zval property_paidAt_default_value;
	ZVAL_UNDEF(&property_paidAt_default_value);
	zend_string *property_paidAt_name = zend_string_init("paidAt", sizeof("paidAt") - 1, 1);
	zend_declare_typed_property(class_entry, property_paidAt_name, &property_paidAt_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_CLASS(property_paidAt_class_DateTimeImmutable, 0, MAY_BE_NULL));
	zend_string_release(property_paidAt_name);

	zend_string *property_acknowledgedAt_class_DateTimeImmutable = zend_string_init("DateTimeImmutable", sizeof("DateTimeImmutable")-1, 1);
	zval property_acknowledgedAt_default_value;
	ZVAL_UNDEF(&property_acknowledgedAt_default_value);
	zend_string *property_acknowledgedAt_name = zend_string_init("acknowledgedAt", sizeof("acknowledgedAt") - 1, 1);
	zend_declare_typed_property(class_entry, property_acknowledgedAt_name, &property_acknowledgedAt_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_CLASS(property_acknowledgedAt_class_DateTimeImmutable, 0, MAY_BE_NULL));
	zend_string_release(property_acknowledgedAt_name);

	zend_string *property_redirect_class_Dargah_Redirect = zend_string_init("Dargah\\Redirect", sizeof("Dargah\\Redirect")-1, 1);
	zval property_redirect_default_value;
	ZVAL_UNDEF(&property_redirect_default_value);
	zend_string *property_redirect_name = zend_string_init("redirect", sizeof("redirect") - 1, 1);
	zend_declare_typed_property(class_entry, property_redirect_name, &property_redirect_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_CLASS(property_redirect_class_Dargah_Redirect, 0, MAY_BE_NULL));
	zend_string_release(property_redirect_name);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_Outcome(void)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Dargah", "Outcome", class_Dargah_Outcome_methods);
	class_entry = zend_register_internal_class_ex(&ce, NULL);
	class_entry->ce_flags |= ZEND_ACC_FINAL|ZEND_ACC_NO_DYNAMIC_PROPERTIES;

	zend_string *property_kind_class_Dargah_OutcomeKind = zend_string_init("Dargah\\OutcomeKind", sizeof("Dargah\\OutcomeKind")-1, 1);
	zval property_kind_default_value;
	ZVAL_UNDEF(&property_kind_default_value);
	zend_string *property_kind_name = zend_string_init("kind", sizeof("kind") - 1, 1);
	zend_declare_typed_property(class_entry, property_kind_name, &property_kind_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_CLASS(property_kind_class_Dargah_OutcomeKind, 0, 0));
	zend_string_release(property_kind_name);

	zend_string *property_payment_class_Dargah_Payment = zend_string_init("Dargah\\Payment", sizeof("Dargah\\Payment")-1, 1);
	zval property_payment_default_value;
	ZVAL_UNDEF(&property_payment_default_value);
	zend_string *property_payment_name = zend_string_init("payment", sizeof("payment") - 1, 1);
	zend_declare_typed_property(class_entry, property_payment_name, &property_payment_default_value, ZEND_ACC_PUBLIC|ZEND_ACC_READONLY, NULL, (zend_type) ZEND_TYPE_INIT_CLASS(property_payment_class_Dargah_Payment, 0, 0));
	zend_string_release(property_payment_name);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_Exception(zend_class_entry *class_entry_RuntimeException)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Dargah", "Exception", class_Dargah_Exception_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_RuntimeException);
	class_entry->ce_flags |= ZEND_ACC_ABSTRACT;

	zval property_gatewayCode_default_value;
	ZVAL_NULL(&property_gatewayCode_default_value);
	zend_string *property_gatewayCode_name = zend_string_init("gatewayCode", sizeof("gatewayCode") - 1, 1);
	zend_declare_typed_property(class_entry, property_gatewayCode_name, &property_gatewayCode_default_value, ZEND_ACC_PROTECTED, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING|MAY_BE_NULL));
	zend_string_release(property_gatewayCode_name);

	zval property_gatewayMessage_default_value;
	ZVAL_NULL(&property_gatewayMessage_default_value);
	zend_string *property_gatewayMessage_name = zend_string_init("gatewayMessage", sizeof("gatewayMessage") - 1, 1);
	zend_declare_typed_property(class_entry, property_gatewayMessage_name, &property_gatewayMessage_default_value, ZEND_ACC_PROTECTED, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_STRING|MAY_BE_NULL));
	zend_string_release(property_gatewayMessage_name);

	zval property_httpStatus_default_value;
	ZVAL_NULL(&property_httpStatus_default_value);
	zend_string *property_httpStatus_name = zend_string_init("httpStatus", sizeof("httpStatus") - 1, 1);
	zend_declare_typed_property(class_entry, property_httpStatus_name, &property_httpStatus_default_value, ZEND_ACC_PROTECTED, NULL, (zend_type) ZEND_TYPE_INIT_MASK(MAY_BE_LONG|MAY_BE_NULL));
	zend_string_release(property_httpStatus_name);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_InvalidInputException(zend_class_entry *class_entry_Dargah_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Dargah", "InvalidInputException", class_Dargah_InvalidInputException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_Dargah_Exception);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_InvalidArgumentException(zend_class_entry *class_entry_Dargah_InvalidInputException)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Dargah", "InvalidArgumentException", class_Dargah_InvalidArgumentException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_Dargah_InvalidInputException);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_ConfigException(zend_class_entry *class_entry_Dargah_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Dargah", "ConfigException", class_Dargah_ConfigException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_Dargah_Exception);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_UnknownPaymentException(zend_class_entry *class_entry_Dargah_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Dargah", "UnknownPaymentException", class_Dargah_UnknownPaymentException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_Dargah_Exception);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_DuplicateInvoiceException(zend_class_entry *class_entry_Dargah_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Dargah", "DuplicateInvoiceException", class_Dargah_DuplicateInvoiceException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_Dargah_Exception);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_InvalidCallbackException(zend_class_entry *class_entry_Dargah_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Dargah", "InvalidCallbackException", class_Dargah_InvalidCallbackException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_Dargah_Exception);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_GatewayRejectedException(zend_class_entry *class_entry_Dargah_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Dargah", "GatewayRejectedException", class_Dargah_GatewayRejectedException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_Dargah_Exception);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_MalformedResponseException(zend_class_entry *class_entry_Dargah_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Dargah", "MalformedResponseException", class_Dargah_MalformedResponseException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_Dargah_Exception);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_GatewayUnavailableException(zend_class_entry *class_entry_Dargah_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Dargah", "GatewayUnavailableException", class_Dargah_GatewayUnavailableException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_Dargah_Exception);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_NetworkException(zend_class_entry *class_entry_Dargah_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Dargah", "NetworkException", class_Dargah_NetworkException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_Dargah_Exception);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_TimeoutException(zend_class_entry *class_entry_Dargah_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Dargah", "TimeoutException", class_Dargah_TimeoutException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_Dargah_Exception);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_StoreException(zend_class_entry *class_entry_Dargah_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Dargah", "StoreException", class_Dargah_StoreException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_Dargah_Exception);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_UnsupportedException(zend_class_entry *class_entry_Dargah_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Dargah", "UnsupportedException", class_Dargah_UnsupportedException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_Dargah_Exception);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_InternalException(zend_class_entry *class_entry_Dargah_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Dargah", "InternalException", class_Dargah_InternalException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_Dargah_Exception);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_InDoubtException(zend_class_entry *class_entry_Dargah_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Dargah", "InDoubtException", class_Dargah_InDoubtException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_Dargah_Exception);

	return class_entry;
}

static zend_class_entry *register_class_Dargah_RateLimitedException(zend_class_entry *class_entry_Dargah_Exception)
{
	zend_class_entry ce, *class_entry;

	INIT_NS_CLASS_ENTRY(ce, "Dargah", "RateLimitedException", class_Dargah_RateLimitedException_methods);
	class_entry = zend_register_internal_class_ex(&ce, class_entry_Dargah_Exception);

	return class_entry;
}
