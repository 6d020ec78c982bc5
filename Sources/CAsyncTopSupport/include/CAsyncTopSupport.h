// Small C pieces of the trace core that Swift cannot express as cheaply.
// Everything on the emit path is `static inline`, so Swift's clang importer
// inlines it into the caller: reading the clock or the tracing switch costs
// no call.
#ifndef CASYNCTOP_SUPPORT_H
#define CASYNCTOP_SUPPORT_H

#include <stdint.h>
#include <stdbool.h>
#include <time.h>

// The runtime's reactor (AsyncTopRuntime) needs these and Glibc's Swift module does not export them.
#if defined(__linux__)
#include <sys/epoll.h>
#include <sys/eventfd.h>
// And the monitor this: `malloc_trim`, to give freed pages back while it runs for hours.
#include <malloc.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#endif

#ifdef __cplusplus
extern "C" {
#endif

/// The Swift runtime's flags of a job (`swift_task_getJobFlags`) and whether a task is cancelled
/// (`swift_task_isCancelled`): what the loop says of a task it wakes. Called from C, for Swift's `_Concurrency`
/// declares the second itself with a type Swift code cannot name.
uint32_t asynctop_job_flags(const void *job);
bool asynctop_task_is_cancelled(const void *task);

/// Non-zero when tracing is on. Written rarely (by `Tracer.isEnabled`), read on
/// every emit with a relaxed load: one predictable branch when off.
extern int asynctop_tracing_flag;

/// Non-zero when `asynctop_now_ticks` reads the TSC; zero means CLOCK_MONOTONIC
/// nanoseconds. Decided once, by `asynctop_clock_select`, before any tick is read.
extern int asynctop_clock_uses_tsc;

static inline bool asynctop_tracing_enabled(void) {
    return __atomic_load_n(&asynctop_tracing_flag, __ATOMIC_RELAXED) != 0;
}

static inline void asynctop_set_tracing_enabled(bool on) {
    __atomic_store_n(&asynctop_tracing_flag, on ? 1 : 0, __ATOMIC_RELAXED);
}

static inline uint64_t asynctop_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static inline uint64_t asynctop_read_tsc(void) {
#if defined(__x86_64__) || defined(__i386__)
    return __rdtsc();
#else
    return asynctop_monotonic_ns();
#endif
}

/// The trace clock: TSC ticks when the TSC is a usable clock, else CLOCK_MONOTONIC ns.
static inline uint64_t asynctop_now_ticks(void) {
    if (__builtin_expect(asynctop_clock_uses_tsc, 1)) {
        return asynctop_read_tsc();
    }
    return asynctop_monotonic_ns();
}

/// The producer side of the ring protocol, the one implementation every producer uses (`Tracer.emit` in Swift,
/// the concurrency tap in C): appends one 32-byte event at `head`, overwriting the oldest slot when the ring is
/// full. Load head (relaxed); a release fence, so that a reader that sees any word of this event also sees a
/// head that makes it discard the event being overwritten; four relaxed stores; publish head + 1 (release).
/// On x86-64 all of it is plain moves. `word1` packs kind | loop << 16 | name << 32.
static inline void asynctop_ring_append(
    uint64_t *head, uint64_t *slots, uint64_t mask, uint64_t time, uint64_t word1, uint64_t id, uint64_t arg) {
    uint64_t index = __atomic_load_n(head, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_RELEASE);
    uint64_t *slot = slots + ((index & mask) << 2);
    __atomic_store_n(slot, time, __ATOMIC_RELAXED);
    __atomic_store_n(slot + 1, word1, __ATOMIC_RELAXED);
    __atomic_store_n(slot + 2, id, __ATOMIC_RELAXED);
    __atomic_store_n(slot + 3, arg, __ATOMIC_RELAXED);
    __atomic_store_n(head, index + 1, __ATOMIC_RELEASE);
}

/// Events appended to the ring whose head is at `head`.
static inline uint64_t asynctop_ring_head(const uint64_t *head) { return __atomic_load_n(head, __ATOMIC_RELAXED); }

/// Chooses the clock: 1 if the TSC is usable (x86, kernel clocksource `tsc`,
/// CPU flags constant_tsc and nonstop_tsc), else 0. Idempotent.
int asynctop_clock_select(void);

/// The kernel thread id of the caller.
uint64_t asynctop_thread_id(void);

/// Unlinks `path` when the process exits normally (atexit), unless
/// `asynctop_forget_unlink_at_exit` was called for it first. At most 8 paths.
void asynctop_unlink_at_exit(const char *path);
void asynctop_forget_unlink_at_exit(const char *path);

#ifdef __cplusplus
}
#endif
#endif

#ifndef CASYNCTOP_CRC_H
#define CASYNCTOP_CRC_H
#include <stddef.h>
/// CRC-32C (Castagnoli) of `length` bytes, continuing from `crc` (start with 0). Uses the SSE4.2 instruction
/// when the CPU has it (~10 GB/s), else a table (~500 MB/s).
uint32_t asynctop_crc32c(uint32_t crc, const void *bytes, size_t length);
#endif

#ifndef CASYNCTOP_SIGNALS_H
#define CASYNCTOP_SIGNALS_H
/// For headless commands (record, demo --record): SIGINT/SIGTERM set a stop flag instead of killing the
/// process, so the recording is finished cleanly; SIGUSR1 sets a dump flag (flight recorder).
void asynctop_install_stop_signals(void);
bool asynctop_stop_requested(void);
/// True once per SIGUSR1 received since the last call.
bool asynctop_take_dump_request(void);
#endif
