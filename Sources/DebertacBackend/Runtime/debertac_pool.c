/*
 * The thread pool of a session: nthreads − 1 workers plus the calling thread, started with the
 * session and stopped with it (never per call). A job is one parallel_for; its tasks are handed
 * out in fixed-size chunks through an atomic counter, so which thread runs which task varies but
 * the tasks do not. Idle workers spin briefly, then sleep on a condition variable.
 */
#define _GNU_SOURCE
#include "debertac_internal.h"

#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SPIN_LIMIT 2000  /* pause instructions (~0.1 ms) before sleeping: cheap on a busy machine */


static inline void cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static void run_chunks(debertac_pool *p, int index) {
    void *workspace = p->workspace + (int64_t)index * p->workspace_size;
    for (;;) {
        int64_t begin = atomic_fetch_add_explicit(&p->next, p->chunk, memory_order_relaxed);
        if (begin >= p->count) return;
        int64_t end = begin + p->chunk < p->count ? begin + p->chunk : p->count;
        p->fn(p->args, begin, end, workspace);
    }
}

static void *worker_main(void *arg) {
    debertac_worker *worker = arg;
    debertac_pool *p = worker->pool;
    uint64_t seen = 0;
    for (;;) {
        uint64_t generation;
        int spins = 0;
        while ((generation = atomic_load_explicit(&p->generation, memory_order_acquire)) == seen) {
            if (++spins < SPIN_LIMIT) {
                cpu_relax();
                continue;
            }
            pthread_mutex_lock(&p->mutex);
            p->sleepers++;
            while ((generation = atomic_load_explicit(&p->generation, memory_order_acquire)) == seen)
                pthread_cond_wait(&p->work, &p->mutex);
            p->sleepers--;
            pthread_mutex_unlock(&p->mutex);
            break;
        }
        seen = generation;
        if (p->stop) return NULL;
        run_chunks(p, worker->index);
        if (atomic_fetch_sub_explicit(&p->active, 1, memory_order_acq_rel) == 1) {
            pthread_mutex_lock(&p->mutex);
            pthread_cond_signal(&p->done);
            pthread_mutex_unlock(&p->mutex);
        }
    }
}

void debertac__parallel_for(void *opaque, debertac_task_fn fn, const void *args, int64_t count) {
    debertac_pool *p = opaque;
    if (count <= 0) return;
    if (p->started == 0 || count == 1) {
        fn(args, 0, count, p->workspace);
        return;
    }
    /* Small chunks balance uneven tasks (matrix tiles, attention heads); large counts of tiny
     * tasks (rows of an elementwise kernel) still take few trips to the counter. */
    int64_t chunk = count / ((int64_t)p->nthreads * 16);
    p->fn = fn;
    p->args = args;
    p->count = count;
    p->chunk = chunk < 1 ? 1 : chunk;
    atomic_store_explicit(&p->next, 0, memory_order_relaxed);
    atomic_store_explicit(&p->active, p->started, memory_order_relaxed);
    pthread_mutex_lock(&p->mutex);
    atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
    if (p->sleepers) pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mutex);
    run_chunks(p, 0);
    int spins = 0;
    while (atomic_load_explicit(&p->active, memory_order_acquire) != 0) {
        if (++spins < SPIN_LIMIT) {
            cpu_relax();
            continue;
        }
        pthread_mutex_lock(&p->mutex);
        while (atomic_load_explicit(&p->active, memory_order_acquire) != 0) pthread_cond_wait(&p->done, &p->mutex);
        pthread_mutex_unlock(&p->mutex);
        break;
    }
}

void debertac__pool_stop(debertac_pool *p) {
    if (p->started > 0) {
        pthread_mutex_lock(&p->mutex);
        p->stop = 1;
        atomic_fetch_add_explicit(&p->generation, 1, memory_order_release);
        pthread_cond_broadcast(&p->work);
        pthread_mutex_unlock(&p->mutex);
        for (int i = 0; i < p->started; i++) pthread_join(p->threads[i], NULL);
    }
    free(p->threads);
    free(p->workers);
    pthread_cond_destroy(&p->work);
    pthread_cond_destroy(&p->done);
    pthread_mutex_destroy(&p->mutex);
}

int debertac__thread_count(void) {
    const char *text = getenv("DEBERTAC_NUM_THREADS");
    if (text && *text) {
        char *end = NULL;
        long n = strtol(text, &end, 10);
        if (end && *end == 0 && n >= 1) return n > 1024 ? 1024 : (int)n;
    }
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        int n = CPU_COUNT(&set);
        if (n >= 1) return n;
    }
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n >= 1 ? (int)n : 1;
}

/* Workers block every signal: signals belong to the host's threads. */
int debertac__pool_start(debertac_pool *p, int nthreads, char *workspace, int64_t workspace_size) {
    memset(p, 0, sizeof *p);
    p->nthreads = nthreads;
    p->workspace = workspace;
    p->workspace_size = workspace_size;
    pthread_mutex_init(&p->mutex, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    if (nthreads <= 1) return 1;
    p->threads = calloc((size_t)nthreads - 1, sizeof(pthread_t));
    p->workers = calloc((size_t)nthreads - 1, sizeof(debertac_worker));
    if (!p->threads || !p->workers) return 0;
    sigset_t all, previous;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &previous);
    int ok = 1;
    for (int i = 0; i < nthreads - 1; i++) {
        p->workers[i] = (debertac_worker){p, i + 1};
        if (pthread_create(&p->threads[i], NULL, worker_main, &p->workers[i]) != 0) {
            ok = 0;
            break;
        }
        p->started++;
    }
    pthread_sigmask(SIG_SETMASK, &previous, NULL);
    return ok;
}
