#include "CFuzzerDriver.h"
#include <stddef.h>
#include <stdint.h>

// libFuzzer's entry for programs with their own main (compiler-rt, FuzzerDriver.cpp), and the test it runs
// (defined in Swift, main.swift).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*test)(const uint8_t *data, size_t size));
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int asynctop_run_libfuzzer(int argc, char **argv, bool skip_target) {
    if (skip_target) {
        // The target's name takes the program's name's place.
        argv[1] = argv[0];
        argc -= 1;
        argv += 1;
    }
    return LLVMFuzzerRunDriver(&argc, &argv, LLVMFuzzerTestOneInput);
}
