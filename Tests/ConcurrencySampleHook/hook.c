#define _GNU_SOURCE
#include "ConcurrencySampleHook.h"
#include <dlfcn.h>

#define SWIFTCALL __attribute__((swiftcall))
typedef SWIFTCALL void (*original_fn)(void *job);
typedef SWIFTCALL void (*hook_fn)(void *job, original_fn original);

static uint64_t counted;

static SWIFTCALL void counting_hook(void *job, original_fn original) {
    __atomic_fetch_add(&counted, 1, __ATOMIC_RELAXED);
    original(job);
}

bool sample_install_counting_hook(void) {
    hook_fn *hook = (hook_fn *)dlsym(RTLD_DEFAULT, "swift_task_enqueueGlobal_hook");
    hook_fn expected = 0;
    return hook && __atomic_compare_exchange_n(hook, &expected, counting_hook, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

uint64_t sample_counted_jobs(void) { return __atomic_load_n(&counted, __ATOMIC_RELAXED); }
