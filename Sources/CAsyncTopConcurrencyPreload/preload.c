// Runs the tap's installation when the dynamic loader maps this library into a program (LD_PRELOAD, set by
// `asynctop run`), before the program's main. The library's own entry is taken out of LD_PRELOAD first, so the
// programs this one starts are not traced (and do not publish regions of their own).
#define _GNU_SOURCE
#include "CAsyncTopConcurrencyPreload.h"

#include <stdlib.h>
#include <string.h>

static void drop_self_from_preload(void) {
    const char *preload = getenv("LD_PRELOAD");
    if (!preload) return;
    size_t length = strlen(preload);
    char *kept = malloc(length + 1);
    if (!kept) return;
    kept[0] = '\0';
    const char *cursor = preload;
    while (*cursor) {
        size_t span = strcspn(cursor, ": ");
        if (span > 0 && !(span >= 33 && memmem(cursor, span, "libAsyncTopConcurrencyPreload.so", 32))) {
            if (kept[0]) strcat(kept, ":");
            strncat(kept, cursor, span);
        }
        cursor += span;
        if (*cursor) cursor++;
    }
    if (kept[0]) setenv("LD_PRELOAD", kept, 1); else unsetenv("LD_PRELOAD");
    free(kept);
}

__attribute__((constructor)) static void asynctop_concurrency_preload(void) {
    drop_self_from_preload();
    asynctop_concurrency_preload_start();
}
