/*
 * A/B timing of compiled models in one process: loads every .so given, then calls each in turn,
 * round after round (the order rotates every round), so that the machine's drift affects all of
 * them alike. For kernel work, where a few percent matter and bench/bench.py takes minutes.
 *
 *     cc -O2 -Iinclude bench/ab.c -o /tmp/ab -ldl
 *     /tmp/ab BATCH LENGTH ROUNDS a.so b.so ...
 *
 * Prints per .so the median, the mean of the faster half and the minimum, in ms. Token ids are
 * arbitrary in-vocabulary values (speed does not depend on them); no mask, no token types.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "debertac.h"

enum { MAX_MODELS = 16, MAX_ROUNDS = 1000 };

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int ascending(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

typedef debertac_status (*classify_fn)(debertac_session *, int32_t, int32_t, const int32_t *, const int32_t *,
                                       const int32_t *, float *);

int main(int argc, char **argv) {
    if (argc < 5) {
        fprintf(stderr, "usage: %s BATCH LENGTH ROUNDS a.so [b.so ...]\n", argv[0]);
        return 2;
    }
    int batch = atoi(argv[1]), length = atoi(argv[2]), rounds = atoi(argv[3]), count = argc - 4;
    if (batch < 1 || length < 1 || rounds < 1 || rounds > MAX_ROUNDS || count > MAX_MODELS) {
        fprintf(stderr, "ab: expected BATCH, LENGTH >= 1, 1 <= ROUNDS <= %d and at most %d models\n", MAX_ROUNDS, MAX_MODELS);
        return 2;
    }
    static double times[MAX_MODELS][MAX_ROUNDS];
    classify_fn classify[MAX_MODELS];
    debertac_session *sessions[MAX_MODELS];
    int32_t *ids = malloc(sizeof(int32_t) * (size_t)batch * length);
    float *logits = malloc(sizeof(float) * (size_t)batch * 64);
    for (int i = 0; i < batch * length; i++) ids[i] = 5 + (i * 7919) % 1000;
    for (int m = 0; m < count; m++) {
        void *library = dlopen(argv[4 + m], RTLD_NOW | RTLD_LOCAL);
        if (!library) { fprintf(stderr, "ab: %s\n", dlerror()); return 1; }
        debertac_status (*open)(const char *, debertac_model **) = (debertac_status (*)(const char *, debertac_model **))dlsym(library, "debertac_model_open");
        debertac_status (*create)(const debertac_model *, int32_t, int32_t, debertac_session **) =
            (debertac_status (*)(const debertac_model *, int32_t, int32_t, debertac_session **))dlsym(library, "debertac_session_create");
        classify[m] = (classify_fn)dlsym(library, "debertac_classify");
        debertac_model *model;
        if (!open || !create || !classify[m] || open(NULL, &model) != DEBERTAC_OK || create(model, batch, length, &sessions[m]) != DEBERTAC_OK) {
            fprintf(stderr, "ab: cannot open %s or create a %dx%d session\n", argv[4 + m], batch, length);
            return 1;
        }
        for (int warm = 0; warm < 2; warm++) classify[m](sessions[m], batch, length, ids, NULL, NULL, logits);
    }
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < count; k++) {
            int m = (k + r) % count;
            double start = now_ms();
            if (classify[m](sessions[m], batch, length, ids, NULL, NULL, logits) != DEBERTAC_OK) {
                fprintf(stderr, "ab: %s failed\n", argv[4 + m]);
                return 1;
            }
            times[m][r] = now_ms() - start;
        }
    }
    for (int m = 0; m < count; m++) {
        qsort(times[m], rounds, sizeof(double), ascending);
        double faster = 0;
        int half = rounds > 1 ? rounds / 2 : 1;
        for (int i = 0; i < half; i++) faster += times[m][i];
        printf("%-40s median %8.2f ms  faster half %8.2f ms  min %8.2f ms\n", argv[4 + m], times[m][rounds / 2], faster / half, times[m][0]);
    }
    return 0;
}
