#include "CAsyncTopSupport.h"
#include <pthread.h>
#include <signal.h>
#include <string.h>

static volatile sig_atomic_t stop_flag = 0;
static volatile sig_atomic_t dump_flag = 0;

static void on_stop(int sig) { (void)sig; stop_flag = 1; }
static void on_dump(int sig) { (void)sig; dump_flag = 1; }

void asynctop_install_stop_signals(void) {
    sigset_t wanted;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGINT);
    sigaddset(&wanted, SIGTERM);
    sigaddset(&wanted, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &wanted, NULL);
    struct sigaction action;
    memset(&action, 0, sizeof action);
    sigemptyset(&action.sa_mask);
    action.sa_handler = on_stop;
    sigaction(SIGINT, &action, NULL);
    sigaction(SIGTERM, &action, NULL);
    action.sa_handler = on_dump;
    sigaction(SIGUSR1, &action, NULL);
}

bool asynctop_stop_requested(void) { return stop_flag != 0; }

bool asynctop_take_dump_request(void) {
    if (!dump_flag) return false;
    dump_flag = 0;
    return true;
}
