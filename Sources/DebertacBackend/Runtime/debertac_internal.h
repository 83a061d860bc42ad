/*
 * Declarations shared by the runtime's C files (not by generated code: that contract is
 * debertac_runtime.h). Everything here has hidden visibility.
 */
#ifndef DEBERTAC_INTERNAL_H
#define DEBERTAC_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "debertac.h"
#include "debertac_runtime.h"
#include "debertac_tokenizer.h"

#define MESSAGE_SIZE 512

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

struct debertac_model {
    const debertac_model_desc *desc;
    const char *weights;   /* payload */
    void *mapping;         /* external weights: the whole file, else NULL */
    size_t mapping_size;
    int has_tokenizer;
    dtok_tokenizer tokenizer; /* a view over desc->tokenizer when has_tokenizer */
};

/* What text calls need beyond the arena (debertac_text.c): token buffers of max_batch rows of
 * max_length, the tokenizer's scratch, and the zero-shot hypothesis being built. The scratch
 * and the hypothesis grow (once, and stay) only when a text needs more than any before. */
typedef struct debertac_text_buffers {
    int32_t *ids, *types, *mask;  /* max_batch · max_length each */
    float *logits;                /* max_batch · num_labels */
    int32_t *lengths;             /* max_batch: tokens of each row */
    void *scratch;
    size_t scratch_size;
    char *hypothesis;
    size_t hypothesis_size;
} debertac_text_buffers;

struct debertac_session {
    const debertac_model *model;
    int32_t max_batch, max_length;
    char *arena;
    int64_t arena_size;
    char *workspace;         /* the pool threads' scratch (debertac_model_desc.workspace_*) */
    int64_t *offsets;        /* per buffer */
    int32_t *ones, *zeros;   /* default mask and token types, max_batch · max_length */
    debertac_text_buffers text; /* only when the model has a tokenizer */
    debertac_pool pool;
    char error[MESSAGE_SIZE];
};

/* Sets the calling thread's open error (debertac_open_error) and returns status. */
debertac_status debertac__fail_open(debertac_status status, const char *format, ...) DEBERTAC_HIDDEN
    __attribute__((format(printf, 2, 3)));

/* Sets the session's last error and returns status. */
debertac_status debertac__session_fail(debertac_session *s, debertac_status status, const char *format, ...) DEBERTAC_HIDDEN
    __attribute__((format(printf, 3, 4)));

/* Allocates the session's text buffers (debertac_text.c); 0 when out of memory. */
int debertac__text_buffers_create(debertac_session *s) DEBERTAC_HIDDEN;
void debertac__text_buffers_destroy(debertac_session *s) DEBERTAC_HIDDEN;

/* debertac_classify without its NULL-session check: validates and runs one batch. */
debertac_status debertac__classify(debertac_session *s, int32_t batch, int32_t length, const int32_t *ids,
                                   const int32_t *mask, const int32_t *types, float *logits) DEBERTAC_HIDDEN;

/* DEBERTAC_NUM_THREADS if it is a positive integer, else the CPUs this thread may run on. */
int debertac__thread_count(void) DEBERTAC_HIDDEN;

/* Writes the features of `required` (LLVM names, comma-separated) that this CPU (CPUID) or its
 * operating system (XCR0) lacks into `missing` (comma-separated, truncated to `size`); returns
 * how many. Names the table does not know are tuning flags, not instructions, and pass.
 * debertac_cpu.c. */
int debertac__cpu_missing(const char *required, char *missing, size_t size) DEBERTAC_HIDDEN;

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
