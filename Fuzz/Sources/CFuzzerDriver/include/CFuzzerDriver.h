#pragma once

/// Runs libFuzzer on `LLVMFuzzerTestOneInput` with the options and corpus directories that follow the target's name
/// (argv[1], which libFuzzer must not see), for a program whose `main` is its own: SwiftPM links an executable's
/// `main` to its Swift entry point, so libFuzzer's `main` never runs, and `main.swift` calls this instead.
int asynctop_run_libfuzzer(int argc, char **argv);
