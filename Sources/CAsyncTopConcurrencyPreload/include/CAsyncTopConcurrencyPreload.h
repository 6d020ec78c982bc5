// The preloadable tap's entry: a constructor that runs when `asynctop run` preloads the library into a program.
#ifndef CASYNCTOP_CONCURRENCY_PRELOAD_H
#define CASYNCTOP_CONCURRENCY_PRELOAD_H

/// Implemented in Swift (AsyncTopConcurrencyPreload): installs the tap, or explains and exits with status 2.
void asynctop_concurrency_preload_start(void);

#endif
