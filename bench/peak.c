/* The machine's arithmetic peak per precision, from the instruction each precision's matrix products
 * are made of: fp32 `vfmadd231ps zmm` (16 multiply-adds), bf16 `vdpbf16ps zmm` (32), int8 `vpdpbusd zmm`
 * (64 u8 x s8 products summed into 16 int32 lanes). FLOPs count 2 per multiply-add, int8 ops the same way.
 *
 *     cc -O2 -pthread bench/peak.c -o peak && ./peak fp32|bf16|int8 THREADS ITERATIONS
 *
 * prints one JSON object: {"precision", "instruction", "threads", "iterations", "seconds", "gflops"}.
 * Each thread (pinned to one of the CPUs this process may use) runs ITERATIONS times 12 independent
 * accumulator chains, each held in its own variable (an array would be spilled to memory) and started
 * from a different value (so the compiler cannot merge identical chains); the instructions are inline
 * assembly, so they are exactly the ones named. 12 chains cover the 4-5 cycle latency at 2 per cycle.
 * The caller checks /proc/cpuinfo first: on a CPU without the instruction this dies with SIGILL.
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define TARGET __attribute__((target("avx512f,avx512bf16,avx512vnni,avx512bw"), noinline))

/* One step of all 12 chains: acc_i = OP(acc_i, a, b). */
#define CHAINS(OP)                                                                  \
    OP(c0) OP(c1) OP(c2) OP(c3) OP(c4) OP(c5) OP(c6) OP(c7) OP(c8) OP(c9) OP(c10) OP(c11)

#define FMA(c) __asm__ volatile("vfmadd231ps %2, %1, %0" : "+v"(c) : "v"(a), "v"(b));
#define DPBF16(c) __asm__ volatile("vdpbf16ps %2, %1, %0" : "+v"(c) : "v"(a), "v"(b));
#define DPBUSD(c) __asm__ volatile("vpdpbusd %2, %1, %0" : "+v"(c) : "v"(a), "v"(b));

/* Twelve accumulators, each started at a different value. */
#define DECLARE(type, set)                                                            \
    type c0 = set(1), c1 = set(2), c2 = set(3), c3 = set(4), c4 = set(5), c5 = set(6),  \
         c6 = set(7), c7 = set(8), c8 = set(9), c9 = set(10), c10 = set(11), c11 = set(12)

#define SUM(add) add(add(add(add(c0, c1), add(c2, c3)), add(add(c4, c5), add(c6, c7))), \
                     add(add(c8, c9), add(c10, c11)))

#define set_ps(i) _mm512_set1_ps(1.0f + 1e-3f * (i))
#define set_epi32(i) _mm512_set1_epi32(i)

/* Returns a sum of the accumulators, printed so that nothing is dead. */
TARGET static double run_fp32(long iterations) {
    __m512 a = _mm512_set1_ps(1.0f), b = _mm512_set1_ps(1e-9f);
    DECLARE(__m512, set_ps);
    for (long i = 0; i < iterations; i++) {
        CHAINS(FMA)
    }
    return _mm512_reduce_add_ps(SUM(_mm512_add_ps));
}

TARGET static double run_bf16(long iterations) {
    /* 0x3f80 is 1.0 in bf16; each 32-bit lane holds a pair. */
    __m512i bits = _mm512_set1_epi32(0x3f803f80);
    __m512 a = _mm512_castsi512_ps(bits), b = _mm512_castsi512_ps(bits);
    DECLARE(__m512, set_ps);
    for (long i = 0; i < iterations; i++) {
        CHAINS(DPBF16)
    }
    return _mm512_reduce_add_ps(SUM(_mm512_add_ps));
}

TARGET static double run_int8(long iterations) {
    __m512i a = _mm512_set1_epi8(1), b = _mm512_set1_epi8(1);
    DECLARE(__m512i, set_epi32);
    for (long i = 0; i < iterations; i++) {
        CHAINS(DPBUSD)
    }
    return (double)_mm512_reduce_add_epi32(SUM(_mm512_add_epi32));
}

struct kernel {
    const char *precision, *instruction;
    double flops_per_instruction;
    double (*run)(long);
};

static const struct kernel KERNELS[] = {
    {"fp32", "vfmadd231ps zmm", 2.0 * 16, run_fp32},
    {"bf16", "vdpbf16ps zmm", 2.0 * 32, run_bf16},
    {"int8", "vpdpbusd zmm", 2.0 * 64, run_int8},
};

struct worker {
    pthread_t thread;
    const struct kernel *kernel;
    long iterations;
    int cpu;
    pthread_barrier_t *start;
    double seconds, checksum;
};

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static void *work(void *arg) {
    struct worker *w = arg;
    if (w->cpu >= 0) {
        cpu_set_t set;
        CPU_ZERO(&set);
        CPU_SET(w->cpu, &set);
        pthread_setaffinity_np(pthread_self(), sizeof set, &set);
    }
    w->kernel->run(w->iterations / 10 + 1);     /* warm up: clocks up, code in cache */
    pthread_barrier_wait(w->start);
    double t0 = now();
    w->checksum = w->kernel->run(w->iterations);
    w->seconds = now() - t0;
    return NULL;
}

int main(int argc, char **argv) {
    if (argc != 4) {
        fprintf(stderr, "usage: %s fp32|bf16|int8 THREADS ITERATIONS\n", argv[0]);
        return 2;
    }
    const struct kernel *kernel = NULL;
    for (size_t i = 0; i < sizeof KERNELS / sizeof *KERNELS; i++)
        if (strcmp(argv[1], KERNELS[i].precision) == 0)
            kernel = &KERNELS[i];
    int threads = atoi(argv[2]);
    long iterations = atol(argv[3]);
    if (!kernel || threads < 1 || iterations < 1) {
        fprintf(stderr, "peak: expected fp32, bf16 or int8, THREADS >= 1 and ITERATIONS >= 1\n");
        return 2;
    }
    /* Thread t runs on the t-th CPU this process may use (one per core when THREADS = cores). */
    cpu_set_t allowed;
    int cpus[CPU_SETSIZE], ncpus = 0;
    if (sched_getaffinity(0, sizeof allowed, &allowed) == 0)
        for (int c = 0; c < CPU_SETSIZE; c++)
            if (CPU_ISSET(c, &allowed))
                cpus[ncpus++] = c;
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)threads);
    struct worker *workers = calloc((size_t)threads, sizeof *workers);
    for (int t = 0; t < threads; t++) {
        workers[t] = (struct worker){.kernel = kernel, .iterations = iterations, .start = &start,
                                     .cpu = ncpus ? cpus[t % ncpus] : -1};
        pthread_create(&workers[t].thread, NULL, work, &workers[t]);
    }
    double slowest = 0, checksum = 0;
    for (int t = 0; t < threads; t++) {
        pthread_join(workers[t].thread, NULL);
        if (workers[t].seconds > slowest)
            slowest = workers[t].seconds;
        checksum += workers[t].checksum;
    }
    /* The slowest thread's time: all threads together did this much work in it. */
    double flops = kernel->flops_per_instruction * 12.0 * (double)iterations * threads;
    printf("{\"precision\": \"%s\", \"instruction\": \"%s\", \"threads\": %d, \"iterations\": %ld, "
           "\"seconds\": %.6f, \"gflops\": %.2f, \"checksum\": %.6g}\n",
           kernel->precision, kernel->instruction, threads, iterations, slowest, flops / slowest / 1e9, checksum);
    free(workers);
    return 0;
}
