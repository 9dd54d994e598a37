/* One client, 8 threads, the same callback at the same moment, for every
 * gateway: exactly one thread is told NEWLY_PAID, the others ALREADY_PAID
 * (or IN_PROGRESS while the first is still verifying), and the gateway is
 * asked to verify once. */
#include "support.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define THREADS 8

static DargahClient *client;
static pthread_barrier_t start;

typedef struct {
    const char *gateway;
    const Callback *callback;
    DargahStatus status;
    DargahOutcomeKind kind;
    char error[256];
} Delivery;

static void *deliver(void *arg) {
    Delivery *d = arg;
    pthread_barrier_wait(&start);
    DargahOutcome *outcome = NULL;
    d->status = handle(client, d->gateway, d->callback, &outcome);
    d->kind = dargah_outcome_kind(outcome);
    snprintf(d->error, sizeof d->error, "%s", dargah_last_error_message()); /* this thread's own */
    dargah_outcome_free(outcome);
    return NULL;
}

static void same_callback_from_threads(const char *gateway) {
    DargahPayment *payment = create_payment(client, gateway, 2500000);
    Callback callback = {0};
    if (!CHECK(payment != NULL) || !sandbox_pay(gateway, dargah_payment_token(payment), "pay", &callback)) goto out;

    Delivery deliveries[THREADS];
    pthread_t threads[THREADS];
    pthread_barrier_init(&start, NULL, THREADS);
    for (int i = 0; i < THREADS; i++) {
        deliveries[i] = (Delivery){.gateway = gateway, .callback = &callback};
        CHECK(pthread_create(&threads[i], NULL, deliver, &deliveries[i]) == 0);
    }
    int newly_paid = 0, later = 0;
    for (int i = 0; i < THREADS; i++) {
        pthread_join(threads[i], NULL);
        if (!CHECK_STATUS(DARGAH_OK, deliveries[i].status)) fprintf(stderr, "      thread %d: %s\n", i, deliveries[i].error);
        newly_paid += deliveries[i].kind == DARGAH_OUTCOME_NEWLY_PAID;
        later += deliveries[i].kind == DARGAH_OUTCOME_ALREADY_PAID || deliveries[i].kind == DARGAH_OUTCOME_IN_PROGRESS;
    }
    pthread_barrier_destroy(&start);
    CHECK(newly_paid == 1);
    CHECK(later == THREADS - 1);
    CHECK(sandbox_calls(dargah_payment_token(payment), verify_endpoint(gateway)) == 1);

    /* Settled: one more delivery replays the stored outcome. */
    DargahOutcome *outcome = NULL;
    CHECK_OK(handle(client, gateway, &callback, &outcome));
    CHECK(dargah_outcome_kind(outcome) == DARGAH_OUTCOME_ALREADY_PAID);
    dargah_outcome_free(outcome);
out:
    callback_free(&callback);
    dargah_payment_free(payment);
}

static void test_mupra(void) { same_callback_from_threads("mupra"); }
static void test_canpay(void) { same_callback_from_threads("canpay"); }
static void test_atipay(void) { same_callback_from_threads("atipay"); }
static void test_vandar(void) { same_callback_from_threads("vandar"); }

int main(void) {
    client = new_client();
    run_test("mupra: 8 threads, one callback, one newly paid", test_mupra);
    run_test("canpay: 8 threads, one callback, one newly paid", test_canpay);
    run_test("atipay: 8 threads, one callback, one newly paid", test_atipay);
    run_test("vandar: 8 threads, one callback, one newly paid", test_vandar);
    dargah_client_free(client);
    return finish();
}
