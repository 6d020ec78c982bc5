#pragma once

#include <stdbool.h>

/// Runs libFuzzer on `LLVMFuzzerTestOneInput` with the program's options and corpus directories, for a program whose
/// `main` is its own: SwiftPM links an executable's `main` to its Swift entry point, so libFuzzer's `main` never runs,
/// and `main.swift` calls this instead. `skip_target`: argv[1] is the target's name, which libFuzzer must not see (a
/// worker process that libFuzzer starts has none: its target comes from the environment).
int asynctop_run_libfuzzer(int argc, char **argv, bool skip_target);
