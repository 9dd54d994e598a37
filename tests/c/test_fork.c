/* A client used in the parent (so its I/O threads, HTTP connections and
 * SQLite connections exist), then fork(), then used in the child, as PHP-FPM
 * and gunicorn --preload do. The child must work, the parent must go on
 * working, and both see one store: a payment is newly paid exactly once. */
#include "support.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static DargahClient *client;

/* Create, pay and deliver a payment; the outcome kind (NONE on failure). */
static DargahOutcomeKind pay_and_deliver(const char *gateway, Callback *callback) {
    DargahPayment *payment = create_payment(client, gateway, 990000);
    DargahOutcomeKind kind = DARGAH_OUTCOME_NONE;
    if (payment && sandbox_pay(gateway, dargah_payment_token(payment), "pay", callback)) {
        DargahOutcome *outcome = NULL;
        CHECK_OK(handle(client, gateway, callback, &outcome));
        kind = dargah_outcome_kind(outcome);
        dargah_outcome_free(outcome);
    }
    dargah_payment_free(payment);
    return kind;
}

static DargahOutcomeKind deliver(const char *gateway, const Callback *callback) {
    DargahOutcome *outcome = NULL;
    CHECK_OK(handle(client, gateway, callback, &outcome));
    DargahOutcomeKind kind = dargah_outcome_kind(outcome);
    dargah_outcome_free(outcome);
    return kind;
}

/* What the child does with the inherited client. */
static void in_child(const Callback *parents) {
    /* A payment made, paid and verified entirely in the child. */
    Callback own = {0};
    CHECK(pay_and_deliver("vandar", &own) == DARGAH_OUTCOME_NEWLY_PAID);
    callback_free(&own);
    /* The parent's paid payment: the stored outcome, from the shared store. */
    CHECK(deliver("canpay", parents) == DARGAH_OUTCOME_ALREADY_PAID);
}

static void test_fork(void) {
    /* The parent uses the client first: runtime, HTTP client and store connections now exist. */
    Callback parents = {0};
    CHECK(pay_and_deliver("canpay", &parents) == DARGAH_OUTCOME_NEWLY_PAID);

    /* A payment the parent creates and the child's callback settles. */
    DargahPayment *shared = create_payment(client, "mupra", 990000);
    Callback shared_callback = {0};
    if (!CHECK(shared != NULL) || !sandbox_pay("mupra", dargah_payment_token(shared), "pay", &shared_callback)) goto out;

    fflush(NULL);
    pid_t child = fork();
    if (child == 0) {
        in_child(&parents);
        CHECK(deliver("mupra", &shared_callback) == DARGAH_OUTCOME_NEWLY_PAID);
        callback_free(&shared_callback);
        callback_free(&parents);
        dargah_payment_free(shared);
        dargah_client_free(client);
        exit(child_exit_code()); /* exit, not _exit: the leak checks run in the child too */
    }
    int status = 0;
    CHECK(child > 0 && waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);

    /* The parent goes on with its own threads and connections. */
    CHECK(deliver("mupra", &shared_callback) == DARGAH_OUTCOME_ALREADY_PAID);
    Callback after = {0};
    CHECK(pay_and_deliver("atipay", &after) == DARGAH_OUTCOME_NEWLY_PAID);
    callback_free(&after);
    CHECK(sandbox_calls(dargah_payment_token(shared), "mupra.verify") == 1);
out:
    callback_free(&shared_callback);
    callback_free(&parents);
    dargah_payment_free(shared);
}

static void test_fork_before_first_use(void) {
    /* A client made in the parent but first used in two children at once (PHP-FPM's MINIT, then workers). */
    DargahClient *fresh = new_client();
    DargahClient *saved = client;
    client = fresh;
    fflush(NULL);
    pid_t children[2];
    for (int i = 0; i < 2; i++) {
        children[i] = fork();
        if (children[i] == 0) {
            Callback callback = {0};
            CHECK(pay_and_deliver(i ? "canpay" : "vandar", &callback) == DARGAH_OUTCOME_NEWLY_PAID);
            callback_free(&callback);
            dargah_client_free(fresh);
            dargah_client_free(saved);
            exit(child_exit_code());
        }
    }
    for (int i = 0; i < 2; i++) {
        int status = 0;
        CHECK(children[i] > 0 && waitpid(children[i], &status, 0) == children[i]);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    client = saved;
    dargah_client_free(fresh);
}

int main(void) {
    client = new_client();
    run_test("a client used in the parent works in a forked child, and in the parent after", test_fork);
    run_test("a client first used in forked children", test_fork_before_first_use);
    dargah_client_free(client);
    return finish();
}
