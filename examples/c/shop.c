/* A one-order web shop in C on libdargah, paying through `dargah sandbox`.
 *
 *   dargah sandbox --port 8700 &
 *   cc -o shop shop.c $(pkg-config --cflags --libs dargah)
 *   ./shop http://127.0.0.1:8700 canpay        (or mupra, atipay, vandar)
 *
 * It creates a payment for one order, then serves two pages on a free
 * loopback port: /pay sends the customer to the gateway, and /callback is
 * where the gateway sends them back. The callback's raw query string and
 * form body go to Dargah exactly as received; on NEWLY_PAID the order is
 * credited (once, whatever the browser repeats) and acknowledged. Open the
 * printed "pay at" address in a browser and pay with any 16-digit card.
 * Payments are kept in ./shop.db.
 */
#define _GNU_SOURCE
#include <dargah.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Print what went wrong, with the gateway's own words when it gave some. */
static void die(const char *what) {
    fprintf(stderr, "%s: %s (%s)\n", what, dargah_last_error_message(), dargah_status_name(dargah_last_error_status()));
    if (dargah_last_error_gateway_code())
        fprintf(stderr, "gateway said %s: %s (HTTP %u)\n", dargah_last_error_gateway_code(),
                dargah_last_error_gateway_message() ? dargah_last_error_gateway_message() : "", dargah_last_error_http_status());
    exit(1);
}

/* The sandbox stands in for every gateway, with its fixed test credentials. */
static DargahClient *connect_to_sandbox(const char *sandbox) {
    char config[2048];
    snprintf(config, sizeof config,
             "{\"store\":\"sqlite://shop.db\","
             "\"mupra\":{\"api_key\":\"sandbox-mupra-api-key\",\"base_url\":\"%1$s/mupra/restapi/api/ipg/\"},"
             "\"canpay\":{\"merchant\":\"sandbox-canpay-merchant\",\"base_url\":\"%1$s/canpay/api/ipg/\"},"
             "\"atipay\":{\"apiKey\":\"sandbox-atipay-api-key\",\"terminalId\":\"12345678\",\"base_url\":\"%1$s/atipay/v1/\"},"
             "\"vandar\":{\"api_key\":\"sandbox-vandar-ipg-api-key\",\"ipg_base_url\":\"%1$s/vandar/ipg\"}}",
             sandbox);
    DargahClient *client = NULL;
    if (dargah_client_new(config, &client) != DARGAH_OK) die("configuration");
    return client;
}

/* A listening socket on 127.0.0.1 and a free port. */
static int listen_on_loopback(int *port) {
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t size = sizeof addr;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&addr, size) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&addr, &size) != 0) {
        perror("listen");
        exit(1);
    }
    *port = ntohs(addr.sin_port);
    return fd;
}

/* One HTTP request, as much of it as a shop needs: path, query, body. */
typedef struct {
    char raw[80 * 1024];
    char *path, *query, *body;
    size_t query_len, body_len;
} Request;

static int read_request(int fd, Request *r) {
    size_t size = 0, want = 0;
    char *end = NULL;
    while (size < sizeof r->raw - 1) {
        ssize_t n = read(fd, r->raw + size, sizeof r->raw - 1 - size);
        if (n <= 0) break;
        size += (size_t)n;
        r->raw[size] = '\0';
        if (!end && (end = strstr(r->raw, "\r\n\r\n"))) {
            const char *length = strcasestr(r->raw, "\r\ncontent-length:");
            want = (size_t)(end + 4 - r->raw) + (length && length < end ? strtoul(length + 17, NULL, 10) : 0);
        }
        if (end && size >= want) break;
    }
    if (!end) return -1;
    /* "GET /callback?token=…&status=OK HTTP/1.1" */
    r->path = strchr(r->raw, ' ');
    if (!r->path) return -1;
    r->path++;
    r->path[strcspn(r->path, " \r")] = '\0';
    r->query = strchr(r->path, '?');
    if (r->query) *r->query++ = '\0';
    r->query_len = r->query ? strlen(r->query) : 0;
    r->body = end + 4;
    r->body_len = size - (size_t)(r->body - r->raw);
    return 0;
}

static void respond(int fd, const char *status, const char *location, const char *html) {
    dprintf(fd, "HTTP/1.1 %s\r\n", status);
    if (location) dprintf(fd, "Location: %s\r\n", location);
    dprintf(fd, "Content-Type: text/html; charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s", strlen(html), html);
}

/* Your shop's own bookkeeping; key it on the payment id so a credit happens once. */
static void credit_order(const DargahPayment *paid) {
    printf("credited order %s: %llu rial, reference %s, card %s\n", dargah_payment_invoice_id(paid),
           (unsigned long long)dargah_payment_amount(paid), dargah_payment_reference(paid) ? dargah_payment_reference(paid) : "-",
           dargah_payment_masked_card(paid) ? dargah_payment_masked_card(paid) : "-");
}

/* The callback page: true when the payment has its final outcome. */
static int on_callback(DargahClient *client, const char *gateway, int fd, const Request *r) {
    DargahOutcome *outcome = NULL;
    DargahStatus status = dargah_client_handle_callback(client, gateway, (const uint8_t *)r->query, r->query_len,
                                                        (const uint8_t *)r->body, r->body_len, &outcome);
    if (status != DARGAH_OK) {
        /* A forged or broken callback, or the gateway unreachable: the payment is never lost, recover() settles it. */
        printf("callback refused: %s (%s)\n", dargah_last_error_message(), dargah_status_name((int)status));
        respond(fd, "400 Bad Request", NULL, dargah_status_is_in_doubt((int)status) ? "<p>We are confirming your payment.</p>"
                                                                                : "<p>This is not a valid payment callback.</p>");
        return 0;
    }
    const DargahPayment *payment = dargah_outcome_payment(outcome);
    int done = 1;
    switch (dargah_outcome_kind(outcome)) {
    case DARGAH_OUTCOME_NEWLY_PAID: {
        credit_order(payment);
        bool first = false;
        if (dargah_client_acknowledge(client, dargah_payment_id(payment), &first) != DARGAH_OK) die("acknowledge");
    }
        /* fall through */
    case DARGAH_OUTCOME_ALREADY_PAID:
        respond(fd, "200 OK", NULL, "<p>Paid. Thank you for your order!</p>");
        break;
    case DARGAH_OUTCOME_IN_PROGRESS:
        respond(fd, "200 OK", NULL, "<p>We are confirming your payment; this page will know shortly.</p>");
        done = 0;
        break;
    case DARGAH_OUTCOME_NEEDS_REVIEW:
        respond(fd, "200 OK", NULL, "<p>We will contact you about this payment.</p>");
        break;
    default: /* FAILED, CANCELLED, and kinds added later */
        respond(fd, "200 OK", NULL, "<p>The payment did not go through.</p>");
        break;
    }
    printf("outcome %s for payment %s (%s)\n", dargah_outcome_kind_name(outcome), dargah_payment_id(payment), dargah_payment_state(payment));
    dargah_outcome_free(outcome);
    return done;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s SANDBOX_URL [mupra|canpay|atipay|vandar]\n", argv[0]);
        return 2;
    }
    const char *gateway = argc > 2 ? argv[2] : "canpay";
    setvbuf(stdout, NULL, _IOLBF, 0);
    printf("libdargah %s (header %s)\n", dargah_version(), DARGAH_VERSION);

    DargahClient *client = connect_to_sandbox(argv[1]);
    int port, server = listen_on_loopback(&port);

    /* The order: its id is used once per gateway, amounts are in rial. */
    char request[512];
    snprintf(request, sizeof request,
             "{\"invoice_id\":\"order-%ld-%d\",\"amount\":1250000,\"callback_url\":\"http://127.0.0.1:%d/callback\","
             "\"mobile\":\"09123456789\",\"description\":\"Two books\"}",
             (long)time(NULL), (int)getpid(), port);
    DargahPayment *payment = NULL;
    if (dargah_client_create_payment(client, gateway, request, &payment) != DARGAH_OK) die("create payment");
    printf("payment %s for order %s, %llu rial at %s\n", dargah_payment_id(payment), dargah_payment_invoice_id(payment),
           (unsigned long long)dargah_payment_amount(payment), gateway);
    printf("token %s\n", dargah_payment_token(payment));
    printf("pay at http://127.0.0.1:%d/pay\n", port);

    for (int done = 0; !done;) {
        int fd = accept(server, NULL, NULL);
        Request *r = malloc(sizeof *r);
        if (fd < 0 || !r) break;
        if (read_request(fd, r) != 0) {
            respond(fd, "400 Bad Request", NULL, "");
        } else if (strcmp(r->path, "/pay") == 0) {
            /* A GET gateway: a 302 (its page is the fallback body). AtiPay: an auto-submitting POST form. */
            if (dargah_payment_redirect_method(payment) == DARGAH_REDIRECT_GET)
                respond(fd, "302 Found", dargah_payment_redirect_url(payment), dargah_payment_redirect_html(payment));
            else
                respond(fd, "200 OK", NULL, dargah_payment_redirect_html(payment));
        } else if (strcmp(r->path, "/callback") == 0) {
            done = on_callback(client, gateway, fd, r);
        } else {
            respond(fd, "404 Not Found", NULL, "<p>Not found.</p>");
        }
        free(r);
        close(fd);
    }
    close(server);
    dargah_payment_free(payment);
    dargah_client_free(client);
    return 0;
}
