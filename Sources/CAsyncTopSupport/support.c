#define _GNU_SOURCE
#include "CAsyncTopSupport.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>

__attribute__((swiftcall)) uint32_t swift_task_getJobFlags(const void *job);
__attribute__((swiftcall)) bool swift_task_isCancelled(const void *task);

uint32_t asynctop_job_flags(const void *job) { return swift_task_getJobFlags(job); }
bool asynctop_task_is_cancelled(const void *task) { return swift_task_isCancelled(task); }

int asynctop_tracing_flag = 1;
int asynctop_clock_uses_tsc = 0;

static int file_contains_word(const char *path, const char *word) {
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[4096];
    int found = 0;
    size_t n = strlen(word);
    while (!found && fgets(line, sizeof line, f)) {
        for (char *p = strstr(line, word); p; p = strstr(p + 1, word)) {
            int starts = (p == line) || p[-1] == ' ' || p[-1] == '\t';
            char after = p[n];
            if (starts && (after == ' ' || after == '\n' || after == '\0' || after == '\t')) { found = 1; break; }
        }
    }
    fclose(f);
    return found;
}

static pthread_once_t clock_once = PTHREAD_ONCE_INIT;

static void select_clock(void) {
#if defined(__x86_64__)
    int uses = file_contains_word("/sys/devices/system/clocksource/clocksource0/current_clocksource", "tsc")
        && file_contains_word("/proc/cpuinfo", "constant_tsc")
        && file_contains_word("/proc/cpuinfo", "nonstop_tsc");
    const char *force = getenv("ASYNCTOP_CLOCK");
    if (force && strcmp(force, "monotonic") == 0) uses = 0;
    asynctop_clock_uses_tsc = uses;
#else
    asynctop_clock_uses_tsc = 0;
#endif
}

int asynctop_clock_select(void) {
    pthread_once(&clock_once, select_clock);
    return asynctop_clock_uses_tsc;
}

uint64_t asynctop_thread_id(void) {
    return (uint64_t)syscall(SYS_gettid);
}

#define MAX_UNLINK_PATHS 8
static char unlink_paths[MAX_UNLINK_PATHS][4096];
static pthread_mutex_t unlink_lock = PTHREAD_MUTEX_INITIALIZER;
static int unlink_registered = 0;

static void unlink_all(void) {
    pthread_mutex_lock(&unlink_lock);
    for (int i = 0; i < MAX_UNLINK_PATHS; i++) {
        if (unlink_paths[i][0]) unlink(unlink_paths[i]);
        unlink_paths[i][0] = 0;
    }
    pthread_mutex_unlock(&unlink_lock);
}

void asynctop_unlink_at_exit(const char *path) {
    pthread_mutex_lock(&unlink_lock);
    if (!unlink_registered) { atexit(unlink_all); unlink_registered = 1; }
    for (int i = 0; i < MAX_UNLINK_PATHS; i++) {
        if (!unlink_paths[i][0]) {
            strncpy(unlink_paths[i], path, sizeof unlink_paths[i] - 1);
            break;
        }
    }
    pthread_mutex_unlock(&unlink_lock);
}

void asynctop_forget_unlink_at_exit(const char *path) {
    pthread_mutex_lock(&unlink_lock);
    for (int i = 0; i < MAX_UNLINK_PATHS; i++) {
        if (strcmp(unlink_paths[i], path) == 0) unlink_paths[i][0] = 0;
    }
    pthread_mutex_unlock(&unlink_lock);
}
