#pragma once
#include <stddef.h>
#include <stdint.h>

/// Runs libFuzzer (its options in argv) on `test`, for a program whose `main` is its own: SwiftPM links an
/// executable's `main` to its Swift entry point, so libFuzzer's `main` never runs, and the target's `main.swift`
/// calls this instead.
int asynctop_fuzz_main(int argc, char **argv, int (*test)(const uint8_t *data, size_t size));
