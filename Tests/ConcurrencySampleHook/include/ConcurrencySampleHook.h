// For the tap's tests: a global-executor hook of the sample program's own, set before asynctop's, as SwiftNIO or
// a test library would set one. It counts the jobs it sees and passes each on unchanged.
#ifndef CONCURRENCY_SAMPLE_HOOK_H
#define CONCURRENCY_SAMPLE_HOOK_H
#include <stdbool.h>
#include <stdint.h>

/// Sets the counting hook if no hook is set; false if one was.
bool sample_install_counting_hook(void);
/// Jobs the counting hook has seen.
uint64_t sample_counted_jobs(void);
#endif
