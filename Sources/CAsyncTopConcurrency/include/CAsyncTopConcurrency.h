// The concurrency tap: what sees Swift Concurrency's global executor from inside a process. C, because the
// runtime's hooks use the Swift and Swift-async calling conventions on raw `Job` pointers, which Swift code
// cannot declare; the Swift side (AsyncTopConcurrency) owns the region, names and installation.
#ifndef CASYNCTOP_CONCURRENCY_H
#define CASYNCTOP_CONCURRENCY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// One thread's ring, as the tap writes it (see `asynctop_ring_append`).
typedef struct asynctop_tap_ring {
    uint64_t *head;
    uint64_t *slots;
    uint64_t mask;
    uint64_t epoch_ticks;
    uint16_t loop;
} asynctop_tap_ring;

/// The Swift side's cold paths, each called at most once per thread, name or site (results are cached here).
typedef struct asynctop_tap_callbacks {
    /// Claims a ring for the calling thread: a pool thread if `runs_jobs`, else an enqueuing thread. False if
    /// no ring could be had (the thread's events are then not written, and counted).
    bool (*claim_ring)(bool runs_jobs, asynctop_tap_ring *out);
    /// The name-table id of `length` bytes of UTF-8 (a task's name).
    uint32_t (*intern_name)(const char *bytes, size_t length);
    /// The name-table id of the creating call path `key` (a hash of its return addresses), called from inside a
    /// creation of task `task` when the tap's cache has none: the id if the path is already named, else 0, and
    /// the Swift side names the path off this thread and writes the task's location later
    /// (`asynctop_tap_emit_location`), caching the name (`asynctop_tap_cache_site`).
    uint32_t (*site_name)(uint64_t key, uint64_t task);
    /// The name-table id of the description of the Swift error stored at `error_slot` (an `any Error`).
    uint32_t (*describe_error)(void *const *error_slot);
} asynctop_tap_callbacks;

/// What `asynctop_tap_install` did.
typedef enum asynctop_tap_status {
    /// Installed; no other hook was there.
    asynctop_tap_installed = 0,
    /// Installed in front of a hook another library had set: that hook still decides where jobs run.
    asynctop_tap_installed_chained = 1,
    /// Already installed by an earlier call.
    asynctop_tap_already_installed = 2,
    /// This Swift runtime lacks `swift_task_enqueueGlobal_hook` or the functions the tap calls.
    asynctop_tap_unsupported_runtime = 3,
} asynctop_tap_status;

/// Records `queue` as the libdispatch queue the runtime's default global executor uses for jobs of
/// `priority` (learnt by running a job there and asking dispatch which queue it is on). Jobs of a priority
/// with no queue recorded are passed on to the runtime untimed, and counted.
void asynctop_tap_set_queue(uint8_t priority, void *queue);

/// Caches the name of a creating call path, and writes a `task_location` on the calling thread's ring: the Swift
/// side's resolver uses them once it has named a path.
void asynctop_tap_cache_site(uint64_t key, uint32_t name);
void asynctop_tap_emit_location(uint64_t task, uint32_t name);

/// Names jobs of `kind` (a `JobKind`) in their `jobBegan` events.
void asynctop_tap_set_job_label(uint8_t kind, uint32_t name);

/// Installs the global-executor hook (compare-and-swap: a hook set before is kept and called) and switches
/// on the task-creation interposer. Call once, before tasks start.
asynctop_tap_status asynctop_tap_install(asynctop_tap_callbacks callbacks);

/// Writes an event of `kind` on the calling thread's ring, stamped now: the pool's width counter, and the spans of
/// the tracing bridge, which land on the ring of the thread that opens or ends them. Does nothing before the tap is
/// installed or while tracing is off. No allocation, no lock.
void asynctop_tap_emit(uint16_t kind, uint32_t name, uint64_t id, uint64_t arg);
/// The id of the task running on the calling thread (as the tap writes task ids), or 0 outside a task.
uint64_t asynctop_tap_current_task_id(void);

/// Tells every thread that the Swift side now points at another region: each claims a ring there on its next
/// event (the old region must stay mapped: a job that began before may still end into it).
void asynctop_tap_region_changed(void);
/// How many times the tap was pointed at another region: a name id interned before is stale once this changes.
uint32_t asynctop_tap_region_generation(void);

/// Takes the tap out (the hook that was there before it is put back, and task creation is no longer traced), or
/// puts it back in. False when there was nothing to do, or when another library changed the hook meanwhile (it is
/// then left alone). Jobs already handed to the tap's queues still run through it.
bool asynctop_tap_suspend(void);
bool asynctop_tap_resume(void);

/// For the benchmark: runs the tap's whole per-job instrumentation (the enqueue mark and event, the start and end
/// marks and events: all the tap adds to a job besides handing it to dispatch, as the runtime does too) `times`
/// times on the calling thread, with the calling task (which is running, so not queued anywhere) as the job. Its
/// scheduler fields are put back after. Does nothing outside a task.
void asynctop_tap_measure_instrumentation(uint64_t times);

/// Counts kept by the tap, for its health line and the benchmark.
typedef struct asynctop_tap_counts {
    /// Jobs passed on to the runtime untimed (no queue known for their priority).
    uint64_t untimed_jobs;
    /// Events not written because the thread had no ring.
    uint64_t ringless_events;
    /// Tasks whose completion could not be watched (their runtime completion function was one too many).
    uint64_t unwatched_completions;
} asynctop_tap_counts;
asynctop_tap_counts asynctop_tap_get_counts(void);

/// The runtime's queue for the calling job: `dispatch_get_current_queue()` and its label, for the probe.
void *asynctop_tap_current_queue(void);
/// The priority in the running task's job flags (what the global executor picks a queue by), or -1 outside a task.
int asynctop_tap_current_job_priority(void);
const char *asynctop_tap_queue_label(void *queue);

/// `_swift_concurrency_debug_internal_layout_version` of the loaded runtime, or -1 if it has none.
int64_t asynctop_tap_runtime_layout_version(void);

#ifdef __cplusplus
}
#endif
#endif
