/*
 * The debertac engine of bench/tokenization.py: a C program (built with cc at bench time) that loads a
 * compiled .so with dlopen and calls debertac_tokenize on every text or pair of a corpus in a loop, into
 * one preallocated buffer, so that no Python call overhead enters the time.
 *
 *     tokenization_host MODEL.so CORPUS_FILE...
 *
 * A corpus file holds records "T<text>\0" (a single text) or "P<text>\0<pair>\0" (a pair). Commands
 * come one JSON line at a time on stdin, answers go one JSON line to stdout (as bench/processes.py's
 * Worker speaks):
 *
 *     {"cmd": "run", "corpus": 0}            -> {"ok": true, "ns": WALL, "cpu_ns": CPU, "tokens": TOTAL, "calls": N}
 *     {"cmd": "dump", "corpus": 0, "path": "F"} -> writes, per record, int32 length then the ids
 *     {"cmd": "quit"}
 *
 * "ns" is wall time, "cpu_ns" the process's CPU time over the same loop (what waiting for a core on a
 * shared host does not inflate); "tokens" counts every id returned, [CLS] and [SEP] included.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "debertac.h"

#define MAX_LENGTH (1 << 24) /* no truncation: every engine tokenizes the whole text */
#define CAPACITY (1 << 20)

typedef debertac_status (*open_fn)(const char *, debertac_model **);
typedef void (*close_fn)(debertac_model *);
typedef const char *(*error_fn)(void);
typedef int32_t (*has_fn)(const debertac_model *);
typedef debertac_status (*tokenize_fn)(const debertac_model *, const char *, const char *, int32_t, int32_t *, int32_t *,
                                       int32_t, int32_t *);

typedef struct corpus {
    char *data;
    const char **texts, **pairs; /* pairs[i] NULL for a single text */
    size_t count;
} corpus;

static int load_corpus(const char *path, corpus *c) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    c->data = malloc((size_t)size + 1);
    if (!c->data || fread(c->data, 1, (size_t)size, f) != (size_t)size) return fclose(f), 0;
    fclose(f);
    c->data[size] = 0;
    size_t records = 0;
    for (long i = 0; i < size; i++) records += c->data[i] == 'T' || c->data[i] == 'P' ? 1 : 0; /* an upper bound */
    c->texts = calloc(records + 1, sizeof *c->texts);
    c->pairs = calloc(records + 1, sizeof *c->pairs);
    c->count = 0;
    for (char *p = c->data, *end = c->data + size; p < end;) {
        char kind = *p++;
        c->texts[c->count] = p;
        p += strlen(p) + 1;
        if (kind == 'P') {
            c->pairs[c->count] = p;
            p += strlen(p) + 1;
        } else if (kind != 'T') {
            return 0;
        }
        c->count++;
    }
    return 1;
}

static double now_ns(clockid_t clock) {
    struct timespec ts;
    clock_gettime(clock, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The number after "key": in a JSON line, or -1. */
static long json_int(const char *line, const char *key) {
    const char *p = strstr(line, key);
    if (!p) return -1;
    p = strchr(p + strlen(key), ':');
    return p ? strtol(p + 1, NULL, 10) : -1;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: %s MODEL.so CORPUS...\n", argv[0]);
        return 2;
    }
    void *so = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!so) {
        fprintf(stderr, "dlopen: %s\n", dlerror());
        return 1;
    }
    open_fn model_open = (open_fn)dlsym(so, "debertac_model_open");
    close_fn model_close = (close_fn)dlsym(so, "debertac_model_close");
    error_fn open_error = (error_fn)dlsym(so, "debertac_open_error");
    has_fn has_tokenizer = (has_fn)dlsym(so, "debertac_model_has_tokenizer");
    tokenize_fn tokenize = (tokenize_fn)dlsym(so, "debertac_tokenize");
    if (!model_open || !model_close || !open_error || !has_tokenizer || !tokenize) {
        fprintf(stderr, "%s does not export the ABI 2 text calls\n", argv[1]);
        return 1;
    }
    debertac_model *model = NULL;
    if (model_open(NULL, &model) != DEBERTAC_OK || !has_tokenizer(model)) {
        fprintf(stderr, "cannot open the model or it has no tokenizer: %s\n", open_error());
        return 1;
    }
    int corpora = argc - 2;
    corpus *cs = calloc((size_t)corpora, sizeof *cs);
    for (int i = 0; i < corpora; i++)
        if (!load_corpus(argv[2 + i], &cs[i])) {
            fprintf(stderr, "cannot read the corpus %s\n", argv[2 + i]);
            return 1;
        }
    int32_t *ids = malloc(CAPACITY * sizeof *ids), *types = malloc(CAPACITY * sizeof *types);
    char line[4096];
    while (fgets(line, sizeof line, stdin)) {
        long which = json_int(line, "\"corpus\"");
        if (strstr(line, "\"quit\"")) {
            printf("{\"ok\": true}\n");
            fflush(stdout);
            break;
        }
        if (which < 0 || which >= corpora) {
            printf("{\"ok\": false, \"error\": \"bad request\"}\n");
            fflush(stdout);
            continue;
        }
        const corpus *c = &cs[which];
        FILE *dump = NULL;
        if (strstr(line, "\"dump\"")) {
            char *path = strstr(line, "\"path\"");
            char *q = path ? strchr(path + 6, '"') : NULL;
            char *e = q ? strchr(q + 1, '"') : NULL;
            if (e) *e = 0;
            dump = q ? fopen(q + 1, "wb") : NULL;
            if (!dump) {
                printf("{\"ok\": false, \"error\": \"cannot write the dump\"}\n");
                fflush(stdout);
                continue;
            }
        }
        long long tokens = 0;
        int failed = 0;
        double start = now_ns(CLOCK_MONOTONIC), start_cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID);
        for (size_t i = 0; i < c->count; i++) {
            int32_t length = 0;
            if (tokenize(model, c->texts[i], c->pairs[i], MAX_LENGTH, ids, types, CAPACITY, &length) != DEBERTAC_OK ||
                length > CAPACITY) {
                failed = 1;
                fprintf(stderr, "record %zu: %s\n", i, open_error());
                break;
            }
            tokens += length;
            if (dump) {
                fwrite(&length, sizeof length, 1, dump);
                fwrite(ids, sizeof *ids, (size_t)length, dump);
            }
        }
        double elapsed = now_ns(CLOCK_MONOTONIC) - start, cpu = now_ns(CLOCK_PROCESS_CPUTIME_ID) - start_cpu;
        if (dump) fclose(dump);
        if (failed) printf("{\"ok\": false, \"error\": \"debertac_tokenize failed (see the log)\"}\n");
        else printf("{\"ok\": true, \"ns\": %.0f, \"cpu_ns\": %.0f, \"tokens\": %lld, \"calls\": %zu}\n", elapsed, cpu, tokens,
                    c->count);
        fflush(stdout);
    }
    model_close(model);
    return 0;
}
