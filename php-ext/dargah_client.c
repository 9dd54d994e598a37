/*
 * Dargah\Client: the payment flow and the core's generic operations.
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "dargah_internal.h"
#include "ext/standard/url.h"
#include "zend_smart_str.h"

/* A client the process keeps for one configuration text. */
typedef struct {
	DargahClient *client;
	uint32_t users;     /* Dargah\Client objects using it now: never freed while any does */
	uint64_t last_used; /* the least recently used is the one a new configuration replaces */
	pid_t pid;          /* made in this process (not inherited through pcntl_fork()): may be freed */
} shared_client;

typedef struct {
	DargahClient *client;
	bool owned; /* freed with this object; otherwise kept by the process */
	shared_client *shared; /* the process's entry this object uses, when not owned */
	zval logger; /* setLogger(): a callable, a PSR-3 logger, or null */
	zend_object std;
} client_object;

static zend_object_handlers client_handlers;

static inline client_object *client_from(zend_object *object)
{
	return (client_object *) ((char *) object - XtOffsetOf(client_object, std));
}

static zend_object *client_create(zend_class_entry *ce)
{
	client_object *object = zend_object_alloc(sizeof(client_object), ce);
	zend_object_std_init(&object->std, ce);
	object_properties_init(&object->std, ce);
	ZVAL_NULL(&object->logger);
	object->std.handlers = &client_handlers;
	return &object->std;
}

static void release_shared(shared_client *shared);

static void client_free(zend_object *std)
{
	client_object *object = client_from(std);
	if (object->owned) {
		dargah_client_free(object->client);
	} else if (object->shared) {
		release_shared(object->shared);
	}
	zval_ptr_dtor(&object->logger);
	zend_object_std_dtor(std);
}

void dargah_client_register_handlers(void)
{
	dargah_ce_client->create_object = client_create;
	memcpy(&client_handlers, zend_get_std_object_handlers(), sizeof client_handlers);
	client_handlers.offset = XtOffsetOf(client_object, std);
	client_handlers.free_obj = client_free;
	client_handlers.clone_obj = NULL; /* one client stands for one configuration */
#ifdef ZTS
	shared_clients_lock = tsrm_mutex_alloc(); /* a lock, not a thread: fine before fork() */
#endif
}

/*
 * Clients kept by the process, by configuration text, like persistent
 * database connections: a shop makes `new Dargah\Client($config)` in every
 * request, and each libdargah client has its own HTTP connection pool and
 * store handles, which should outlive the request. They are made during a
 * request (in a PHP-FPM worker, after the fork). A process keeps the
 * MAX_SHARED_CLIENTS most recently used configurations: a new one replaces
 * the least recently used that no object is using, and that client is freed
 * (its connections closed) — a shop whose settings changed 50 times keeps no
 * client per old version. Only when every kept client is in use (a
 * multi-tenant script holding them all) does a client live only as long as
 * its object. A client inherited through pcntl_fork() is never freed in the
 * child (that would close the parent's connections); it stays kept.
 */
#define MAX_SHARED_CLIENTS 16

static HashTable *shared_clients;
static uint64_t shared_use_clock;
#ifdef ZTS
static MUTEX_T shared_clients_lock;
#define LOCK_SHARED() tsrm_mutex_lock(shared_clients_lock)
#define UNLOCK_SHARED() tsrm_mutex_unlock(shared_clients_lock)
#else
#define LOCK_SHARED()
#define UNLOCK_SHARED()
#endif

size_t dargah_shared_client_count(void)
{
	return shared_clients ? zend_hash_num_elements(shared_clients) : 0;
}

static void release_shared(shared_client *shared)
{
	LOCK_SHARED();
	shared->users--;
	UNLOCK_SHARED();
}

/* Under the lock: take the least recently used client no object uses (made in
 * this process) out of the table; NULL if there is none. */
static shared_client *take_least_recently_used(void)
{
	zend_string *key, *victim_key = NULL;
	shared_client *entry, *victim = NULL;
	pid_t me = getpid();
	ZEND_HASH_FOREACH_STR_KEY_PTR(shared_clients, key, entry) {
		if (entry->users == 0 && entry->pid == me && (!victim || entry->last_used < victim->last_used)) {
			victim = entry;
			victim_key = key;
		}
	} ZEND_HASH_FOREACH_END();
	if (victim) {
		zend_hash_del(shared_clients, victim_key);
	}
	return victim;
}

/* The client for a configuration text: the process's own, or a new one. */
static DargahClient *client_for(zend_string *config, bool *owned, shared_client **shared)
{
	LOCK_SHARED();
	shared_client *entry = shared_clients ? zend_hash_find_ptr(shared_clients, config) : NULL;
	if (entry) {
		entry->users++;
		entry->last_used = ++shared_use_clock;
		UNLOCK_SHARED();
		*owned = false;
		*shared = entry;
		return entry->client;
	}
	DargahClient *client = NULL;
	DargahStatus status = dargah_client_new(ZSTR_VAL(config), &client);
	if (status != DARGAH_OK) {
		UNLOCK_SHARED();
		dargah_throw_status(status);
		return NULL;
	}
	*owned = true;
	*shared = NULL;
	if (!shared_clients) {
		shared_clients = pemalloc(sizeof(HashTable), true);
		zend_hash_init(shared_clients, 4, NULL, NULL, true);
	}
	shared_client *replaced = NULL;
	if (zend_hash_num_elements(shared_clients) >= MAX_SHARED_CLIENTS) {
		replaced = take_least_recently_used();
	}
	if (zend_hash_num_elements(shared_clients) < MAX_SHARED_CLIENTS) {
		entry = pemalloc(sizeof(shared_client), true);
		*entry = (shared_client) {.client = client, .users = 1, .last_used = ++shared_use_clock, .pid = getpid()};
		zend_string *key = zend_string_init(ZSTR_VAL(config), ZSTR_LEN(config), true);
		zend_hash_add_new_ptr(shared_clients, key, entry);
		zend_string_release(key);
		*owned = false;
		*shared = entry;
	}
	UNLOCK_SHARED();
	if (replaced) {
		dargah_client_free(replaced->client); /* outside the lock: it closes connections */
		pefree(replaced, true);
	}
	return client;
}

/* The libdargah client of $this; NULL after throwing if it was never
 * constructed. Its audit events are collected from here on when $this has a
 * logger; `finish()` hands them over. */
static DargahClient *this_client(zval *this)
{
	client_object *object = client_from(Z_OBJ_P(this));
	if (!object->client) {
		zend_throw_error(NULL, "Dargah\\Client is not constructed");
		return NULL;
	}
	dargah_log_begin(&object->logger);
	return object->client;
}

/* After a libdargah call: its exception if it failed, then its events to $this's logger. False if the call failed. */
static bool finish(zval *this, DargahStatus status)
{
	return dargah_log_finish(&client_from(Z_OBJ_P(this))->logger, status);
}

ZEND_METHOD(Dargah_Client, __construct)
{
	zval *config_value;
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_ZVAL(config_value)
	DARGAH_PARSE_PARAMETERS_END();

	client_object *object = client_from(Z_OBJ_P(ZEND_THIS));
	if (object->client) {
		zend_throw_error(NULL, "Dargah\\Client is already constructed");
		RETURN_THROWS();
	}

	zend_string *config;
	if (Z_TYPE_P(config_value) == IS_ARRAY) {
		HashTable *config_array = Z_ARRVAL_P(config_value);
		if (zend_hash_num_elements(config_array) > 0 && zend_array_is_list(config_array)) {
			/* JSON would make it a list, which the core could read field by field. */
			dargah_throw(KIND_CONFIG, "config must be an array of keys and values, not a list");
			RETURN_THROWS();
		}
		/* The caller's own zval, never one made with ZVAL_ARR(): a `require`d
		 * configuration is an immutable array in opcache's shared memory, and
		 * only its zval says it must not be reference-counted. json_encode()
		 * counts a reference to every array it encodes; counted on the shared
		 * array, four workers' unlocked counts corrupt it for all of them. */
		config = dargah_json_encode(config_value, KIND_CONFIG, "config");
		if (!config) {
			RETURN_THROWS();
		}
	} else if (Z_TYPE_P(config_value) == IS_STRING) {
		if (zend_str_has_nul_byte(Z_STR_P(config_value))) {
			dargah_argument_error(1, "must not contain any null bytes");
			RETURN_THROWS();
		}
		config = zend_string_copy(Z_STR_P(config_value));
	} else {
		dargah_argument_error(1, "must be of type array|string, %s given", zend_zval_type_name(config_value));
		RETURN_THROWS();
	}
	object->client = client_for(config, &object->owned, &object->shared);
	zend_string_release(config);
}

/* Run one of the core's operations: `params` (NULL: none) in, decoded JSON out. */
static bool call_operation(zval *this, DargahClient *client, const char *operation, zval *params, zval *out)
{
	zend_string *params_json = NULL;
	if (params) {
		params_json = dargah_json_encode(params, KIND_INVALID_INPUT, "params");
		if (!params_json) {
			return false;
		}
	}
	char *answer;
	DargahStatus status = dargah_client_call(client, operation, params_json ? ZSTR_VAL(params_json) : "null", &answer);
	if (params_json) {
		zend_string_release(params_json);
	}
	if (!finish(this, status)) {
		if (status == DARGAH_OK) {
			dargah_string_free(answer);
		}
		return false;
	}
	return dargah_json_take(answer, out);
}

/* A list of payments in the library's JSON shape, as Dargah\Payment objects, into return_value. */
static void return_payments(zval *json, zval *return_value)
{
	if (Z_TYPE_P(json) != IS_ARRAY) {
		dargah_throw(KIND_INTERNAL, "libdargah answered a payment list that is not a list");
		return;
	}
	array_init_size(return_value, zend_hash_num_elements(Z_ARRVAL_P(json)));
	zval *item, payment;
	ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(json), item) {
		if (!dargah_payment_from_json(item, &payment)) {
			zval_ptr_dtor(return_value);
			ZVAL_UNDEF(return_value);
			return;
		}
		add_next_index_zval(return_value, &payment);
	} ZEND_HASH_FOREACH_END();
}

ZEND_METHOD(Dargah_Client, createPayment)
{
	zend_string *gateway, *invoice_id, *callback_url, *mobile = NULL, *description = NULL, *account = NULL;
	zval *amount_value, *vandar = NULL;
	ZEND_PARSE_PARAMETERS_START(4, 8)
		Z_PARAM_PATH_STR(gateway)
		Z_PARAM_STR(invoice_id)
		Z_PARAM_ZVAL(amount_value)
		Z_PARAM_STR(callback_url)
		Z_PARAM_OPTIONAL
		Z_PARAM_STR_OR_NULL(mobile)
		Z_PARAM_STR_OR_NULL(description)
		Z_PARAM_ARRAY_OR_NULL(vandar)
		Z_PARAM_STR_OR_NULL(account)
	DARGAH_PARSE_PARAMETERS_END();

	/* Rials are whole: PHP would turn 125000.9 into 125000, true into 1 and
	 * "125000" into 125000 without a word (strict_types or not, for a bool). */
	if (Z_TYPE_P(amount_value) != IS_LONG) {
		dargah_argument_error(3, "must be an int (rials), %s given", zend_zval_type_name(amount_value));
		RETURN_THROWS();
	}
	zend_long amount = Z_LVAL_P(amount_value);

	DargahClient *client = this_client(ZEND_THIS);
	if (!client) {
		RETURN_THROWS();
	}

	/* The request as the C ABI takes it; the core checks every value. */
	zval request;
	array_init(&request);
	add_assoc_str(&request, "invoice_id", zend_string_copy(invoice_id));
	/* A negative amount is sent as 0, for the core to refuse in its own words. */
	add_assoc_long(&request, "amount", MAX(amount, 0));
	add_assoc_str(&request, "callback_url", zend_string_copy(callback_url));
	if (mobile) {
		add_assoc_str(&request, "mobile", zend_string_copy(mobile));
	}
	if (description) {
		add_assoc_str(&request, "description", zend_string_copy(description));
	}
	if (vandar) {
		/* A copy of the caller's zval: an immutable array stays uncounted (see __construct). */
		Z_TRY_ADDREF_P(vandar);
		add_assoc_zval(&request, "vandar", vandar);
	}
	if (account) {
		add_assoc_str(&request, "account", zend_string_copy(account));
	}
	zend_string *json = dargah_json_encode(&request, KIND_INVALID_INPUT, "request");
	zval_ptr_dtor(&request);
	if (!json) {
		RETURN_THROWS();
	}

	DargahPayment *payment;
	DargahStatus status = dargah_client_create_payment(client, ZSTR_VAL(gateway), ZSTR_VAL(json), &payment);
	zend_string_release(json);
	if (!finish(ZEND_THIS, status)) {
		if (status == DARGAH_OK) {
			dargah_payment_free(payment);
		}
		RETURN_THROWS();
	}
	dargah_payment_from_handle(payment, true, return_value);
	dargah_payment_free(payment);
}

ZEND_METHOD(Dargah_Client, payment)
{
	zend_string *payment_id;
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_PATH_STR(payment_id)
	DARGAH_PARSE_PARAMETERS_END();

	DargahClient *client = this_client(ZEND_THIS);
	if (!client) {
		RETURN_THROWS();
	}
	DargahPayment *payment;
	DargahStatus status = dargah_client_payment(client, ZSTR_VAL(payment_id), &payment);
	if (!finish(ZEND_THIS, status)) {
		if (status == DARGAH_OK) {
			dargah_payment_free(payment);
		}
		RETURN_THROWS();
	}
	dargah_payment_from_handle(payment, true, return_value);
	dargah_payment_free(payment);
}

ZEND_METHOD(Dargah_Client, payments)
{
	zend_string *state = NULL;
	zend_long limit = 100, offset = 0;
	ZEND_PARSE_PARAMETERS_START(0, 3)
		Z_PARAM_OPTIONAL
		Z_PARAM_STR_OR_NULL(state)
		Z_PARAM_LONG(limit)
		Z_PARAM_LONG(offset)
	DARGAH_PARSE_PARAMETERS_END();

	DargahClient *client = this_client(ZEND_THIS);
	if (!client) {
		RETURN_THROWS();
	}
	zval params, json;
	array_init(&params);
	if (state) {
		add_assoc_str(&params, "state", zend_string_copy(state));
	}
	add_assoc_long(&params, "limit", limit);
	add_assoc_long(&params, "offset", offset);
	bool ok = call_operation(ZEND_THIS, client, "payments.list", &params, &json);
	zval_ptr_dtor(&params);
	if (ok) {
		return_payments(&json, return_value);
		zval_ptr_dtor(&json);
	}
}

/*
 * One half of a callback as the raw urlencoded bytes the library parses:
 * a string is passed on as it came; an array ($_GET, $_POST) is encoded
 * back. Gateways send flat fields, so a nested array (`token[]=…`, which
 * only a forged request has) is an invalid callback, not a programming error.
 */
static bool callback_part(uint32_t arg, HashTable *fields, zend_string *raw, smart_str *out)
{
	if (raw) {
		smart_str_append(out, raw);
		return true;
	}
	if (!fields) {
		return true;
	}
	zend_string *key;
	zend_ulong index;
	zval *value;
	ZEND_HASH_FOREACH_KEY_VAL(fields, index, key, value) {
		ZVAL_DEREF(value);
		if (Z_TYPE_P(value) == IS_ARRAY) {
			dargah_throw(KIND_INVALID_CALLBACK, "callback %s: a field has several values; gateways send plain fields",
				arg == 2 ? "query" : "body");
			return false;
		}
		if (Z_TYPE_P(value) != IS_STRING && Z_TYPE_P(value) != IS_LONG) {
			dargah_argument_error(arg, "must contain only strings, %s given", zend_zval_type_name(value));
			return false;
		}
		if (smart_str_get_len(out) > 0) {
			smart_str_appendc(out, '&');
		}
		if (key) {
			zend_string *encoded = php_raw_url_encode(ZSTR_VAL(key), ZSTR_LEN(key));
			smart_str_append(out, encoded);
			zend_string_release(encoded);
		} else {
			smart_str_append_unsigned(out, index); /* PHP keeps "?5=x" as the integer key 5 */
		}
		smart_str_appendc(out, '=');
		zend_string *text = zval_get_string(value);
		zend_string *encoded = php_raw_url_encode(ZSTR_VAL(text), ZSTR_LEN(text));
		smart_str_append(out, encoded);
		zend_string_release(encoded);
		zend_string_release(text);
	} ZEND_HASH_FOREACH_END();
	return true;
}

ZEND_METHOD(Dargah_Client, handleCallback)
{
	zend_string *gateway, *query_raw = NULL, *body_raw = NULL, *account = NULL;
	HashTable *query_fields = NULL, *body_fields = NULL;
	ZEND_PARSE_PARAMETERS_START(1, 4)
		Z_PARAM_PATH_STR(gateway)
		Z_PARAM_OPTIONAL
		Z_PARAM_ARRAY_HT_OR_STR_OR_NULL(query_fields, query_raw)
		Z_PARAM_ARRAY_HT_OR_STR_OR_NULL(body_fields, body_raw)
		Z_PARAM_PATH_STR_OR_NULL(account)
	DARGAH_PARSE_PARAMETERS_END();

	DargahClient *client = this_client(ZEND_THIS);
	if (!client) {
		RETURN_THROWS();
	}
	smart_str query = {0}, body = {0};
	if (callback_part(2, query_fields, query_raw, &query) && callback_part(3, body_fields, body_raw, &body)) {
		DargahOutcome *outcome;
		/* Lengths, not NULs: raw bodies are bytes. A NULL pointer is allowed with length 0. */
		const uint8_t *query_bytes = query.s ? (const uint8_t *) ZSTR_VAL(query.s) : NULL;
		const uint8_t *body_bytes = body.s ? (const uint8_t *) ZSTR_VAL(body.s) : NULL;
		DargahStatus status = account
			? dargah_client_handle_account_callback(client, ZSTR_VAL(gateway), ZSTR_VAL(account),
				query_bytes, smart_str_get_len(&query), body_bytes, smart_str_get_len(&body), &outcome)
			: dargah_client_handle_callback(client, ZSTR_VAL(gateway),
				query_bytes, smart_str_get_len(&query), body_bytes, smart_str_get_len(&body), &outcome);
		if (finish(ZEND_THIS, status)) {
			dargah_outcome_from_handle(outcome, return_value);
		}
		if (status == DARGAH_OK) {
			dargah_outcome_free(outcome);
		}
	}
	smart_str_free(&query);
	smart_str_free(&body);
}

ZEND_METHOD(Dargah_Client, acknowledge)
{
	zend_string *payment_id;
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_PATH_STR(payment_id)
	DARGAH_PARSE_PARAMETERS_END();

	DargahClient *client = this_client(ZEND_THIS);
	if (!client) {
		RETURN_THROWS();
	}
	bool first;
	DargahStatus status = dargah_client_acknowledge(client, ZSTR_VAL(payment_id), &first);
	if (!finish(ZEND_THIS, status)) {
		RETURN_THROWS();
	}
	RETURN_BOOL(first);
}

/* {"limit": limit} */
static void limit_params(zend_long limit, zval *params)
{
	array_init(params);
	add_assoc_long(params, "limit", limit);
}

ZEND_METHOD(Dargah_Client, unacknowledged)
{
	zend_long limit = 100;
	ZEND_PARSE_PARAMETERS_START(0, 1)
		Z_PARAM_OPTIONAL
		Z_PARAM_LONG(limit)
	DARGAH_PARSE_PARAMETERS_END();

	DargahClient *client = this_client(ZEND_THIS);
	if (!client) {
		RETURN_THROWS();
	}
	zval params, json;
	limit_params(limit, &params);
	bool ok = call_operation(ZEND_THIS, client, "unacknowledged", &params, &json);
	zval_ptr_dtor(&params);
	if (ok) {
		return_payments(&json, return_value);
		zval_ptr_dtor(&json);
	}
}

ZEND_METHOD(Dargah_Client, recover)
{
	zend_long limit = 100;
	ZEND_PARSE_PARAMETERS_START(0, 1)
		Z_PARAM_OPTIONAL
		Z_PARAM_LONG(limit)
	DARGAH_PARSE_PARAMETERS_END();

	DargahClient *client = this_client(ZEND_THIS);
	if (!client) {
		RETURN_THROWS();
	}
	zval params, report;
	limit_params(limit, &params);
	bool ok = call_operation(ZEND_THIS, client, "recover", &params, &report);
	zval_ptr_dtor(&params);
	if (!ok) {
		RETURN_THROWS();
	}

	/* {"outcomes": [Outcome, …], "errors": [{payment_id, kind, message, …}, …]} */
	zval *outcomes = Z_TYPE(report) == IS_ARRAY ? zend_hash_str_find(Z_ARRVAL(report), ZEND_STRL("outcomes")) : NULL;
	zval *errors = Z_TYPE(report) == IS_ARRAY ? zend_hash_str_find(Z_ARRVAL(report), ZEND_STRL("errors")) : NULL;
	if (!outcomes || Z_TYPE_P(outcomes) != IS_ARRAY || !errors) {
		zval_ptr_dtor(&report);
		dargah_throw(KIND_INTERNAL, "libdargah answered a recover report this extension cannot read");
		RETURN_THROWS();
	}
	zval list, *item, outcome;
	array_init(&list);
	ZEND_HASH_FOREACH_VAL(Z_ARRVAL_P(outcomes), item) {
		if (!dargah_outcome_from_json(item, &outcome)) {
			zval_ptr_dtor(&list);
			zval_ptr_dtor(&report);
			RETURN_THROWS();
		}
		add_next_index_zval(&list, &outcome);
	} ZEND_HASH_FOREACH_END();
	array_init(return_value);
	add_assoc_zval(return_value, "outcomes", &list);
	Z_TRY_ADDREF_P(errors);
	add_assoc_zval(return_value, "errors", errors);
	zval_ptr_dtor(&report);
}

ZEND_METHOD(Dargah_Client, call)
{
	zend_string *operation;
	zval *params = NULL;
	ZEND_PARSE_PARAMETERS_START(1, 2)
		Z_PARAM_PATH_STR(operation)
		Z_PARAM_OPTIONAL
		Z_PARAM_ARRAY_OR_NULL(params)
	DARGAH_PARSE_PARAMETERS_END();

	DargahClient *client = this_client(ZEND_THIS);
	if (!client) {
		RETURN_THROWS();
	}
	call_operation(ZEND_THIS, client, ZSTR_VAL(operation), params, return_value);
}

ZEND_METHOD(Dargah_Client, events)
{
	zend_string *payment_id;
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_PATH_STR(payment_id)
	DARGAH_PARSE_PARAMETERS_END();

	DargahClient *client = this_client(ZEND_THIS);
	if (!client) {
		RETURN_THROWS();
	}
	zval params;
	array_init(&params);
	add_assoc_str(&params, "id", zend_string_copy(payment_id));
	call_operation(ZEND_THIS, client, "payment.events", &params, return_value);
	zval_ptr_dtor(&params);
}

ZEND_METHOD(Dargah_Client, setLogger)
{
	zval *logger;
	ZEND_PARSE_PARAMETERS_START(1, 1)
		Z_PARAM_ZVAL(logger)
	DARGAH_PARSE_PARAMETERS_END();

	if (!dargah_log_valid(logger)) {
		dargah_argument_error(1, "must be a callable, an object with a log() method (PSR-3), or null, %s given", zend_zval_type_name(logger));
		RETURN_THROWS();
	}
	client_object *object = client_from(Z_OBJ_P(ZEND_THIS));
	zval_ptr_dtor(&object->logger);
	ZVAL_COPY(&object->logger, logger);
}
