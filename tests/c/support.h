/* What every C test shares: checks that count, the sandbox (started by
 * tests/c/run.sh, its URL in DARGAH_SANDBOX_URL) acting as the gateways and
 * as the customer's browser, and clients on fresh SQLite stores. */
#ifndef DARGAH_TEST_SUPPORT_H
#define DARGAH_TEST_SUPPORT_H

/* POSIX and GNU interfaces (pthreads, fork, asprintf) under -std=c11; this
 * header is included first by every test. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include <dargah.h>
#include <stdbool.h>
#include <stddef.h>

/* ---- checks: a failed check is reported and counted, the test goes on ---- */

bool check_at(bool ok, const char *what, const char *file, int line);
bool check_status_at(DargahStatus expected, DargahStatus got, const char *call, const char *file, int line);
bool check_str_at(const char *expected, const char *got, const char *what, const char *file, int line);

#define CHECK(cond) check_at((cond), #cond, __FILE__, __LINE__)
#define CHECK_STATUS(expected, call) check_status_at((expected), (call), #call, __FILE__, __LINE__)
#define CHECK_OK(call) CHECK_STATUS(DARGAH_OK, call)
#define CHECK_STR(expected, got) check_str_at((expected), (got), #got, __FILE__, __LINE__)

/* Run one named test case; `finish` prints "N passed, N failed" and gives the exit code. */
void run_test(const char *name, void (*test)(void));
int finish(void);
/* The exit code of a forked child: 0 when none of its checks failed. */
int child_exit_code(void);

/* ---- fixtures ---- */

extern const char *const GATEWAYS[4]; /* mupra, canpay, atipay, vandar */
#define CARD "6037991234567890"

const char *sandbox_url(void);
/* The client configuration pointing every gateway at the sandbox; malloc'd. */
char *sandbox_config(const char *store);
/* A store URL for a fresh SQLite file under DARGAH_TEST_TMP. */
void temp_store(char *out, size_t size);
/* A client on a fresh store. */
DargahClient *new_client(void);
/* An order id no other test run has used (the sandbox refuses repeats). */
void unique_invoice(char *out, size_t size, const char *label);
/* Create a payment of `amount` rial; NULL (and a failed check) on error. */
DargahPayment *create_payment(DargahClient *client, const char *gateway, unsigned long amount);

/* The callback the customer's browser makes after paying: the raw query
 * string and the urlencoded form body, exactly as a web server gets them. */
typedef struct {
    char *query;
    char *body;
} Callback;

/* Press "pay" or "cancel" on the sandbox's payment page for `token`. */
bool sandbox_pay(const char *gateway, const char *token, const char *action, Callback *out);
void callback_free(Callback *callback);
DargahStatus handle(DargahClient *client, const char *gateway, const Callback *callback, DargahOutcome **out);
/* How often the sandbox served `endpoint` (e.g. "vandar.verify") for `token`; -1 on error. */
long sandbox_calls(const char *token, const char *endpoint);
const char *verify_endpoint(const char *gateway);
/* How often the sandbox served `endpoint` to requests carrying `credential`
 * (an api key, merchant id or Vandar business); -1 on error. */
long sandbox_credential_calls(const char *credential, const char *endpoint);
/* Add a sandbox fault (its JSON, sandbox/README.md), or clear them all with NULL. */
void sandbox_fault(const char *json);
/* Choose the sandbox's readings of what the documents leave open
 * (docs/gateway-readings.md), as JSON: {"vandar_info_verified":"refused"} for
 * the run, or with "gateway" and "token" for one payment. */
void sandbox_readings(const char *json);

#endif
