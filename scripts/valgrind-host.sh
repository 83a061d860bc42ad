#!/usr/bin/env bash
# Runs C hosts of a compiled model under valgrind memcheck: examples/tiny-nli is compiled to a .so
# (embedded weights, and external weights), then
#   1. examples/c/classify.c, unchanged: dlopen → open → session → one classify of a batch of
#      several pairs → destroy → close → dlclose;
#   2. a loop host written to the work folder: open → 2 sessions → classify × N with varying
#      batch sizes and lengths, plus rejected calls (bad ids, bad sizes, NULLs) → destroy → close,
#      and the whole sequence twice in one process (a second open after a close);
# each with DEBERTAC_NUM_THREADS=1 and 2, under
#   valgrind --leak-check=full --errors-for-leak-kinds=all --error-exitcode=1
# Any error or leak of any kind (definite, indirect, possible, reachable) fails the run.
#
#   scripts/valgrind-host.sh                 # N = 20
#   N=100 scripts/valgrind-host.sh
#   DEBERTAC=.build/release/debertac scripts/valgrind-host.sh   # skip building the compiler
#
# One suppression, glibc's own: the dynamic TLS block of the dlopen'ed .so (its thread-local
# open-error buffer) for the main thread, 512 bytes "still reachable", allocated by ld.so
# (allocate_dtv_entry, dl-tls.c, under __tls_get_addr) and freed only at thread exit, which the
# main thread never reaches before valgrind's leak check. Nothing of OpenBLAS needed one. More
# can be passed with VALGRIND_EXTRA="--suppressions=FILE".
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
N=${N:-20}
WORK=${WORK:-/tmp/debertac-valgrind}
rm -rf "$WORK" && mkdir -p "$WORK"

if [[ -z "${DEBERTAC:-}" ]]; then
    nice -n 19 swift build -c release --product debertac --scratch-path .build-release --quiet
    DEBERTAC=.build-release/release/debertac
fi

# valgrind 3.19 cannot decode AVX-512 (the default --target-cpu is this machine's, e.g.
# cascadelake: SIGILL in the first kernel), so the kernels are generated for x86-64-v3 (AVX2).
CPU=${CPU:-x86-64-v3}
nice -n 19 "$DEBERTAC" compile examples/tiny-nli --target-cpu "$CPU" -o "$WORK/nli.so"
nice -n 19 "$DEBERTAC" compile examples/tiny-nli --target-cpu "$CPU" --external-weights -o "$WORK/nli-ext.so"
cc -g -O1 -I include examples/c/classify.c -o "$WORK/classify" -ldl -lm

cat > "$WORK/loop.c" <<'EOF'
/* open → 2 sessions → classify × N (varying batch and length) + rejected calls → destroy → close,
 * twice per process. argv: MODEL.so WEIGHTS-or-"-" N */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include "debertac.h"
#define LOAD(name) typeof(&name) p_##name = (typeof(&name))dlsym(lib, #name)
int main(int argc, char **argv) {
    if (argc < 4) return 2;
    const char *weights = argv[2][0] == '-' ? NULL : argv[2];
    int n = atoi(argv[3]), failures = 0;
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    LOAD(debertac_model_open); LOAD(debertac_open_error); LOAD(debertac_model_num_labels);
    LOAD(debertac_model_vocab_size); LOAD(debertac_model_max_sequence_length); LOAD(debertac_model_info);
    LOAD(debertac_session_create); LOAD(debertac_classify); LOAD(debertac_session_last_error);
    LOAD(debertac_session_destroy); LOAD(debertac_model_close); LOAD(debertac_model_label);
    for (int round = 0; round < 2; round++) {
        debertac_model *model;
        if (p_debertac_model_open(weights, &model) != DEBERTAC_OK) { fprintf(stderr, "%s\n", p_debertac_open_error()); return 1; }
        int labels = p_debertac_model_num_labels(model), vocab = p_debertac_model_vocab_size(model);
        int maxlen = p_debertac_model_max_sequence_length(model);
        if (!p_debertac_model_info(model) || !p_debertac_model_label(model, 0)) failures++;
        const int max_batch = 4, max_length = maxlen < 48 ? maxlen : 48;
        debertac_session *s[2];
        for (int i = 0; i < 2; i++)
            if (p_debertac_session_create(model, max_batch, max_length, &s[i]) != DEBERTAC_OK) { fprintf(stderr, "%s\n", p_debertac_open_error()); return 1; }
        int32_t *ids = malloc(sizeof(int32_t) * max_batch * max_length), *mask = malloc(sizeof(int32_t) * max_batch * max_length);
        float *logits = malloc(sizeof(float) * max_batch * labels);
        unsigned seed = 12345 + round;
        for (int k = 0; k < n; k++) {
            int batch = 1 + k % max_batch, length = 2 + (k * 7) % (max_length - 1);
            for (int b = 0; b < batch; b++)
                for (int t = 0; t < length; t++) {
                    seed = seed * 1103515245u + 12345u;
                    int valid = t == 0 || t < length - b;                 /* right padding, first token kept */
                    ids[b * length + t] = valid ? (int32_t)((seed >> 8) % (unsigned)vocab) : 0;
                    mask[b * length + t] = valid;
                }
            if (p_debertac_classify(s[k & 1], batch, length, ids, mask, NULL, logits) != DEBERTAC_OK) {
                fprintf(stderr, "classify %d: %s\n", k, p_debertac_session_last_error(s[k & 1]));
                failures++;
            }
        }
        /* rejected calls: each must be a status, not a crash or a wild read */
        ids[0] = vocab;
        if (p_debertac_classify(s[0], 1, 2, ids, mask, NULL, logits) == DEBERTAC_OK) failures++;
        ids[0] = 1;
        if (p_debertac_classify(s[0], max_batch + 1, 2, ids, mask, NULL, logits) == DEBERTAC_OK) failures++;
        if (p_debertac_classify(s[0], 1, max_length + 1, ids, mask, NULL, logits) == DEBERTAC_OK) failures++;
        if (p_debertac_classify(s[0], 1, 2, NULL, mask, NULL, logits) == DEBERTAC_OK) failures++;
        if (p_debertac_classify(NULL, 1, 2, ids, mask, NULL, logits) == DEBERTAC_OK) failures++;
        (void)p_debertac_session_last_error(s[0]);
        free(ids); free(mask); free(logits);
        p_debertac_session_destroy(s[0]);
        p_debertac_session_destroy(s[1]);
        p_debertac_model_close(model);
    }
    dlclose(lib);
    printf("loop: %d classifications x 2 rounds, %d unexpected results\n", n, failures);
    return failures != 0;
}
EOF
cc -g -O1 -I include "$WORK/loop.c" -o "$WORK/loop" -ldl

cat > "$WORK/glibc.supp" <<'EOF'
{
   glibc-dynamic-tls-of-dlopened-module-main-thread
   Memcheck:Leak
   match-leak-kinds: reachable
   fun:malloc
   ...
   fun:tls_get_addr_tail
   fun:__tls_get_addr
}
EOF
VG=(valgrind --suppressions="$WORK/glibc.supp" --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=all --error-exitcode=1
    --track-origins=yes --num-callers=30 ${VALGRIND_EXTRA:-})
pairs=("85 95 40|17 23" "1 85 2 95 2" "38 94 78 15 5|56 65 94 7" "10 20 30 40 50 60|70 80" "3|4")
status=0
for threads in 1 2; do
    for run in "classify nli.so" "loop nli.so -" "loop nli-ext.so nli-ext.so.weights"; do
        set -- $run
        host=$1 so=$WORK/$2
        log="$WORK/$host-$2-t$threads.log"
        if [[ $host == classify ]]; then args=("$so" "${pairs[@]}"); else args=("$so" "$([[ $3 == - ]] && echo - || echo "$WORK/$3")" "$N"); fi
        start=$SECONDS
        if DEBERTAC_NUM_THREADS=$threads nice -n 19 "${VG[@]}" --log-file="$log" "$WORK/$host" "${args[@]}" > "$log.out"; then
            result=ok
        else
            result="FAILED (exit $?)"; status=1
        fi
        echo "threads=$threads $host $2: $result in $((SECONDS - start)) s; $(grep -h 'ERROR SUMMARY' "$log" | sed 's/==[0-9]*== //'); $(grep -h 'in use at exit' "$log" | sed 's/==[0-9]*== //')"
    done
done
echo "logs in $WORK"
exit $status
