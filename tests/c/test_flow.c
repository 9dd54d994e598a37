/* The whole shop flow through the C ABI, for every payment gateway, against
 * the sandbox: create, redirect, pay, callback (newly paid once, then the
 * stored outcome), acknowledge, the outbox, a cancelled payment, recover,
 * the generic call, and the error details a gateway gives. */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AMOUNT 1250000UL

static DargahClient *client;

static bool starts_with(const char *text, const char *prefix) {
    return text && strncmp(text, prefix, strlen(prefix)) == 0;
}

static bool list_has(const DargahPaymentList *list, const char *id) {
    for (size_t i = 0; i < dargah_payment_list_len(list); i++)
        if (strcmp(dargah_payment_id(dargah_payment_list_get(list, i)), id) == 0) return true;
    return false;
}

static void check_redirect(const char *gateway, const DargahPayment *payment) {
    bool post = strcmp(gateway, "atipay") == 0; /* AtiPay sends the customer with a POST form */
    CHECK(dargah_payment_redirect_method(payment) == (post ? DARGAH_REDIRECT_POST : DARGAH_REDIRECT_GET));
    CHECK(starts_with(dargah_payment_redirect_url(payment), sandbox_url()));
    const char *html = dargah_payment_redirect_html(payment);
    CHECK(html && strstr(html, "<!doctype html>") && strstr(html, post ? "<form method=\"POST\"" : "http-equiv=\"refresh\""));
    size_t fields = dargah_payment_redirect_field_count(payment);
    CHECK(post ? fields > 0 : fields == 0);
    const char *name = "untouched", *value = "untouched";
    if (post) {
        CHECK_OK(dargah_payment_redirect_field(payment, 0, &name, &value));
        CHECK_STR("token", name);
        CHECK_STR(dargah_payment_token(payment), value);
    }
    CHECK_STATUS(DARGAH_INVALID_INPUT, dargah_payment_redirect_field(payment, fields, &name, &value));
    CHECK(strstr(dargah_last_error_message(), "does not exist") != NULL);
    CHECK_STR(post ? dargah_payment_token(payment) : "untouched", value); /* out-parameters untouched on failure */
}

static void full_flow(const char *gateway) {
    DargahPayment *payment = create_payment(client, gateway, AMOUNT);
    if (!CHECK(payment != NULL)) return;
    const char *id = dargah_payment_id(payment), *token = dargah_payment_token(payment);
    CHECK(starts_with(id, "dp_"));
    CHECK_STR(gateway, dargah_payment_gateway(payment));
    CHECK(starts_with(dargah_payment_invoice_id(payment), "c-"));
    CHECK(dargah_payment_amount(payment) == AMOUNT);
    CHECK_STR("awaiting", dargah_payment_state(payment));
    CHECK(token != NULL);
    CHECK(dargah_payment_created_at(payment) > 0 && dargah_payment_paid_at(payment) == 0);
    check_redirect(gateway, payment);

    /* The redirect again, from the store, to send the customer back. */
    DargahPayment *again = NULL;
    CHECK_OK(dargah_client_payment(client, id, &again));
    CHECK_STR(dargah_payment_redirect_url(payment), dargah_payment_redirect_url(again));
    dargah_payment_free(again);

    Callback callback = {0};
    if (!sandbox_pay(gateway, token, "pay", &callback)) goto out;
    DargahOutcome *outcome = NULL;
    CHECK_OK(handle(client, gateway, &callback, &outcome));
    CHECK(dargah_outcome_kind(outcome) == DARGAH_OUTCOME_NEWLY_PAID);
    CHECK_STR("newly_paid", dargah_outcome_kind_name(outcome));
    const DargahPayment *paid = dargah_outcome_payment(outcome);
    CHECK_STR(id, dargah_payment_id(paid));
    CHECK_STR(dargah_payment_invoice_id(payment), dargah_payment_invoice_id(paid));
    CHECK(dargah_payment_amount(paid) == AMOUNT);
    CHECK_STR("paid", dargah_payment_state(paid));
    CHECK(dargah_payment_reference(paid) != NULL);
    CHECK(dargah_payment_paid_at(paid) > 0);
    if (strcmp(gateway, "atipay") != 0) /* AtiPay's verify names no card */
        CHECK(dargah_payment_masked_card(paid) && strstr(dargah_payment_masked_card(paid), "7890"));
    CHECK(dargah_payment_redirect_method(paid) == DARGAH_REDIRECT_NONE);
    char *json = NULL;
    CHECK_OK(dargah_payment_to_json(paid, &json));
    CHECK(json && strstr(json, "\"state\":\"paid\"") && strstr(json, id));
    dargah_string_free(json);
    dargah_outcome_free(outcome);

    /* The same callback again: the stored outcome, no second verify. */
    for (int i = 0; i < 2; i++) {
        outcome = NULL;
        CHECK_OK(handle(client, gateway, &callback, &outcome));
        CHECK(dargah_outcome_kind(outcome) == DARGAH_OUTCOME_ALREADY_PAID);
        dargah_outcome_free(outcome);
    }
    CHECK(sandbox_calls(token, verify_endpoint(gateway)) == 1);

    /* The outbox: paid, not yet acknowledged; acknowledged once. */
    DargahPaymentList *list = NULL;
    CHECK_OK(dargah_client_unacknowledged(client, 100, &list));
    CHECK(list_has(list, id));
    dargah_payment_list_free(list);
    bool first = false;
    CHECK_OK(dargah_client_acknowledge(client, id, &first));
    CHECK(first);
    CHECK_OK(dargah_client_acknowledge(client, id, &first));
    CHECK(!first);
    list = NULL;
    CHECK_OK(dargah_client_unacknowledged(client, 100, &list));
    CHECK(!list_has(list, id));
    dargah_payment_list_free(list);

out:
    callback_free(&callback);
    dargah_payment_free(payment);
}

static void cancelled(const char *gateway) {
    DargahPayment *payment = create_payment(client, gateway, AMOUNT);
    Callback callback = {0};
    if (!CHECK(payment != NULL) || !sandbox_pay(gateway, dargah_payment_token(payment), "cancel", &callback)) goto out;
    DargahOutcome *outcome = NULL;
    CHECK_OK(handle(client, gateway, &callback, &outcome));
    DargahOutcomeKind kind = dargah_outcome_kind(outcome);
    CHECK(kind == DARGAH_OUTCOME_CANCELLED || kind == DARGAH_OUTCOME_FAILED);
    CHECK(dargah_payment_paid_at(dargah_outcome_payment(outcome)) == 0);
    /* Only paid payments are acknowledged. */
    bool first = false;
    CHECK_STATUS(DARGAH_INVALID_INPUT, dargah_client_acknowledge(client, dargah_payment_id(payment), &first));
    CHECK_STATUS(DARGAH_UNKNOWN_PAYMENT, dargah_client_acknowledge(client, "dp_no_such_payment", &first));
    dargah_outcome_free(outcome);
out:
    callback_free(&callback);
    dargah_payment_free(payment);
}

/* A reading chosen for one payment (docs/gateway-readings.md): a Vandar
 * verify of an unpaid payment would spend its one answer, and transaction
 * info refuses while nobody has paid. A forged OK before payment costs no
 * verify, so the customer's payment is still credited. */
static void test_vandar_readings(void) {
    DargahPayment *payment = create_payment(client, "vandar", AMOUNT);
    Callback callback = {0};
    if (!CHECK(payment != NULL)) goto out;
    const char *token = dargah_payment_token(payment);
    char readings[256];
    snprintf(readings, sizeof readings,
             "{\"gateway\":\"vandar\",\"token\":\"%s\",\"vandar_unpaid_verify\":\"spends_answer\",\"vandar_info_unpaid\":\"refused\"}", token);
    sandbox_readings(readings);
    char query[256];
    snprintf(query, sizeof query, "token=%s&payment_status=OK", token);
    Callback forged = {query, ""};
    DargahOutcome *outcome = NULL;
    CHECK_OK(handle(client, "vandar", &forged, &outcome));
    CHECK(dargah_outcome_kind(outcome) == DARGAH_OUTCOME_IN_PROGRESS);
    dargah_outcome_free(outcome);
    CHECK(sandbox_calls(token, "vandar.verify") == 0);
    if (!sandbox_pay("vandar", token, "pay", &callback)) goto out;
    outcome = NULL;
    CHECK_OK(handle(client, "vandar", &callback, &outcome));
    CHECK(dargah_outcome_kind(outcome) == DARGAH_OUTCOME_NEWLY_PAID);
    dargah_outcome_free(outcome);
    bool first = false;
    CHECK_OK(dargah_client_acknowledge(client, dargah_payment_id(payment), &first)); /* fulfilled: out of the outbox */
    CHECK(first);
out:
    callback_free(&callback);
    dargah_payment_free(payment);
}

static void test_mupra(void) { full_flow("mupra"), cancelled("mupra"); }
static void test_canpay(void) { full_flow("canpay"), cancelled("canpay"); }
static void test_atipay(void) { full_flow("atipay"), cancelled("atipay"); }
static void test_vandar(void) { full_flow("vandar"), cancelled("vandar"); }

static void test_recover_and_call(void) {
    char *json = NULL;
    CHECK_OK(dargah_client_recover(client, 10, &json));
    CHECK(json && strstr(json, "\"outcomes\"") && strstr(json, "\"errors\""));
    dargah_string_free(json);

    json = NULL;
    CHECK_OK(dargah_client_call(client, "capabilities", "{\"gateway\":\"vandar\"}", &json));
    CHECK(json && strstr(json, "\"once_only_verify\":true"));
    dargah_string_free(json);

    json = NULL;
    CHECK_OK(dargah_client_call(client, "payments.list", "{\"state\":\"paid\",\"limit\":10}", &json));
    CHECK(json && json[0] == '[' && strstr(json, "\"state\":\"paid\""));
    dargah_string_free(json);

    json = NULL;
    CHECK_OK(dargah_client_call(client, "unacknowledged", "null", &json));
    CHECK_STR("[]", json);
    dargah_string_free(json);

    json = (char *)"untouched";
    CHECK_STATUS(DARGAH_INVALID_INPUT, dargah_client_call(client, "no.such", "{}", &json));
    CHECK(strstr(dargah_last_error_message(), "sepal.payment_state") != NULL);
    CHECK_STATUS(DARGAH_UNKNOWN_PAYMENT, dargah_client_call(client, "payment", "{\"id\":\"dp_nope\"}", &json));
    CHECK_STATUS(DARGAH_CONFIG, dargah_client_call(client, "sepal.payment_state", "{\"payment_number\":1}", &json));
    CHECK_STR("untouched", json);
}

static void test_errors_carry_the_gateways_details(void) {
    /* A wrong merchant key: the sandbox answers in CanPay's error envelope. */
    char store[256];
    temp_store(store, sizeof store);
    char *config = sandbox_config(store);
    char *key = strstr(config, "sandbox-canpay-merchant");
    memcpy(key, "wrong!", 6);
    DargahClient *wrong = NULL;
    CHECK_OK(dargah_client_new(config, &wrong));
    free(config);
    DargahPayment *payment = (DargahPayment *)&wrong; /* must stay untouched */
    CHECK_STATUS(DARGAH_GATEWAY_REJECTED, dargah_client_create_payment(wrong, "canpay",
        "{\"invoice_id\":\"c-wrong-key\",\"amount\":10000,\"callback_url\":\"http://127.0.0.1:9/cb\"}", &payment));
    CHECK(payment == (DargahPayment *)&wrong);
    CHECK(dargah_last_error_status() == DARGAH_GATEWAY_REJECTED);
    CHECK(dargah_last_error_http_status() == 401);
    CHECK(dargah_last_error_gateway_code() != NULL);
    CHECK(dargah_last_error_gateway_message() != NULL);
    CHECK(strstr(dargah_last_error_message(), "HTTP 401") != NULL);
    CHECK(!dargah_status_is_in_doubt(DARGAH_GATEWAY_REJECTED));
    dargah_client_free(wrong);

    /* An order id is used once per gateway. */
    char invoice[64], request[256];
    unique_invoice(invoice, sizeof invoice, "dup");
    snprintf(request, sizeof request, "{\"invoice_id\":\"%s\",\"amount\":10000,\"callback_url\":\"http://127.0.0.1:9/cb\"}", invoice);
    payment = NULL;
    CHECK_OK(dargah_client_create_payment(client, "vandar", request, &payment));
    dargah_payment_free(payment);
    CHECK_STATUS(DARGAH_DUPLICATE_INVOICE, dargah_client_create_payment(client, "vandar", request, &payment));

    /* A callback nobody created costs no gateway call. */
    DargahOutcome *outcome = NULL;
    const char *forged = "token=no-such-token&payment_status=OK";
    CHECK_STATUS(DARGAH_UNKNOWN_PAYMENT,
                 dargah_client_handle_callback(client, "vandar", (const uint8_t *)forged, strlen(forged), NULL, 0, &outcome));
    CHECK(outcome == NULL);
    CHECK(dargah_last_error_gateway_code() == NULL && dargah_last_error_http_status() == 0);
}

/* The sandbox's two merchant accounts at each gateway (sandbox/README.md). */
static const char *const DEFAULT_CREDENTIAL[4] = {"sandbox-mupra-api-key", "sandbox-canpay-merchant", "sandbox-atipay-api-key", "sandbox-vandar-ipg-api-key"};
static const char *const BRANCH2_CREDENTIAL[4] = {"sandbox-mupra-api-key-2", "sandbox-canpay-merchant-2", "sandbox-atipay-api-key-2", "sandbox-vandar-ipg-api-key-2"};

static void test_two_merchant_accounts(void) {
    const char *b = sandbox_url();
    char store[256], *config = NULL;
    temp_store(store, sizeof store);
    if (asprintf(&config,
                 "{\"store\":\"%s\","
                 "\"mupra\":{\"api_key\":\"sandbox-mupra-api-key\",\"base_url\":\"%s/mupra/restapi/api/ipg/\","
                 "\"accounts\":{\"branch2\":{\"api_key\":\"sandbox-mupra-api-key-2\",\"base_url\":\"%s/mupra/restapi/api/ipg/\"}}},"
                 "\"canpay\":{\"merchant\":\"sandbox-canpay-merchant\",\"base_url\":\"%s/canpay/api/ipg/\","
                 "\"accounts\":{\"branch2\":{\"merchant\":\"sandbox-canpay-merchant-2\",\"base_url\":\"%s/canpay/api/ipg/\"}}},"
                 "\"atipay\":{\"apiKey\":\"sandbox-atipay-api-key\",\"terminalId\":\"12345678\",\"base_url\":\"%s/atipay/v1/\","
                 "\"accounts\":{\"branch2\":{\"apiKey\":\"sandbox-atipay-api-key-2\",\"terminalId\":\"87654321\",\"base_url\":\"%s/atipay/v1/\"}}},"
                 "\"vandar\":{\"api_key\":\"sandbox-vandar-ipg-api-key\",\"ipg_base_url\":\"%s/vandar/ipg\",\"api_base_url\":\"%s/vandar/api\","
                 "\"accounts\":{\"branch2\":{\"api_key\":\"sandbox-vandar-ipg-api-key-2\",\"ipg_base_url\":\"%s/vandar/ipg\",\"api_base_url\":\"%s/vandar/api\","
                 "\"access_token\":\"sandbox-vandar-access-token-2\",\"refresh_token\":\"sandbox-vandar-refresh-token-2\",\"business\":\"sandbox-shop-2\"}}}}",
                 store, b, b, b, b, b, b, b, b, b, b) < 0)
        return;
    DargahClient *shop = NULL;
    CHECK_OK(dargah_client_new(config, &shop));
    free(config);
    if (!shop) return;
    for (int g = 0; g < 4; g++) {
        const char *gateway = GATEWAYS[g], *verify = verify_endpoint(gateway);
        long default_before = sandbox_credential_calls(DEFAULT_CREDENTIAL[g], verify);
        long branch2_before = sandbox_credential_calls(BRANCH2_CREDENTIAL[g], verify);
        char invoice[64], request[512];
        unique_invoice(invoice, sizeof invoice, "acct");
        snprintf(request, sizeof request,
                 "{\"invoice_id\":\"%s\",\"amount\":21000,\"callback_url\":\"http://127.0.0.1:9/cb/branch2\",\"mobile\":\"09123456789\",\"account\":\"branch2\"}", invoice);
        DargahPayment *in_b = NULL, *in_a = create_payment(shop, gateway, 22000);
        CHECK_OK(dargah_client_create_payment(shop, gateway, request, &in_b));
        if (!CHECK(in_a && in_b)) goto next;
        CHECK_STR("default", dargah_payment_account(in_a));
        CHECK_STR("branch2", dargah_payment_account(in_b));
        Callback cb_a = {0}, cb_b = {0};
        CHECK(sandbox_pay(gateway, dargah_payment_token(in_b), "pay", &cb_b));
        CHECK(sandbox_pay(gateway, dargah_payment_token(in_a), "pay", &cb_a));

        /* B's payment presented at the default account's callback URL: refused, no gateway call. */
        DargahOutcome *outcome = NULL;
        CHECK_STATUS(DARGAH_INVALID_CALLBACK, dargah_client_handle_account_callback(shop, gateway, "default",
            (const uint8_t *)cb_b.query, strlen(cb_b.query), (const uint8_t *)cb_b.body, strlen(cb_b.body), &outcome));
        CHECK(outcome == NULL);
        CHECK(sandbox_calls(dargah_payment_token(in_b), verify) == 0);

        /* At its own account's URL, and A's through the plain call: each verified with its own credentials. */
        CHECK_OK(dargah_client_handle_account_callback(shop, gateway, "branch2",
            (const uint8_t *)cb_b.query, strlen(cb_b.query), (const uint8_t *)cb_b.body, strlen(cb_b.body), &outcome));
        CHECK(dargah_outcome_kind(outcome) == DARGAH_OUTCOME_NEWLY_PAID);
        CHECK_STR("branch2", dargah_payment_account(dargah_outcome_payment(outcome)));
        dargah_outcome_free(outcome);
        outcome = NULL;
        CHECK_OK(handle(shop, gateway, &cb_a, &outcome));
        CHECK(dargah_outcome_kind(outcome) == DARGAH_OUTCOME_NEWLY_PAID);
        dargah_outcome_free(outcome);
        CHECK(sandbox_credential_calls(DEFAULT_CREDENTIAL[g], verify) == default_before + 1);
        CHECK(sandbox_credential_calls(BRANCH2_CREDENTIAL[g], verify) == branch2_before + 1);
        callback_free(&cb_a);
        callback_free(&cb_b);
    next:
        dargah_payment_free(in_a);
        dargah_payment_free(in_b);
    }
    /* "account" in the generic call: the payments of one account; an unknown account is a named error.
     * (The business API per account is tested in core, PHP and Python; here it would go through the
     * token cipher, which valgrind cannot follow through ring's assembly.) */
    char *answer = NULL;
    CHECK_OK(dargah_client_call(shop, "payments.list", "{\"limit\":100,\"account\":\"branch2\"}", &answer));
    CHECK(answer && strstr(answer, "\"account\":\"branch2\""));
    dargah_string_free(answer);
    answer = NULL;
    CHECK_STATUS(DARGAH_CONFIG, dargah_client_call(shop, "vandar.balance", "{\"account\":\"nosuch\"}", &answer));
    CHECK(answer == NULL && strstr(dargah_last_error_message(), "nosuch") == NULL);
    dargah_client_free(shop);
}

static void test_network_errors_are_in_doubt(void) {
    /* Port 1 on loopback: nothing listens, the connection is refused. */
    char store[256], config[512];
    temp_store(store, sizeof store);
    snprintf(config, sizeof config, "{\"store\":\"%s\",\"canpay\":{\"merchant\":\"m\",\"base_url\":\"http://127.0.0.1:1/\"}}", store);
    DargahClient *offline = NULL;
    CHECK_OK(dargah_client_new(config, &offline));
    DargahPayment *payment = NULL;
    DargahStatus status = dargah_client_create_payment(offline, "canpay",
        "{\"invoice_id\":\"c-offline\",\"amount\":10000,\"callback_url\":\"http://127.0.0.1:9/cb\"}", &payment);
    CHECK_STATUS(DARGAH_NETWORK, status);
    CHECK(dargah_status_is_in_doubt((int)status));
    CHECK(payment == NULL);
    dargah_client_free(offline);
}

int main(void) {
    client = new_client();
    run_test("mupra: create, redirect, pay, callback once, outbox, cancel", test_mupra);
    run_test("canpay: create, redirect, pay, callback once, outbox, cancel", test_canpay);
    run_test("atipay: create, POST redirect, pay, callback once, outbox, cancel", test_atipay);
    run_test("vandar: create, redirect, pay, callback once, outbox, cancel", test_vandar);
    run_test("vandar: a forged OK under the least convenient readings costs no verify", test_vandar_readings);
    run_test("recover and the generic call", test_recover_and_call);
    run_test("errors carry the gateway's code, message and HTTP status", test_errors_carry_the_gateways_details);
    run_test("network errors are in doubt", test_network_errors_are_in_doubt);
    run_test("two merchant accounts at every gateway, each verified with its own credentials", test_two_merchant_accounts);
    dargah_client_free(client);
    return finish();
}
