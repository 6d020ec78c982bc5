// The concurrency tap's hot paths: the global-executor hook, the job trampoline, task creation and completion.
// Per job: one thread-local load, three clock reads and three ring appends; no allocation, no lock.
#define _GNU_SOURCE
#include "CAsyncTopConcurrency.h"
#include "CAsyncTopSupport.h"

#include <dlfcn.h>
#include <string.h>

#define SWIFTCALL __attribute__((swiftcall))
#define SWIFTASYNCCALL __attribute__((swiftasynccall))

// ---- The Swift 6.x runtime ABI the tap relies on (include/swift/ABI/Task.h, MetadataValues.h, Executor.h) ----

// A `Job` (a HeapObject): metadata, refcount, SchedulerPrivate[2], Flags (u32), Id (u32), ...
enum { job_scheduler_private_0 = 2, job_scheduler_private_1 = 3 };
static inline uint32_t job_flags(void *job) { return *(uint32_t *)((char *)job + 32); }
static inline uint8_t job_kind(uint32_t flags) { return (uint8_t)(flags & 0xFF); }
static inline uint8_t job_priority(uint32_t flags) { return (uint8_t)((flags >> 8) & 0xFF); }
// `swift_task_enqueue` clears SchedulerPrivate before a job reaches the global executor, and on Linux nothing
// else touches it while the job waits in dispatch: the tap keeps the enqueue time in [0] meanwhile.
// The value the default executor stores in SchedulerPrivate[DispatchQueueIndex] of a job it hands to dispatch.
#define DISPATCH_QUEUE_GLOBAL_EXECUTOR ((void *)1)

// An AsyncContext starts { Parent, ResumeParent }: ResumeParent is where the task's entry function returns to.
typedef SWIFTASYNCCALL void (*resume_parent_fn)(
    __attribute__((swift_async_context)) void *context, __attribute__((swift_context)) void *error);

// A task-creation option record: { size_t flags (kind in bits 0-7), record *parent, payload... }.
enum { task_option_name_kind = 7 };  // InitialTaskName: { flags, parent, const char *name }

typedef struct { void *task; void *context; } async_task_and_context;
typedef SWIFTCALL async_task_and_context (*task_create_fn)(
    size_t flags, void *options, const void *result_type, void *entry, void *context);
typedef SWIFTCALL void (*enqueue_original_fn)(void *job);
typedef SWIFTCALL void (*enqueue_hook_fn)(void *job, enqueue_original_fn original);

SWIFTCALL void swift_job_run(void *job, void *executor_identity, uintptr_t executor_implementation);
SWIFTCALL void *swift_task_getCurrent(void);
SWIFTCALL bool swift_task_isCancelled(void *task);
extern void dispatch_async_f(void *queue, void *context, void (*work)(void *));
extern void *dispatch_get_current_queue(void);
extern const char *dispatch_queue_get_label(void *queue);

// ---- Event kinds (AsyncTopTrace's EventKind.swift is where their meaning is written) ----
enum {
    kind_task_spawned = 0x0401, kind_task_poll_began = 0x0403, kind_task_poll_ended = 0x0404,
    kind_task_completed = 0x0405, kind_task_failed = 0x0406, kind_task_cancelled = 0x0407,
    kind_task_location = 0x0408,
    kind_job_enqueued = 0x0701, kind_job_began = 0x0702, kind_job_ended = 0x0703,
};

// ---- State ----

static asynctop_tap_callbacks callbacks;
static int installed;                          // written once by install, then read relaxed
static enqueue_hook_fn previous_hook;          // a hook set before ours, called after we record the enqueue
static enqueue_hook_fn *hook_variable;         // the runtime's swift_task_enqueueGlobal_hook
static void *queues[256];                      // the runtime's dispatch queue per job priority
static uint64_t untimed_jobs, ringless_events, unwatched_completions;

/// The calling thread's ring, claimed on its first event. `state`: 0 not yet claimed, 1 claimed, 2 refused.
typedef struct {
    asynctop_tap_ring ring;
    int state;
    bool runs_jobs;               // `ring` is a pool thread's (else an enqueuing thread's)
    uint32_t generation;          // the region generation `ring` belongs to
    // Task creation in progress on this thread: the job the hook held back until the spawn is written.
    int creating;
    void *held_job;
    enqueue_original_fn held_original;
} tap_thread;
static __thread tap_thread current __attribute__((tls_model("initial-exec")));
/// Bumped when the tap is pointed at another region: each thread claims a ring there on its next event.
static uint32_t region_generation;
void asynctop_tap_region_changed(void) { __atomic_fetch_add(&region_generation, 1, __ATOMIC_ACQ_REL); }
uint32_t asynctop_tap_region_generation(void) { return __atomic_load_n(&region_generation, __ATOMIC_ACQUIRE); }

/// The ring of the calling thread, claiming one first if needed; NULL if none can be had. `runs_jobs`: the
/// caller runs a job (or is inside one). A thread whose first event only enqueued (a dispatch worker handing a
/// task on before it ever ran one) has an enqueuing thread's ring; when it later runs a job it claims a pool
/// thread's ring and writes there from then on (its enqueuing ring simply ends).
static inline asynctop_tap_ring *thread_ring(bool runs_jobs) {
    uint32_t generation = __atomic_load_n(&region_generation, __ATOMIC_ACQUIRE);
    if (__builtin_expect(current.state == 1 && current.generation == generation && (current.runs_jobs || !runs_jobs), 1)) {
        return &current.ring;
    }
    if (current.generation != generation || (runs_jobs && !current.runs_jobs)) {
        current.generation = generation;
        current.state = 0;
    }
    if (current.state == 0) {
        current.state = callbacks.claim_ring(runs_jobs, &current.ring) ? 1 : 2;
        current.runs_jobs = runs_jobs;
        if (current.state == 1) return &current.ring;
    }
    __atomic_fetch_add(&ringless_events, 1, __ATOMIC_RELAXED);
    return NULL;
}

static inline void append(asynctop_tap_ring *ring, uint64_t ticks, uint16_t kind, uint32_t name, uint64_t id, uint64_t arg) {
    asynctop_ring_append(ring->head, ring->slots, ring->mask, ticks - ring->epoch_ticks,
                         (uint64_t)kind | (uint64_t)ring->loop << 16 | (uint64_t)name << 32, id, arg);
}

// ---- A job's instrumentation: its enqueue, its start and its end ----

static uint32_t job_label_names[256];

/// A task's 64-bit id, as `swift_task_getJobTaskId` computes it (Job::Id at 36, the upper half in the task's
/// private area at 144), read in place: a call into the runtime less on each of the tap's two paths. 0 for a job
/// that is not a task's.
static inline uint64_t task_id_of(void *job, uint8_t kind) {
    if (kind != 0) return 0;
    return (uint64_t)*(uint32_t *)((char *)job + 144) << 32 | *(uint32_t *)((char *)job + 36);
}

/// Stamps the job with its enqueue time (in SchedulerPrivate[0]) and writes `job_enqueued` on this thread's ring.
static inline void mark_enqueued(void *job, uint32_t flags) {
    // The ring first: a thread's first event claims it, which writes its `loop_started` (and takes a while).
    asynctop_tap_ring *ring = asynctop_tracing_enabled() ? thread_ring(false) : NULL;
    uint64_t now = asynctop_now_ticks();
    ((void **)job)[job_scheduler_private_0] = (void *)now;
    if (ring) {
        uint8_t kind = job_kind(flags);
        append(ring, now, kind_job_enqueued, 0, task_id_of(job, kind), (uint64_t)job_priority(flags) | (uint64_t)kind << 8);
    }
}

/// What `mark_ended` needs of a job that began: read before the run, for a task that completes in its job may be
/// freed by the time it returns.
typedef struct { asynctop_tap_ring *ring; uint64_t task_id; uint8_t kind; } run_mark;

static inline run_mark mark_began(void *job) {
    uint8_t kind = job_kind(job_flags(job));
    run_mark mark = {asynctop_tracing_enabled() ? thread_ring(true) : NULL, task_id_of(job, kind), kind};
    if (mark.ring) {
        uint64_t enqueued = (uint64_t)((void **)job)[job_scheduler_private_0];
        uint64_t began = asynctop_now_ticks();
        uint64_t delay = began > enqueued ? began - enqueued : 0;
        if (kind == 0) append(mark.ring, began, kind_task_poll_began, 0, mark.task_id, delay);
        else append(mark.ring, began, kind_job_began, job_label_names[kind], kind, delay);
    }
    return mark;
}

static inline void mark_ended(run_mark mark) {
    if (!mark.ring) return;
    if (mark.kind == 0) append(mark.ring, asynctop_now_ticks(), kind_task_poll_ended, 0, mark.task_id, 0);
    else append(mark.ring, asynctop_now_ticks(), kind_job_ended, 0, mark.kind, 0);
}

// ---- Running a job: the function dispatch calls ----

static void run_job(void *job) {
    run_mark mark = mark_began(job);
    swift_job_run(job, NULL, 0);
    mark_ended(mark);
}

/// Hands `job` to the runtime's own queue for its priority, through `run_job`; the "original" the tap gives a
/// hook that was there before it.
static SWIFTCALL void dispatch_job(void *job) {
    void *queue = queues[job_priority(job_flags(job))];
    ((void **)job)[job_scheduler_private_1] = DISPATCH_QUEUE_GLOBAL_EXECUTOR;
    dispatch_async_f(queue, job, run_job);
}

// ---- Enqueueing: the hook ----

static void enqueue(void *job, enqueue_original_fn original) {
    uint32_t flags = job_flags(job);
    if (__builtin_expect(queues[job_priority(flags)] == NULL, 0)) {
        __atomic_fetch_add(&untimed_jobs, 1, __ATOMIC_RELAXED);
        if (previous_hook) previous_hook(job, original); else original(job);
        return;
    }
    mark_enqueued(job, flags);
    if (previous_hook) previous_hook(job, dispatch_job); else dispatch_job(job);
}

static SWIFTCALL void enqueue_hook(void *job, enqueue_original_fn original) {
    // A task being created on this thread is held back until its spawn is written, so that a reader sees the
    // spawn before the task's first job (the runtime enqueues inside swift_task_create).
    if (current.creating && !current.held_job && job_kind(job_flags(job)) == 0) {
        current.held_job = job;
        current.held_original = original;
        return;
    }
    enqueue(job, original);
}

// ---- Task completion: the initial context's ResumeParent, wrapped ----

// The runtime's completion functions (at most a few distinct ones), each wrapped by its own trampoline, so that
// the wrapper knows where to go on without any per-task storage.
#define completion_slots 4
static resume_parent_fn completion_originals[completion_slots];

static void task_finished(void *error) {
    asynctop_tap_ring *ring = asynctop_tracing_enabled() ? thread_ring(true) : NULL;
    if (!ring) return;
    void *task = swift_task_getCurrent();
    if (!task) return;
    uint64_t id = task_id_of(task, 0);
    uint64_t now = asynctop_now_ticks();
    if (!error) {
        append(ring, now, kind_task_completed, 0, id, 0);
    } else if (swift_task_isCancelled(task)) {
        append(ring, now, kind_task_cancelled, 0, id, 0);
    } else {
        void *slot = error;
        append(ring, now, kind_task_failed, 0, id, callbacks.describe_error(&slot));
    }
}

#define COMPLETION_TRAMPOLINE(i)                                                                              \
    static SWIFTASYNCCALL void completion_##i(                                                               \
        __attribute__((swift_async_context)) void *context, __attribute__((swift_context)) void *error) {    \
        task_finished(error);                                                                                 \
        __attribute__((musttail)) return completion_originals[i](context, error);                            \
    }
COMPLETION_TRAMPOLINE(0)
COMPLETION_TRAMPOLINE(1)
COMPLETION_TRAMPOLINE(2)
COMPLETION_TRAMPOLINE(3)
static const resume_parent_fn completion_trampolines[completion_slots] = {
    completion_0, completion_1, completion_2, completion_3};

/// Points the task's initial context at the trampoline for its completion function. False if the function is
/// one more than the tap has slots for.
static bool watch_completion(void *initial_context) {
    resume_parent_fn *resume = (resume_parent_fn *)initial_context + 1;
    resume_parent_fn original = __atomic_load_n(resume, __ATOMIC_RELAXED);
    for (int i = 0; i < completion_slots; i++) {
        resume_parent_fn known = __atomic_load_n(&completion_originals[i], __ATOMIC_ACQUIRE);
        if (known == NULL) {
            resume_parent_fn expected = NULL;
            if (__atomic_compare_exchange_n(&completion_originals[i], &expected, original, false,
                                            __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
                known = original;
            } else {
                known = expected;
            }
        }
        if (known == original) {
            __atomic_store_n(resume, completion_trampolines[i], __ATOMIC_RELAXED);
            return true;
        }
        if (known == completion_trampolines[i]) return true;  // already wrapped
    }
    return false;
}

// ---- Names and sites: small lock-free caches in front of the Swift side's interning ----

#define cache_size 4096
typedef struct { uint64_t key; uint32_t value; } cache_entry;
static cache_entry name_cache[cache_size], site_cache[cache_size];

static inline uint64_t cache_slot(uint64_t key) { return (key * 0x9E3779B97F4A7C15ull) >> 52; }

/// The value cached for `key`, or 0.
static uint32_t cache_find(cache_entry *cache, uint64_t key) {
    if (key == 0) key = 1;
    uint64_t slot = cache_slot(key);
    for (int probe = 0; probe < 8; probe++) {
        cache_entry *entry = &cache[(slot + probe) & (cache_size - 1)];
        uint64_t seen = __atomic_load_n(&entry->key, __ATOMIC_ACQUIRE);
        if (seen == key) return __atomic_load_n(&entry->value, __ATOMIC_RELAXED);
        if (seen == 0) return 0;
    }
    return 0;
}

/// Caches `value` for `key` in the first free slot of its neighbourhood (a full neighbourhood caches nothing:
/// the Swift side, which deduplicates, is asked again next time).
static void cache_store(cache_entry *cache, uint64_t key, uint32_t value) {
    if (key == 0) key = 1;
    uint64_t slot = cache_slot(key);
    for (int probe = 0; probe < 8; probe++) {
        cache_entry *entry = &cache[(slot + probe) & (cache_size - 1)];
        uint64_t seen = __atomic_load_n(&entry->key, __ATOMIC_ACQUIRE);
        if (seen == key) return;
        if (seen == 0) {
            // The value goes in first: a reader that sees the key (acquire) sees it too.
            __atomic_store_n(&entry->value, value, __ATOMIC_RELAXED);
            uint64_t expected = 0;
            if (__atomic_compare_exchange_n(&entry->key, &expected, key, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED)) return;
            if (expected == key) return;
        }
    }
}

void asynctop_tap_cache_site(uint64_t key, uint32_t name) { cache_store(site_cache, key, name); }

void asynctop_tap_emit_location(uint64_t task, uint32_t name) {
    asynctop_tap_ring *ring = thread_ring(false);
    if (ring) append(ring, asynctop_now_ticks(), kind_task_location, name, task, 0);
}

/// FNV-1a: its start value, and one step of it over a value.
static inline uint64_t fnv_step(uint64_t hash, uint64_t value) { return (hash ^ value) * 0x100000001b3ull; }
static const uint64_t fnv_offset = 0xcbf29ce484222325ull;

static uint64_t hash_bytes(const char *bytes, size_t length) {
    uint64_t hash = fnv_offset;
    for (size_t i = 0; i < length; i++) hash = fnv_step(hash, (uint8_t)bytes[i]);
    return hash;
}

/// The task name in a creation's option records, if any.
static const char *task_name_option(void *options) {
    for (void **record = options; record; record = (void **)record[1]) {
        if (((size_t)record[0] & 0xFF) == task_option_name_kind) return (const char *)record[2];
    }
    return NULL;
}

// ---- Spawn sites: a task's creating call path, as a key ----

// `addTask`, `Task.init` and `Task.detached` reach swift_task_create through closures of their own (some in the
// runtime, some emitted into the caller's binary, with `withUnsafeBufferPointer` between), so no single return
// address names the creating code. The tap keys a site by a hash of the return addresses of the first frames
// above it, walking the frame-pointer chain (Swift code keeps frame pointers on Linux) and checking each step
// moves up the stack by a sane amount; the Swift side names a new key by symbolicating that stack once.
enum { site_depth = 8 };

/// `frame`: the interposer's own frame (it takes its address, which makes the compiler keep a frame pointer).
static uint64_t spawn_site_key(void **frame) {
    uint64_t hash = fnv_offset;
    for (int depth = 0; depth < site_depth && frame; depth++) {
        void **caller = (void **)frame[0];
        hash = fnv_step(hash, (uint64_t)frame[1]);
        if ((uintptr_t)caller <= (uintptr_t)frame || (uintptr_t)caller - (uintptr_t)frame > (1u << 20)
            || ((uintptr_t)caller & 7) != 0) {
            break;
        }
        frame = caller;
    }
    return hash;
}

// ---- Task creation: the interposer ----

static task_create_fn real_task_create;

/// Interposes the runtime's `swift_task_create`: linked into an executable (the one-line call), it takes the
/// executable's own task creations; preloaded (`asynctop run`), every library's. Until the tap is installed it
/// only passes the call on.
SWIFTCALL async_task_and_context swift_task_create(
    size_t flags, void *options, const void *result_type, void *entry, void *context) {
    task_create_fn real = __atomic_load_n(&real_task_create, __ATOMIC_ACQUIRE);
    if (__builtin_expect(real == NULL, 0)) {
        real = (task_create_fn)dlsym(RTLD_NEXT, "swift_task_create");
        __atomic_store_n(&real_task_create, real, __ATOMIC_RELEASE);
    }
    if (!__atomic_load_n(&installed, __ATOMIC_RELAXED) || !asynctop_tracing_enabled() || current.creating) {
        return real(flags, options, result_type, entry, context);
    }
    // Cached name ids belong to the region they were interned in: the generation keeps other regions' apart.
    uint64_t region_salt = (uint64_t)__atomic_load_n(&region_generation, __ATOMIC_ACQUIRE) * 0xD6E8FEB86659FD93ull;
    uint64_t site = spawn_site_key(__builtin_frame_address(0)) ^ region_salt;
    void *parent = swift_task_getCurrent();
    current.creating = 1;
    current.held_job = NULL;
    async_task_and_context created = real(flags, options, result_type, entry, context);
    current.creating = 0;
    // Wrapped before the task's first job is handed on: the task cannot have run yet when its job was held.
    if (!watch_completion(created.context)) {
        __atomic_fetch_add(&unwatched_completions, 1, __ATOMIC_RELAXED);
    }
    asynctop_tap_ring *ring = thread_ring(parent != NULL);
    if (ring) {
        uint64_t id = task_id_of(created.task, 0);
        uint64_t parent_id = parent ? task_id_of(parent, 0) : 0;
        const char *name = task_name_option(options);
        uint32_t name_id = 0;
        if (name) {
            size_t length = strlen(name);
            uint64_t hash = hash_bytes(name, length) ^ region_salt;
            name_id = cache_find(name_cache, hash);
            if (!name_id) {
                name_id = callbacks.intern_name(name, length);
                cache_store(name_cache, hash, name_id);
            }
        }
        uint64_t now = asynctop_now_ticks();
        append(ring, now, kind_task_spawned, name_id, id, parent_id);
        // A new call path is named off this thread (symbolicating takes milliseconds): its location comes later,
        // from the Swift side's resolver thread.
        uint32_t site_id = cache_find(site_cache, site);
        if (!site_id) site_id = callbacks.site_name(site, id);
        if (site_id) append(ring, now, kind_task_location, site_id, id, 0);
    }
    if (current.held_job) {
        void *job = current.held_job;
        current.held_job = NULL;
        enqueue(job, current.held_original);
    }
    return created;
}

// ---- Installation ----

void asynctop_tap_set_queue(uint8_t priority, void *queue) { __atomic_store_n(&queues[priority], queue, __ATOMIC_RELEASE); }

asynctop_tap_status asynctop_tap_install(asynctop_tap_callbacks given) {
    if (__atomic_load_n(&installed, __ATOMIC_ACQUIRE)) return asynctop_tap_already_installed;
    enqueue_hook_fn *hook = (enqueue_hook_fn *)dlsym(RTLD_DEFAULT, "swift_task_enqueueGlobal_hook");
    if (!hook || !dlsym(RTLD_DEFAULT, "swift_job_run")) {
        return asynctop_tap_unsupported_runtime;
    }
    callbacks = given;
    enqueue_hook_fn seen = __atomic_load_n(hook, __ATOMIC_ACQUIRE);
    for (;;) {
        previous_hook = seen;
        if (__atomic_compare_exchange_n(hook, &seen, enqueue_hook, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) break;
    }
    hook_variable = hook;
    __atomic_store_n(&installed, 1, __ATOMIC_RELEASE);
    return previous_hook ? asynctop_tap_installed_chained : asynctop_tap_installed;
}

bool asynctop_tap_suspend(void) {
    if (!hook_variable || !__atomic_load_n(&installed, __ATOMIC_ACQUIRE)) return false;
    enqueue_hook_fn expected = enqueue_hook;
    if (!__atomic_compare_exchange_n(hook_variable, &expected, previous_hook, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        return false;
    }
    __atomic_store_n(&installed, 0, __ATOMIC_RELEASE);
    return true;
}

bool asynctop_tap_resume(void) {
    if (!hook_variable || __atomic_load_n(&installed, __ATOMIC_ACQUIRE)) return false;
    enqueue_hook_fn expected = previous_hook;
    if (!__atomic_compare_exchange_n(hook_variable, &expected, enqueue_hook, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
        return false;
    }
    __atomic_store_n(&installed, 1, __ATOMIC_RELEASE);
    return true;
}

void asynctop_tap_set_job_label(uint8_t kind, uint32_t name) { job_label_names[kind] = name; }

void asynctop_tap_emit(uint16_t kind, uint32_t name, uint64_t id, uint64_t arg) {
    if (!__atomic_load_n(&installed, __ATOMIC_ACQUIRE) || !asynctop_tracing_enabled()) return;
    asynctop_tap_ring *ring = thread_ring(false);
    if (ring) append(ring, asynctop_now_ticks(), kind, name, id, arg);
}

uint64_t asynctop_tap_current_task_id(void) {
    void *task = swift_task_getCurrent();
    return task ? task_id_of(task, 0) : 0;
}

void asynctop_tap_measure_instrumentation(uint64_t times) {
    void *task = swift_task_getCurrent();
    if (!task) return;
    void *saved[2] = {((void **)task)[job_scheduler_private_0], ((void **)task)[job_scheduler_private_1]};
    uint32_t flags = job_flags(task);
    for (uint64_t i = 0; i < times; i++) {
        mark_enqueued(task, flags);
        mark_ended(mark_began(task));
    }
    ((void **)task)[job_scheduler_private_0] = saved[0];
    ((void **)task)[job_scheduler_private_1] = saved[1];
}

asynctop_tap_counts asynctop_tap_get_counts(void) {
    asynctop_tap_counts counts = {
        __atomic_load_n(&untimed_jobs, __ATOMIC_RELAXED),
        __atomic_load_n(&ringless_events, __ATOMIC_RELAXED),
        __atomic_load_n(&unwatched_completions, __ATOMIC_RELAXED),
    };
    return counts;
}

void *asynctop_tap_current_queue(void) { return dispatch_get_current_queue(); }

int asynctop_tap_current_job_priority(void) {
    void *task = swift_task_getCurrent();
    return task ? job_priority(job_flags(task)) : -1;
}
const char *asynctop_tap_queue_label(void *queue) { return dispatch_queue_get_label(queue); }

int64_t asynctop_tap_runtime_layout_version(void) {
    const uint32_t *version = dlsym(RTLD_DEFAULT, "_swift_concurrency_debug_internal_layout_version");
    return version ? (int64_t)*version : -1;
}
