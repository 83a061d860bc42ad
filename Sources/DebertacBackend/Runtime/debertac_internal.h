/*
 * Declarations shared by the runtime's C files (not by generated code: that contract is
 * debertac_runtime.h). Everything here has hidden visibility.
 */
#ifndef DEBERTAC_INTERNAL_H
#define DEBERTAC_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "debertac_runtime.h"

/* A session's thread pool (debertac_pool.c): nthreads − 1 workers plus the calling thread. */
typedef struct debertac_pool debertac_pool;

/* What a worker thread is started with: its pool and its index (1 ... nthreads − 1; the
 * calling thread is 0), which selects its workspace. */
typedef struct debertac_worker {
    debertac_pool *pool;
    int index;
} debertac_worker;

struct debertac_pool {
    int nthreads;
    int started;                 /* workers actually running */
    pthread_t *threads;
    debertac_worker *workers;
    char *workspace;             /* nthreads slices of workspace_size bytes, owned by the session */
    int64_t workspace_size;
    pthread_mutex_t mutex;
    pthread_cond_t work;         /* a new job (or stop) */
    pthread_cond_t done;         /* the last worker finished the job */
    int sleepers;
    int stop;
    /* The current job, written before `generation` is bumped. */
    debertac_task_fn fn;
    const void *args;
    int64_t count, chunk;
    _Atomic int64_t next;
    _Atomic int active;          /* workers that have not finished the current job */
    _Atomic uint64_t generation;
};

/* DEBERTAC_NUM_THREADS if it is a positive integer, else the CPUs this thread may run on. */
int debertac__thread_count(void) DEBERTAC_HIDDEN;

/* Starts nthreads − 1 workers (with every signal blocked); thread k (the caller is 0) runs its
 * tasks with workspace + k · workspace_size. Returns 0 if a thread cannot start (the pool
 * must still be stopped). */
int debertac__pool_start(debertac_pool *pool, int nthreads, char *workspace, int64_t workspace_size) DEBERTAC_HIDDEN;

/* Stops and joins the workers and frees the pool's resources. */
void debertac__pool_stop(debertac_pool *pool) DEBERTAC_HIDDEN;

/* The debertac_parallel_for_fn of debertac_runtime.h, over a debertac_pool. */
void debertac__parallel_for(void *pool, debertac_task_fn fn, const void *args, int64_t count) DEBERTAC_HIDDEN;

/* XXH64 with seed 0 (debertac_digest.c); WeightsDigest.swift computes the same at compile time. */
uint64_t debertac__xxh64(const unsigned char *data, uint64_t length) DEBERTAC_HIDDEN;

#endif /* DEBERTAC_INTERNAL_H */
