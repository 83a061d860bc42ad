#!/usr/bin/env bash
# The test suite under AddressSanitizer or ThreadSanitizer (docs/security.md, "Sanitizers and valgrind").
#
#   scripts/sanitizers.sh asan          # whole suite, ASan (+LeakSanitizer) build of every Swift target,
#                                       # then the in-process .so tests again with an ASan-built C runtime
#   scripts/sanitizers.sh tsan          # ConcurrencyTests (4 threads, 4 sessions, one model) with the
#                                       # compiled .so's C runtime built with -fsanitize=thread
#   scripts/sanitizers.sh tsan full     # and then the whole suite under TSan (system-cc runtime)
#   FILTER='RuntimeTests' scripts/sanitizers.sh tsan   # another subset for the instrumented-.so phase
#
# Builds go to .build-asan / .build-tsan (`swift build --build-tests -Xswiftc -sanitize=X -Xcc
# -fsanitize=X`, debug). Every SwiftPM target and the tests are instrumented.
#
# The compiled .so: `debertac compile` (and the test fixtures, which call Backend.compile in-process)
# link the C runtime with `$CC` (default `cc`, see Sources/DebertacBackend/Toolchain.swift). CFLAGS is
# not read and $CC must be a single executable (posix_spawnp, no word splitting), so this script
# writes a wrapper, $WORK/cc-<san>, that runs the Swift toolchain's clang (the same sanitizer
# runtime as the Swift test binary; gcc's libtsan would clash) with -fsanitize=X -g and drops
# `-Wl,--no-undefined` (an instrumented shared object leaves the __tsan_*/__asan_* symbols to the
# host executable, here the sanitized test binary). The LLVM-generated kernels (kernels.o) are not
# instrumented: TSan sees the runtime's arenas, thread pool, atomics and OpenBLAS calls
# synchronised through it, not the kernels' loads and stores. Tests that dlopen the .so from a
# separately built plain-cc C host (ExampleTests, AllocationTests) cannot load such a .so, so the
# instrumented-.so phases run only in-process subsets.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"
mode=${1:-asan}
case $mode in
    asan) san=address ;;
    tsan) san=thread ;;
    *) echo "usage: $0 asan|tsan [full]" >&2; exit 2 ;;
esac
scratch=.build-$mode
WORK=${WORK:-/tmp/debertac-sanitizers}
mkdir -p "$WORK"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
# XCTest's runner (its empty XCTest pass, before Swift Testing) leaks 6 small objects of its own
# (368 bytes, every frame in libXCTest.so / libswiftCore.so): suppressed by module.
# More, measured in the Swift Testing pass (docs/security.md): FoundationEssentials'
# readBytesFromFile keeps its 4096-byte buffer when String(contentsOfFile:) reads an empty file
# (238 x 4096 B: the empty stdout of every hostile-catalogue case, HostileInputCatalogTests.swift:113);
# the lazily initialised `static let failures` and `valid` tables of InterpreterErrorTests (test
# data held by globals, which LSan misses: 21 objects, all under the globals' initializers); and
# indirect leaks of Foundation.Process / FileHandle / URL objects created by the hostile catalogue's
# process runner (HostileInputCatalogTests.run, `commands`), i.e. Foundation's Process objects.
printf '%s\n' leak:libXCTest.so leak:readBytesFromFile leak:DebertacInterpreterTests0b5ErrorC0V \
    leak:Foundation7ProcessC leak:Foundation10FileHandleC leak:RFC3986Parser leak:fileURLWithPath \
    leak:_CFRuntimeCreateInstance leak:HostileInputCatalogTestsV8commands > "$WORK/lsan.supp"
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$WORK/lsan.supp:print_suppressions=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=0:exitcode=66:second_deadlock_stack=1}

wrapper=$WORK/cc-$mode
cat > "$wrapper" <<EOF
#!/usr/bin/env bash
args=()
for a in "\$@"; do [[ \$a == -Wl,--no-undefined ]] || args+=("\$a"); done
exec /opt/swift/usr/bin/clang -fsanitize=$san -g -fno-omit-frame-pointer "\${args[@]}"
EOF
chmod +x "$wrapper"

timed() {  # timed LABEL COMMAND...: runs at nice 19 and prints the duration
    local start=$SECONDS status=0
    echo "== $1"; shift
    nice -n 19 "$@" || status=$?
    echo "== took $((SECONDS - start)) s, exit $status"
    return $status
}

scripts/setup.sh
timed "build ($mode)" swift build --build-tests --scratch-path "$scratch" -Xswiftc -sanitize=$san -Xcc -fsanitize=$san

status=0
if [[ $mode == asan ]]; then
    timed "whole suite, ASan, system-cc runtime" swift test --skip-build --scratch-path "$scratch" || status=1
    timed "in-process .so tests, ASan-built runtime (CC=$wrapper)" env CC="$wrapper" \
        swift test --skip-build --scratch-path "$scratch" --filter "${FILTER:-ConcurrencyTests|ABIMisuseTests}" || status=1
else
    timed "concurrency tests, TSan-built runtime (CC=$wrapper)" env CC="$wrapper" \
        swift test --skip-build --scratch-path "$scratch" --filter "${FILTER:-ConcurrencyTests}" || status=1
    # The same pattern from a C host, both sides instrumented: the TSan debertac compiles
    # examples/tiny-nli with the TSan runtime, and a clang -fsanitize=thread host runs 4 threads on
    # 4 sessions of it (10 classifications each, compared bit for bit with a reference), with
    # DEBERTAC_NUM_THREADS=1, 2 and 4 (each session's pool: 0, 1 and 3 workers).
    CC="$wrapper" nice -n 19 "$scratch/debug/debertac" compile examples/tiny-nli -o "$WORK/nli-tsan.so"
    cat > "$WORK/threads.c" <<'EOF'
/* 4 threads on 4 sessions of one model, each classifying R times; compares with a reference. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "debertac.h"
#define LOAD(name) static typeof(&name) p_##name
LOAD(debertac_model_open); LOAD(debertac_session_create); LOAD(debertac_classify);
LOAD(debertac_session_destroy); LOAD(debertac_model_close); LOAD(debertac_model_num_labels); LOAD(debertac_open_error);
enum { B = 3, T = 24, R = 10, THREADS = 4 };
static int32_t ids[B * T], mask[B * T];
static float reference[B * 16];
static int labels, mismatches;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static void *work(void *arg) {
    debertac_session *s = arg;
    float out[B * 16];
    for (int r = 0; r < R; r++) {
        if (p_debertac_classify(s, B, T, ids, mask, NULL, out) != DEBERTAC_OK || memcmp(out, reference, sizeof(float) * B * labels)) {
            pthread_mutex_lock(&lock); mismatches++; pthread_mutex_unlock(&lock);
        }
    }
    return NULL;
}
int main(int argc, char **argv) {
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) { fprintf(stderr, "%s\n", dlerror()); return 1; }
#define GET(name) p_##name = (typeof(p_##name))dlsym(lib, #name)
    GET(debertac_model_open); GET(debertac_session_create); GET(debertac_classify);
    GET(debertac_session_destroy); GET(debertac_model_close); GET(debertac_model_num_labels); GET(debertac_open_error);
    debertac_model *m;
    if (p_debertac_model_open(NULL, &m)) { fprintf(stderr, "%s\n", p_debertac_open_error()); return 1; }
    labels = p_debertac_model_num_labels(m);
    unsigned seed = 7;
    for (int b = 0; b < B; b++) for (int t = 0; t < T; t++) {
        seed = seed * 1103515245u + 12345u;
        int valid = t < T - 5 * b;
        ids[b * T + t] = valid ? (int)((seed >> 8) % 90) + 3 : 0; mask[b * T + t] = valid;
    }
    debertac_session *s[THREADS];
    for (int i = 0; i < THREADS; i++) if (p_debertac_session_create(m, B, T, &s[i])) return 1;
    if (p_debertac_classify(s[0], B, T, ids, mask, NULL, reference)) return 1;
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, work, s[i]);
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    for (int i = 0; i < THREADS; i++) p_debertac_session_destroy(s[i]);
    p_debertac_model_close(m);
    dlclose(lib);
    printf("threads: %d x %d classifications, %d mismatches\n", THREADS, R, mismatches);
    return mismatches != 0;
}
EOF
    swiftlib=/opt/swift/usr/lib/swift/linux   # Swift's TSan runtime needs libdispatch and BlocksRuntime
    /opt/swift/usr/bin/clang -fsanitize=thread -g -I include "$WORK/threads.c" -o "$WORK/threads" \
        -ldl -lpthread -L$swiftlib -ldispatch -lBlocksRuntime -Wl,-rpath,$swiftlib
    for threads in 1 2 4; do
        timed "C host, 4 threads x 4 sessions, TSan runtime, DEBERTAC_NUM_THREADS=$threads" \
            env DEBERTAC_NUM_THREADS=$threads "$WORK/threads" "$WORK/nli-tsan.so" || status=1
    done
    if [[ ${2:-} == full ]]; then
        timed "whole suite, TSan, system-cc runtime" swift test --skip-build --scratch-path "$scratch" || status=1
    fi
fi
exit $status
