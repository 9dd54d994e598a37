/* The contract of the boundary itself: NULL for every pointer argument,
 * invalid UTF-8, malformed JSON, out-parameters untouched on failure,
 * freeing NULL, the thread-local last error, versions and status names. */
#include "support.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static DargahClient *client;
static DargahPayment *payment; /* a created AtiPay payment: it has a POST redirect */

#define BAD_UTF8 "\xc3\x28"
#define REQUEST "{\"invoice_id\":\"c-api\",\"amount\":10000,\"callback_url\":\"http://127.0.0.1:9/cb\"}"
#define SENTINEL ((void *)0x5a5a)

/* A failure that names the argument, leaving the out-parameter untouched. */
#define CHECK_FAILS(expected, argument, call)                                     \
    do {                                                                          \
        CHECK_STATUS(expected, call);                                             \
        CHECK(dargah_last_error_status() == (expected));                          \
        CHECK(strstr(dargah_last_error_message(), argument) != NULL);             \
    } while (0)

static void test_version(void) {
    CHECK_STR(DARGAH_VERSION, dargah_version());
    char numbers[32];
    snprintf(numbers, sizeof numbers, "%d.%d.%d", DARGAH_VERSION_MAJOR, DARGAH_VERSION_MINOR, DARGAH_VERSION_PATCH);
    CHECK_STR(numbers, dargah_version());
    CHECK(DARGAH_VERSION_NUMBER == DARGAH_VERSION_MAJOR * 10000 + DARGAH_VERSION_MINOR * 100 + DARGAH_VERSION_PATCH);
    const char *expected = getenv("DARGAH_CARGO_VERSION"); /* from Cargo.toml, set by run.sh */
    if (expected) CHECK_STR(expected, DARGAH_VERSION);
}

static void test_status_names(void) {
    CHECK_STR("ok", dargah_status_name(DARGAH_OK));
    CHECK_STR("invalid_input", dargah_status_name(DARGAH_INVALID_INPUT));
    CHECK_STR("gateway_rejected", dargah_status_name(DARGAH_GATEWAY_REJECTED));
    CHECK_STR("internal", dargah_status_name(DARGAH_INTERNAL));
    CHECK_STR("null_argument", dargah_status_name(DARGAH_NULL_ARGUMENT));
    CHECK_STR("invalid_utf8", dargah_status_name(DARGAH_INVALID_UTF8));
    CHECK_STR("panic", dargah_status_name(DARGAH_PANIC));
    CHECK_STR("unknown", dargah_status_name(-1));
    CHECK_STR("unknown", dargah_status_name(99));
    /* The numbers are the core's ErrorKind codes and never change. */
    CHECK(DARGAH_OK == 0 && DARGAH_INVALID_INPUT == 1 && DARGAH_INVALID_CALLBACK == 5 && DARGAH_TIMEOUT == 10 && DARGAH_INTERNAL == 13);
    CHECK(DARGAH_NULL_ARGUMENT == 100 && DARGAH_INVALID_UTF8 == 101 && DARGAH_PANIC == 102);
    CHECK(dargah_status_is_in_doubt(DARGAH_TIMEOUT) && dargah_status_is_in_doubt(DARGAH_NETWORK));
    CHECK(dargah_status_is_in_doubt(DARGAH_GATEWAY_UNAVAILABLE) && dargah_status_is_in_doubt(DARGAH_MALFORMED_RESPONSE));
    CHECK(!dargah_status_is_in_doubt(DARGAH_OK) && !dargah_status_is_in_doubt(DARGAH_STORE) && !dargah_status_is_in_doubt(12345));
}

static void test_null_arguments(void) {
    DargahClient *c = SENTINEL;
    DargahPayment *p = SENTINEL;
    DargahOutcome *o = SENTINEL;
    DargahPaymentList *l = SENTINEL;
    char *json = SENTINEL;
    const char *name = SENTINEL, *value = SENTINEL;
    bool first = true;
    const uint8_t *q = (const uint8_t *)"a=1";
    char store[256];
    temp_store(store, sizeof store);
    char *config = sandbox_config(store);

    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "config_json", dargah_client_new(NULL, &c));
    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "out_client", dargah_client_new(config, NULL));
    free(config);

    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "client", dargah_client_create_payment(NULL, "canpay", REQUEST, &p));
    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "gateway", dargah_client_create_payment(client, NULL, REQUEST, &p));
    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "request_json", dargah_client_create_payment(client, "canpay", NULL, &p));
    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "out_payment", dargah_client_create_payment(client, "canpay", REQUEST, NULL));

    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "client", dargah_client_payment(NULL, "dp_x", &p));
    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "payment_id", dargah_client_payment(client, NULL, &p));
    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "out_payment", dargah_client_payment(client, "dp_x", NULL));

    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "client", dargah_client_handle_callback(NULL, "canpay", q, 3, NULL, 0, &o));
    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "gateway", dargah_client_handle_callback(client, NULL, q, 3, NULL, 0, &o));
    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "query", dargah_client_handle_callback(client, "canpay", NULL, 3, NULL, 0, &o));
    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "body", dargah_client_handle_callback(client, "canpay", q, 3, NULL, 3, &o));
    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "out_outcome", dargah_client_handle_callback(client, "canpay", q, 3, NULL, 0, NULL));
    /* NULL with length 0 is an empty query or body, not an error of the boundary. */
    CHECK_STATUS(DARGAH_INVALID_CALLBACK, dargah_client_handle_callback(client, "canpay", NULL, 0, NULL, 0, &o));

    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "client", dargah_client_acknowledge(NULL, "dp_x", &first));
    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "payment_id", dargah_client_acknowledge(client, NULL, &first));
    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "out_first", dargah_client_acknowledge(client, "dp_x", NULL));

    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "client", dargah_client_unacknowledged(NULL, 10, &l));
    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "out_list", dargah_client_unacknowledged(client, 10, NULL));

    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "client", dargah_client_recover(NULL, 10, &json));
    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "out_report_json", dargah_client_recover(client, 10, NULL));

    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "client", dargah_client_call(NULL, "payments.list", "{}", &json));
    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "operation", dargah_client_call(client, NULL, "{}", &json));
    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "params_json", dargah_client_call(client, "payments.list", NULL, &json));
    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "out_json", dargah_client_call(client, "payments.list", "{}", NULL));

    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "payment", dargah_payment_redirect_field(NULL, 0, &name, &value));
    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "out_name", dargah_payment_redirect_field(payment, 0, NULL, &value));
    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "out_value", dargah_payment_redirect_field(payment, 0, &name, NULL));
    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "payment", dargah_payment_to_json(NULL, &json));
    CHECK_FAILS(DARGAH_NULL_ARGUMENT, "out_json", dargah_payment_to_json(payment, NULL));

    /* Out-parameters are written only on success. */
    CHECK(c == SENTINEL && p == SENTINEL && o == SENTINEL && l == SENTINEL && json == SENTINEL);
    CHECK(name == SENTINEL && value == SENTINEL && first);

    /* Getters answer NULL or 0 for a NULL handle. */
    CHECK(!dargah_payment_id(NULL) && !dargah_payment_gateway(NULL) && !dargah_payment_invoice_id(NULL));
    CHECK(!dargah_payment_callback_url(NULL) && !dargah_payment_state(NULL) && !dargah_payment_token(NULL));
    CHECK(!dargah_payment_reference(NULL) && !dargah_payment_trace_number(NULL) && !dargah_payment_unverified_trace_number(NULL) && !dargah_payment_masked_card(NULL));
    CHECK(!dargah_payment_note(NULL) && !dargah_payment_redirect_url(NULL) && !dargah_payment_redirect_html(NULL));
    CHECK(dargah_payment_amount(NULL) == 0 && dargah_payment_verified_amount(NULL) == 0);
    CHECK(dargah_payment_created_at(NULL) == 0 && dargah_payment_paid_at(NULL) == 0 && dargah_payment_acknowledged_at(NULL) == 0);
    CHECK(dargah_payment_redirect_method(NULL) == DARGAH_REDIRECT_NONE && dargah_payment_redirect_field_count(NULL) == 0);
    CHECK(dargah_payment_list_len(NULL) == 0 && dargah_payment_list_get(NULL, 0) == NULL);
    CHECK(dargah_outcome_kind(NULL) == DARGAH_OUTCOME_NONE && !dargah_outcome_kind_name(NULL) && !dargah_outcome_payment(NULL));
}

static void test_freeing_null(void) {
    dargah_client_free(NULL);
    dargah_payment_free(NULL);
    dargah_outcome_free(NULL);
    dargah_payment_list_free(NULL);
    dargah_string_free(NULL);
    CHECK(true);
}

static void test_invalid_utf8(void) {
    DargahClient *c = SENTINEL;
    DargahPayment *p = SENTINEL;
    DargahOutcome *o = SENTINEL;
    char *json = SENTINEL;
    bool first = true;
    CHECK_FAILS(DARGAH_INVALID_UTF8, "config_json", dargah_client_new("{\"store\":\"" BAD_UTF8 "\"}", &c));
    CHECK_FAILS(DARGAH_INVALID_UTF8, "gateway", dargah_client_create_payment(client, BAD_UTF8, REQUEST, &p));
    CHECK_FAILS(DARGAH_INVALID_UTF8, "request_json",
                dargah_client_create_payment(client, "canpay", "{\"invoice_id\":\"" BAD_UTF8 "\"}", &p));
    CHECK_FAILS(DARGAH_INVALID_UTF8, "payment_id", dargah_client_payment(client, BAD_UTF8, &p));
    CHECK_FAILS(DARGAH_INVALID_UTF8, "gateway", dargah_client_handle_callback(client, BAD_UTF8, NULL, 0, NULL, 0, &o));
    CHECK_FAILS(DARGAH_INVALID_UTF8, "payment_id", dargah_client_acknowledge(client, BAD_UTF8, &first));
    CHECK_FAILS(DARGAH_INVALID_UTF8, "operation", dargah_client_call(client, BAD_UTF8, "{}", &json));
    CHECK_FAILS(DARGAH_INVALID_UTF8, "params_json", dargah_client_call(client, "payment", "\"" BAD_UTF8 "\"", &json));
    CHECK(c == SENTINEL && p == SENTINEL && o == SENTINEL && json == SENTINEL && first);

    /* The callback is the browser's data, not the caller's strings: invalid
     * UTF-8 there (raw or percent-encoded) is an invalid callback. */
    const char *encoded = "token=%ff%fe&payment_status=OK", *raw = "token=" BAD_UTF8;
    CHECK_STATUS(DARGAH_INVALID_CALLBACK,
                 dargah_client_handle_callback(client, "vandar", (const uint8_t *)encoded, strlen(encoded), NULL, 0, &o));
    CHECK(strstr(dargah_last_error_message(), "UTF-8") != NULL);
    CHECK_STATUS(DARGAH_INVALID_CALLBACK, dargah_client_handle_callback(client, "vandar", NULL, 0, (const uint8_t *)raw, strlen(raw), &o));
    CHECK(o == SENTINEL);
}

static void test_malformed_json(void) {
    DargahClient *c = SENTINEL;
    DargahPayment *p = SENTINEL;
    char *json = SENTINEL;
    CHECK_FAILS(DARGAH_CONFIG, "config JSON", dargah_client_new("{\"store\":", &c));
    CHECK_FAILS(DARGAH_CONFIG, "no_such_key", dargah_client_new("{\"no_such_key\":1}", &c));
    CHECK_FAILS(DARGAH_INVALID_INPUT, "request_json", dargah_client_create_payment(client, "canpay", "{\"invoice_id\":", &p));
    CHECK_FAILS(DARGAH_INVALID_INPUT, "colour", dargah_client_create_payment(client, "canpay",
        "{\"invoice_id\":\"c-1\",\"amount\":10,\"callback_url\":\"http://127.0.0.1:9/cb\",\"colour\":\"red\"}", &p));
    CHECK_FAILS(DARGAH_INVALID_INPUT, "expected u64", dargah_client_create_payment(client, "canpay",
        "{\"invoice_id\":\"c-1\",\"amount\":\"ten\",\"callback_url\":\"http://127.0.0.1:9/cb\"}", &p));
    CHECK_FAILS(DARGAH_INVALID_INPUT, "params_json", dargah_client_call(client, "payments.list", "{limit: 3}", &json));
    CHECK_FAILS(DARGAH_INVALID_INPUT, "limt", dargah_client_call(client, "payments.list", "{\"limt\":3}", &json));
    CHECK(c == SENTINEL && p == SENTINEL && json == SENTINEL);
}

static void test_invalid_input(void) {
    DargahPayment *p = SENTINEL;
    DargahOutcome *o = SENTINEL;
    CHECK_FAILS(DARGAH_INVALID_INPUT, "paypal", dargah_client_create_payment(client, "paypal", REQUEST, &p));
    CHECK_FAILS(DARGAH_INVALID_INPUT, "amount", dargah_client_create_payment(client, "canpay",
        "{\"invoice_id\":\"c-1\",\"amount\":0,\"callback_url\":\"http://127.0.0.1:9/cb\"}", &p));
    CHECK_FAILS(DARGAH_INVALID_INPUT, "mobile", dargah_client_create_payment(client, "canpay",
        "{\"invoice_id\":\"c-1\",\"amount\":10,\"callback_url\":\"http://127.0.0.1:9/cb\",\"mobile\":\"12\"}", &p));
    CHECK_FAILS(DARGAH_INVALID_INPUT, "gateway", dargah_client_handle_callback(client, "paypal", NULL, 0, NULL, 0, &o));
    CHECK_FAILS(DARGAH_UNKNOWN_PAYMENT, "dp_nope", dargah_client_payment(client, "dp_nope", &p));
    CHECK(p == SENTINEL && o == SENTINEL);

    /* A callback larger than 64 KiB, and one that says two things at once. */
    size_t size = 70 * 1024;
    char *huge = malloc(size);
    memset(huge, 'a', size);
    memcpy(huge, "token=", 6);
    CHECK_FAILS(DARGAH_INVALID_CALLBACK, "larger", dargah_client_handle_callback(client, "vandar", (uint8_t *)huge, size, NULL, 0, &o));
    free(huge);
    const char *query = "token=t&payment_status=OK", *body = "payment_status=FAILED";
    CHECK_FAILS(DARGAH_INVALID_CALLBACK, "payment_status",
                dargah_client_handle_callback(client, "vandar", (const uint8_t *)query, strlen(query), (const uint8_t *)body, strlen(body), &o));
    CHECK(o == SENTINEL);
}

static void *error_in_another_thread(void *unused) {
    (void)unused;
    /* A new thread starts with no error, whatever other threads did. */
    bool clean = dargah_last_error_status() == DARGAH_OK && strcmp(dargah_last_error_message(), "") == 0;
    DargahPayment *p = NULL;
    bool failed = dargah_client_payment(client, "dp_other_thread", &p) == DARGAH_UNKNOWN_PAYMENT;
    return (void *)(uintptr_t)(clean && failed);
}

static void test_last_error_is_per_thread_and_cleared_by_success(void) {
    DargahPayment *p = NULL;
    CHECK_STATUS(DARGAH_UNKNOWN_PAYMENT, dargah_client_payment(client, "dp_main_thread", &p));
    const char *message = dargah_last_error_message();
    pthread_t thread;
    void *ok = NULL;
    CHECK(pthread_create(&thread, NULL, error_in_another_thread, NULL) == 0 && pthread_join(thread, &ok) == 0 && ok);
    /* Ours is untouched by the other thread, and the getters do not move it. */
    CHECK(dargah_last_error_status() == DARGAH_UNKNOWN_PAYMENT);
    CHECK(dargah_last_error_message() == message && strstr(message, "dp_main_thread"));
    CHECK(dargah_last_error_gateway_code() == NULL && dargah_last_error_gateway_message() == NULL);
    CHECK(dargah_last_error_http_status() == 0);

    char *json = NULL;
    CHECK_OK(dargah_client_call(client, "capabilities", "{\"gateway\":\"atipay\"}", &json));
    CHECK(json && strstr(json, "\"post_redirect\":true"));
    dargah_string_free(json);
    CHECK(dargah_last_error_status() == DARGAH_OK);
    CHECK_STR("", dargah_last_error_message());
}

static void test_redirect_field_bounds(void) {
    const char *name = SENTINEL, *value = SENTINEL;
    size_t count = dargah_payment_redirect_field_count(payment);
    CHECK(count > 0);
    CHECK_FAILS(DARGAH_INVALID_INPUT, "does not exist", dargah_payment_redirect_field(payment, count, &name, &value));
    CHECK_FAILS(DARGAH_INVALID_INPUT, "does not exist", dargah_payment_redirect_field(payment, (size_t)-1, &name, &value));
    CHECK(name == SENTINEL && value == SENTINEL);
    for (size_t i = 0; i < count; i++) {
        CHECK_OK(dargah_payment_redirect_field(payment, i, &name, &value));
        CHECK(name && value && strstr(dargah_payment_redirect_html(payment), name));
    }
}

int main(void) {
    client = new_client();
    payment = create_payment(client, "atipay", 10000);
    run_test("version function and macros agree with Cargo.toml", test_version);
    run_test("status numbers and names", test_status_names);
    run_test("NULL for every pointer argument", test_null_arguments);
    run_test("freeing NULL", test_freeing_null);
    run_test("invalid UTF-8", test_invalid_utf8);
    run_test("malformed JSON", test_malformed_json);
    run_test("invalid input", test_invalid_input);
    run_test("the last error is per thread and cleared by a success", test_last_error_is_per_thread_and_cleared_by_success);
    run_test("redirect field bounds", test_redirect_field_bounds);
    dargah_payment_free(payment);
    dargah_client_free(client);
    return finish();
}
