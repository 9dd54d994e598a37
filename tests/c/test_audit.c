/* The audit trail and secrets (issue 14): the log callback, called on the
 * caller's thread with borrowed strings; and every secret of a configuration
 * a distinct canary, every flow run, every output searched: the last errors,
 * every answer, every log line, the process's stdout and stderr, and the
 * stored rows. */
#include "support.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- everything the library hands out, in one growing text ---- */

static char *seen;
static size_t seen_size;

static void see(const char *text) {
    if (!text) return;
    size_t n = strlen(text);
    seen = realloc(seen, seen_size + n + 2);
    if (!seen) abort();
    memcpy(seen + seen_size, text, n);
    seen_size += n;
    seen[seen_size++] = '\n';
    seen[seen_size] = '\0';
}

/* After a call: its status and every field of the last error. */
static void see_status(DargahStatus status) {
    see(dargah_status_name(status));
    see(dargah_last_error_message());
    see(dargah_last_error_gateway_code());
    see(dargah_last_error_gateway_message());
}

/* After a call that hands out JSON through `json` (read only once the call has returned). */
static void see_json(DargahStatus status, char **json) {
    see_status(status);
    if (status == DARGAH_OK) {
        see(*json);
        dargah_string_free(*json);
        *json = NULL;
    }
}

/* ---- the log callback ---- */

static int events, gateway_calls, state_changes, wrong_thread;
static pthread_t caller;

static void on_log(void *user_data, DargahLogLevel level, const char *target, const char *message, const char *fields_json) {
    (void)level;
    if (!pthread_equal(pthread_self(), caller)) wrong_thread++;
    ++*(int *)user_data;
    events++;
    if (strstr(fields_json, "\"event\":\"gateway_call\"")) gateway_calls++;
    if (strstr(fields_json, "\"event\":\"state_change\"")) state_changes++;
    see(target), see(message), see(fields_json);
}

static void test_log_callback_runs_on_the_callers_thread(void) {
    int mine = 0;
    caller = pthread_self();
    CHECK_STATUS(DARGAH_INVALID_INPUT, dargah_set_log_callback(on_log, &mine, 9));
    CHECK_OK(dargah_set_log_callback(on_log, &mine, DARGAH_LOG_DEBUG));
    DargahClient *client = new_client();
    DargahPayment *payment = create_payment(client, "vandar", 250000);
    Callback callback = {0};
    DargahOutcome *outcome = NULL;
    if (payment && sandbox_pay("vandar", dargah_payment_token(payment), "pay", &callback)) {
        CHECK_OK(handle(client, "vandar", &callback, &outcome));
        CHECK(dargah_outcome_kind(outcome) == DARGAH_OUTCOME_NEWLY_PAID);
    }
    /* send, transaction info, verify (Vandar is verified only once its transaction info shows it paid);
     * created->awaiting, verifying->paid; the claim */
    CHECK(gateway_calls == 3);
    CHECK(state_changes == 2);
    CHECK(mine == events && events >= 5);
    CHECK(wrong_thread == 0);
    char *history = NULL;
    char params[128];
    snprintf(params, sizeof params, "{\"id\":\"%s\"}", payment ? dargah_payment_id(payment) : "");
    CHECK_OK(dargah_client_call(client, "payment.events", params, &history));
    CHECK(history && strstr(history, "\"label\":\"paid\"") && strstr(history, "603799******7890") && !strstr(history, "\"CID\""));
    dargah_string_free(history);
    dargah_outcome_free(outcome);
    callback_free(&callback);
    dargah_payment_free(payment);
    /* Unregistered: no more calls. */
    CHECK_OK(dargah_set_log_callback(NULL, NULL, DARGAH_LOG_DEBUG));
    int before = events;
    payment = create_payment(client, "canpay", 250000);
    CHECK(events == before);
    dargah_payment_free(payment);
    dargah_client_free(client);
}

/* ---- canaries ---- */

static const char *const SANDBOX_SECRETS[] = {"sandbox-mupra-api-key", "sandbox-canpay-merchant", "sandbox-atipay-api-key", "sandbox-vandar-ipg-api-key",
                                              "sandbox-vandar-access-token", "sandbox-vandar-refresh-token", "sandbox-sepal-password", "sandbox-sepal-api-key"};
static const char *const CANARIES[] = {"CANARY-mupra-key-4e1f", "CANARY-canpay-merchant-93ab", "CANARY-atipay-key-27cd", "CANARY-vandar-key-5b60",
                                       "CANARY-vandar-access-81f2", "CANARY-vandar-refresh-c4d9", "CANARY-sepal-password-6a7e", "CANARY-sepal-key-0d35",
                                       "CANARY-store-password-f00d", "CANARY-proxy-password-beef", "CANARY-token-encryption-key-9c2e-0123456789"};

/* A configuration with every section and secret; `s` holds the eight credentials in SANDBOX_SECRETS' order. */
static char *config_with(const char *store, const char *const s[8], const char *http) {
    const char *b = sandbox_url();
    char *config = NULL;
    if (asprintf(&config,
                 "{\"store\":\"%s\",\"http\":%s,\"token_encryption_key\":\"CANARY-token-encryption-key-9c2e-0123456789\","
                 "\"mupra\":{\"api_key\":\"%s\",\"base_url\":\"%s/mupra/restapi/api/ipg/\"},"
                 "\"canpay\":{\"merchant\":\"%s\",\"base_url\":\"%s/canpay/api/ipg/\"},"
                 "\"atipay\":{\"apiKey\":\"%s\",\"terminalId\":\"12345678\",\"base_url\":\"%s/atipay/v1/\"},"
                 "\"vandar\":{\"api_key\":\"%s\",\"access_token\":\"%s\",\"refresh_token\":\"%s\",\"business\":\"sandbox-shop\","
                 "\"ipg_base_url\":\"%s/vandar/ipg\",\"api_base_url\":\"%s/vandar/api\",\"batch_base_url\":\"%s/vandar/batch\",\"subscription_base_url\":\"%s/vandar/subscription\"},"
                 "\"sepal\":{\"mobile\":\"09120000000\",\"password\":\"%s\",\"api_key\":\"%s\",\"base_url\":\"%s/sepal\"}}",
                 store, http, s[0], b, s[1], b, s[2], b, s[3], s[4], s[5], b, b, b, b, s[6], s[7], b) < 0)
        abort();
    return config;
}

static DargahClient *client_with(const char *const secrets[8], const char *http) {
    char store[512];
    temp_store(store, sizeof store);
    char *config = config_with(store, secrets, http);
    DargahClient *client = NULL;
    see_status(dargah_client_new(config, &client));
    free(config);
    return client;
}

static void every_operation(DargahClient *client) {
    static const char *const operations[] = {"vandar.balance", "mupra.balance", "vandar.settlement_banks", "vandar.settlements"};
    for (size_t i = 0; i < sizeof operations / sizeof *operations; i++) {
        char *json = NULL;
        see_json(dargah_client_call(client, operations[i], "{}", &json), &json);
    }
    char *json = NULL;
    see_json(dargah_client_call(client, "sepal.payment_state", "{\"payment_number\":1}", &json), &json);
}

/* Pay a payment on `gateway` and deliver its callback, with a fault (or none) on the gateway's answer. */
static void pay_and_deliver(DargahClient *client, const char *gateway, const char *action, const char *fault) {
    DargahPayment *payment = NULL;
    char invoice[64], request[256];
    unique_invoice(invoice, sizeof invoice, gateway);
    snprintf(request, sizeof request, "{\"invoice_id\":\"%s\",\"amount\":250000,\"callback_url\":\"http://127.0.0.1:9/cb\",\"mobile\":\"09123456789\"}", invoice);
    DargahStatus status = dargah_client_create_payment(client, gateway, request, &payment);
    see_status(status);
    if (status != DARGAH_OK) return;
    char *json = NULL;
    if (dargah_payment_to_json(payment, &json) == DARGAH_OK) see(json), dargah_string_free(json);
    Callback callback = {0};
    if (sandbox_pay(gateway, dargah_payment_token(payment), action, &callback)) {
        if (fault) sandbox_fault(fault);
        DargahOutcome *outcome = NULL;
        for (int again = 0; again < 2; again++) {
            status = handle(client, gateway, &callback, &outcome);
            see_status(status);
            if (status == DARGAH_OK) dargah_outcome_free(outcome);
        }
        if (fault) sandbox_fault(NULL);
    }
    char params[128];
    snprintf(params, sizeof params, "{\"id\":\"%s\"}", dargah_payment_id(payment));
    see_json(dargah_client_call(client, "payment.events", params, &json), &json);
    callback_free(&callback);
    dargah_payment_free(payment);
}

static void test_no_secret_in_any_output(void) {
    int counted = 0;
    caller = pthread_self();
    CHECK_OK(dargah_set_log_callback(on_log, &counted, DARGAH_LOG_DEBUG));
    /* Everything written to stdout and stderr meanwhile goes to a file we search too. */
    char out_path[512];
    snprintf(out_path, sizeof out_path, "%s/c-secrets-%d.out", getenv("DARGAH_TEST_TMP") ? getenv("DARGAH_TEST_TMP") : "/tmp", (int)getpid());
    fflush(stdout), fflush(stderr);
    int saved_out = dup(1), saved_err = dup(2);
    FILE *capture = fopen(out_path, "w+");
    if (!capture) abort();
    dup2(fileno(capture), 1), dup2(fileno(capture), 2);

    static const char *const gateways[] = {"mupra", "canpay", "atipay", "vandar"};
    DargahClient *client = client_with(SANDBOX_SECRETS, "{\"request_timeout_ms\":1000}");
    for (int g = 0; client && g < 4; g++) {
        pay_and_deliver(client, gateways[g], "pay", NULL);
        pay_and_deliver(client, gateways[g], "cancel", NULL);
        static const char *const faults[] = {"\"status\":401", "\"status\":500", "\"malformed_json\":true", "\"latency_ms\":2500", "\"drop_after_process\":true"};
        for (size_t f = 0; f < sizeof faults / sizeof *faults; f++) {
            char fault[160];
            const char *endpoint = verify_endpoint(gateways[g]);
            snprintf(fault, sizeof fault, "{\"endpoint\":\"%s\",%s}", endpoint, faults[f]);
            pay_and_deliver(client, gateways[g], "pay", fault);
        }
    }
    if (client) {
        every_operation(client);
        sandbox_fault("{\"endpoint\":\"vandar.business\",\"status\":500}");
        sandbox_fault("{\"endpoint\":\"mupra.balance\",\"malformed_json\":true}");
        every_operation(client);
        sandbox_fault(NULL);
        char *json = NULL;
        see_json(dargah_client_recover(client, 50, &json), &json);
        see_json(dargah_client_call(client, "reconcile", "{\"min_age_secs\":0}", &json), &json);
        /* Parameter errors never echo the value. */
        see_json(dargah_client_call(client, "payments.list", "{\"limit\":\"CANARY-mupra-key-4e1f\"}", &json), &json);
        see_json(dargah_client_call(client, "vandar.call", "{\"endpoint\":\"CANARY-vandar-key-5b60\"}", &json), &json);
        dargah_client_free(client);
    }
    /* Wrong keys: every gateway answers 401. */
    DargahClient *wrong = client_with(CANARIES, "{}");
    for (int g = 0; wrong && g < 4; g++) pay_and_deliver(wrong, gateways[g], "pay", NULL);
    if (wrong) every_operation(wrong), dargah_client_free(wrong);
    /* The store's password, a mistyped secret, the proxy's credentials. */
    static const char *const bad[] = {
        "{\"store\":\"postgres://shop:CANARY-store-password-f00d@127.0.0.1:9/shop\"}",
        "{\"store\":\"mysql://shop:CANARY-store-password-f00d@127.0.0.1:9/shop\"}",
        "{\"store\":\"postgres://shop:CANARY-store-password-f00d@[bad/shop\"}",
        "{\"canpay\":{\"merchant\":42420000424200001}}",
        "{\"http\":{\"proxy\":\"ftp://u:CANARY-proxy-password-beef@127.0.0.1:9\"}}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        DargahClient *none = NULL;
        see_status(dargah_client_new(bad[i], &none));
        dargah_client_free(none);
    }
    DargahClient *proxied = client_with(SANDBOX_SECRETS, "{\"proxy\":\"http://u:CANARY-proxy-password-beef@127.0.0.1:9\"}");
    for (int g = 0; proxied && g < 4; g++) pay_and_deliver(proxied, gateways[g], "pay", NULL);
    dargah_client_free(proxied);
    CHECK_OK(dargah_set_log_callback(NULL, NULL, DARGAH_LOG_DEBUG));

    fflush(stdout), fflush(stderr);
    dup2(saved_out, 1), dup2(saved_err, 2);
    close(saved_out), close(saved_err);
    /* The process's own output, and every stored row of every table, the Vandar token pair included (stored encrypted). */
    char command[1200];
    snprintf(command, sizeof command,
             "cat %s; for db in %s/c-%d-*.db; do for t in $(sqlite3 \"$db\" \"SELECT name FROM sqlite_master WHERE type='table'\"); do "
             "sqlite3 -line \"$db\" \"SELECT * FROM $t\"; done; done",
             out_path, getenv("DARGAH_TEST_TMP") ? getenv("DARGAH_TEST_TMP") : "/tmp", (int)getpid());
    rewind(capture);
    fclose(capture);
    FILE *rows = popen(command, "r");
    char buffer[4096];
    size_t n;
    size_t before = seen_size;
    char *chunk = NULL;
    size_t chunk_size = 0;
    while (rows && (n = fread(buffer, 1, sizeof buffer - 1, rows)) > 0) {
        chunk = realloc(chunk, chunk_size + n + 1);
        memcpy(chunk + chunk_size, buffer, n);
        chunk_size += n;
        chunk[chunk_size] = '\0';
    }
    if (rows) pclose(rows);
    see(chunk);
    free(chunk);
    CHECK(seen_size - before > 1000);

    int shown = 0;
    for (size_t i = 0; i < 8; i++) shown += CHECK(!strstr(seen, SANDBOX_SECRETS[i])) ? 0 : 1;
    for (size_t i = 0; i < sizeof CANARIES / sizeof *CANARIES; i++) shown += CHECK(!strstr(seen, CANARIES[i])) ? 0 : 1;
    CHECK(strstr(seen, "gateway_rejected") && strstr(seen, "gateway_unavailable") && strstr(seen, "malformed_response"));
    CHECK(strstr(seen, "timeout") && strstr(seen, "store") && strstr(seen, "gateway_call"));
    printf("    searched %zu bytes of output for %zu secrets: %d shown\n", seen_size, 8 + sizeof CANARIES / sizeof *CANARIES, shown);
    free(seen);
    seen = NULL, seen_size = 0;
}

int main(void) {
    run_test("log callback on the caller's thread", test_log_callback_runs_on_the_callers_thread);
    run_test("no secret in any output", test_no_secret_in_any_output);
    return finish();
}
