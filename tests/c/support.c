#include "support.h"

#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

const char *const GATEWAYS[4] = {"mupra", "canpay", "atipay", "vandar"};

/* ---- checks ---- */

static int case_failures; /* in the running case, from any thread */
static int passed, failed;

bool check_at(bool ok, const char *what, const char *file, int line) {
    if (!ok) {
        __atomic_add_fetch(&case_failures, 1, __ATOMIC_SEQ_CST);
        fprintf(stderr, "    FAIL %s:%d: %s\n", file, line, what);
    }
    return ok;
}

bool check_status_at(DargahStatus expected, DargahStatus got, const char *call, const char *file, int line) {
    if (expected == got) return true;
    __atomic_add_fetch(&case_failures, 1, __ATOMIC_SEQ_CST);
    fprintf(stderr, "    FAIL %s:%d: %s\n      expected %s, got %s: %s\n", file, line, call, dargah_status_name((int)expected),
            dargah_status_name((int)got), dargah_last_error_message());
    return false;
}

bool check_str_at(const char *expected, const char *got, const char *what, const char *file, int line) {
    if (expected && got && strcmp(expected, got) == 0) return true;
    __atomic_add_fetch(&case_failures, 1, __ATOMIC_SEQ_CST);
    fprintf(stderr, "    FAIL %s:%d: %s is \"%s\", expected \"%s\"\n", file, line, what, got ? got : "(null)",
            expected ? expected : "(null)");
    return false;
}

void run_test(const char *name, void (*test)(void)) {
    case_failures = 0;
    test();
    if (case_failures == 0) {
        passed++;
        printf("ok   %s\n", name);
    } else {
        failed++;
        printf("FAIL %s (%d failed checks)\n", name, case_failures);
    }
    fflush(stdout);
}

int child_exit_code(void) {
    return case_failures == 0 ? 0 : 1;
}

int finish(void) {
    printf("%d passed, %d failed\n", passed, failed);
    return failed == 0 && passed > 0 ? 0 : 1;
}

/* ---- the sandbox ---- */

static void die(const char *fmt, ...) {
    va_list args;
    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);
    fputc('\n', stderr);
    exit(2);
}

const char *sandbox_url(void) {
    const char *url = getenv("DARGAH_SANDBOX_URL");
    if (!url || strncmp(url, "http://", 7) != 0) die("DARGAH_SANDBOX_URL is not set: run the C tests with tests/c/run.sh");
    return url;
}

char *sandbox_config(const char *store) {
    const char *b = sandbox_url();
    char *config = NULL;
    /* The sandbox's fixed credentials (sandbox/README.md). */
    if (asprintf(&config,
                 "{\"store\":\"%s\","
                 "\"mupra\":{\"api_key\":\"sandbox-mupra-api-key\",\"base_url\":\"%s/mupra/restapi/api/ipg/\"},"
                 "\"canpay\":{\"merchant\":\"sandbox-canpay-merchant\",\"base_url\":\"%s/canpay/api/ipg/\"},"
                 "\"atipay\":{\"apiKey\":\"sandbox-atipay-api-key\",\"terminalId\":\"12345678\",\"base_url\":\"%s/atipay/v1/\"},"
                 "\"vandar\":{\"api_key\":\"sandbox-vandar-ipg-api-key\",\"ipg_base_url\":\"%s/vandar/ipg\",\"api_base_url\":\"%s/vandar/api\"}}",
                 store, b, b, b, b, b) < 0)
        die("out of memory");
    return config;
}

void temp_store(char *out, size_t size) {
    static int n;
    const char *tmp = getenv("DARGAH_TEST_TMP");
    snprintf(out, size, "sqlite://%s/c-%d-%d.db", tmp ? tmp : "/tmp", (int)getpid(), __atomic_add_fetch(&n, 1, __ATOMIC_SEQ_CST));
}

DargahClient *new_client(void) {
    char store[512];
    temp_store(store, sizeof store);
    char *config = sandbox_config(store);
    DargahClient *client = NULL;
    CHECK_OK(dargah_client_new(config, &client));
    free(config);
    if (!client) die("cannot make a client: %s", dargah_last_error_message());
    return client;
}

void unique_invoice(char *out, size_t size, const char *label) {
    static int n;
    snprintf(out, size, "c-%s-%d-%ld-%d", label, (int)getpid(), (long)time(NULL), __atomic_add_fetch(&n, 1, __ATOMIC_SEQ_CST));
}

DargahPayment *create_payment(DargahClient *client, const char *gateway, unsigned long amount) {
    char invoice[64], request[512];
    unique_invoice(invoice, sizeof invoice, gateway);
    snprintf(request, sizeof request,
             "{\"invoice_id\":\"%s\",\"amount\":%lu,\"callback_url\":\"http://127.0.0.1:9/shop/callback/%s\","
             "\"mobile\":\"09123456789\",\"description\":\"C test order\"}",
             invoice, amount, gateway);
    DargahPayment *payment = NULL;
    CHECK_OK(dargah_client_create_payment(client, gateway, request, &payment));
    return payment;
}

/* One HTTP/1.1 request to the sandbox on loopback; the answer's body is malloc'd. */
static int http(const char *method, const char *path, const char *json, char **body) {
    char host[64];
    int port;
    if (sscanf(sandbox_url(), "http://%63[^:]:%d", host, &port) != 2) die("bad DARGAH_SANDBOX_URL");
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &addr.sin_addr) != 1) die("DARGAH_SANDBOX_URL must be an IPv4 loopback address");
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) die("cannot reach the sandbox at %s", sandbox_url());

    char *request = NULL;
    int length = asprintf(&request, "%s %s HTTP/1.1\r\nHost: %s:%d\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                          method, path, host, port, json ? strlen(json) : 0, json ? json : "");
    if (length < 0) die("out of memory");
    for (int sent = 0; sent < length;) {
        ssize_t n = write(fd, request + sent, (size_t)(length - sent));
        if (n <= 0) die("cannot send to the sandbox");
        sent += (int)n;
    }
    free(request);

    size_t size = 0, capacity = 4096;
    char *answer = malloc(capacity);
    for (ssize_t n; answer && (n = read(fd, answer + size, capacity - size - 1)) > 0;) {
        size += (size_t)n;
        if (capacity - size < 1024) answer = realloc(answer, capacity *= 2);
    }
    close(fd);
    if (!answer) die("out of memory");
    answer[size] = '\0';

    int status = 0;
    char *start = strstr(answer, "\r\n\r\n");
    if (sscanf(answer, "HTTP/1.1 %d", &status) != 1 || !start || strcasestr(answer, "transfer-encoding: chunked"))
        die("unexpected answer from the sandbox: %.200s", answer);
    *body = strdup(start + 4);
    free(answer);
    return status;
}

/* Append `text` to a malloc'd string, percent-encoded for a form body
 * (everything but the unreserved characters) or as it is. */
static void append(char **out, size_t *size, const char *text, bool encode) {
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        *out = realloc(*out, *size + 4);
        if (!*out) die("out of memory");
        bool plain = !encode || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p);
        if (plain) {
            (*out)[(*size)++] = (char)*p;
        } else {
            (*out)[(*size)++] = '%';
            (*out)[(*size)++] = hex[*p >> 4];
            (*out)[(*size)++] = hex[*p & 15];
        }
        (*out)[*size] = '\0';
    }
}

bool sandbox_pay(const char *gateway, const char *token, const char *action, Callback *out) {
    char request[512], *answer = NULL;
    snprintf(request, sizeof request, "{\"gateway\":\"%s\",\"token\":\"%s\",\"action\":\"%s\",\"card\":\"%s\"}", gateway, token, action, CARD);
    int status = http("POST", "/_control/pay", request, &answer);
    cJSON *json = cJSON_Parse(answer);
    const cJSON *url = cJSON_GetObjectItem(json, "url"), *form = cJSON_GetObjectItem(json, "form");
    bool ok = CHECK(status == 200) && CHECK(cJSON_IsString(url)) && CHECK(cJSON_IsObject(form));
    if (ok) {
        const char *q = strchr(url->valuestring, '?');
        out->query = strdup(q ? q + 1 : "");
        out->body = strdup("");
        size_t size = 0;
        const cJSON *field;
        cJSON_ArrayForEach(field, form) {
            append(&out->body, &size, size ? "&" : "", false);
            append(&out->body, &size, field->string, true);
            append(&out->body, &size, "=", false);
            append(&out->body, &size, cJSON_IsString(field) ? field->valuestring : "", true);
        }
    } else {
        fprintf(stderr, "    sandbox answered %d: %s\n", status, answer);
    }
    cJSON_Delete(json);
    free(answer);
    return ok;
}

void callback_free(Callback *callback) {
    free(callback->query);
    free(callback->body);
    callback->query = callback->body = NULL;
}

DargahStatus handle(DargahClient *client, const char *gateway, const Callback *callback, DargahOutcome **out) {
    return dargah_client_handle_callback(client, gateway, (const uint8_t *)callback->query, strlen(callback->query),
                                         (const uint8_t *)callback->body, strlen(callback->body), out);
}

/* One count from the sandbox's stats: stats[table][key][endpoint], -1 if unreadable. */
static long sandbox_count(const char *table, const char *key, const char *endpoint) {
    char *answer = NULL;
    int status = http("GET", "/_control/stats", NULL, &answer);
    cJSON *json = cJSON_Parse(answer);
    const cJSON *count = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(json, table), key), endpoint);
    long calls = status != 200 || !json ? -1 : cJSON_IsNumber(count) ? (long)count->valuedouble : 0;
    cJSON_Delete(json);
    free(answer);
    return calls;
}

long sandbox_calls(const char *token, const char *endpoint) { return sandbox_count("by_token", token, endpoint); }

long sandbox_credential_calls(const char *credential, const char *endpoint) { return sandbox_count("by_credential", credential, endpoint); }

const char *verify_endpoint(const char *gateway) {
    if (strcmp(gateway, "mupra") == 0) return "mupra.verify";
    if (strcmp(gateway, "canpay") == 0) return "canpay.verify";
    if (strcmp(gateway, "atipay") == 0) return "atipay.verify-payment";
    return "vandar.verify";
}

void sandbox_readings(const char *json) {
    char *answer = NULL;
    int status = http("POST", "/_control/readings", json, &answer);
    if (status >= 300) die("the sandbox refused the readings %s: %s", json, answer);
    free(answer);
}

void sandbox_fault(const char *json) {
    char *answer = NULL;
    int status = json ? http("POST", "/_control/faults", json, &answer) : http("DELETE", "/_control/faults", NULL, &answer);
    if (status >= 300) die("the sandbox refused the fault %s: %s", json ? json : "(clear)", answer);
    free(answer);
}
