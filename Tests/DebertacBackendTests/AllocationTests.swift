import Foundation
import Testing

/// `debertac_classify` allocates nothing after `debertac_session_create`: a C host that counts
/// every malloc-family call (its definitions interpose on the .so's, forwarding to glibc's
/// `__libc_*`) sees none during classify calls after the first (OpenBLAS sets up its own
/// buffers on its first product).
@Suite struct AllocationTests {
    /// The C prelude of both hosts: malloc-family definitions that count calls while `counting`
    /// is set (forwarding to glibc's `__libc_*`), and `LOAD(name)` for dlsym.
    static let counter = """
            #include <dlfcn.h>
            #include <stdio.h>
            #include <stddef.h>
            #include "debertac.h"
            extern void *__libc_malloc(size_t), *__libc_calloc(size_t, size_t), *__libc_realloc(void *, size_t);
            extern void *__libc_memalign(size_t, size_t);
            static volatile int counting, count;
            void *malloc(size_t n) { if (counting) count++; return __libc_malloc(n); }
            void *calloc(size_t a, size_t b) { if (counting) count++; return __libc_calloc(a, b); }
            void *realloc(void *p, size_t n) { if (counting) count++; return __libc_realloc(p, n); }
            void *aligned_alloc(size_t a, size_t n) { if (counting) count++; return __libc_memalign(a, n); }
            void *memalign(size_t a, size_t n) { if (counting) count++; return __libc_memalign(a, n); }
            int posix_memalign(void **p, size_t a, size_t n) { if (counting) count++; *p = __libc_memalign(a, n); return *p ? 0 : 12; }
            #define LOAD(name) typeof(&name) p_##name = (typeof(&name))dlsym(lib, #name)

        """

    @Test("classify allocates nothing after session creation")
    func noAllocation() async throws {
        let library = try await CompiledArtifacts.shared.library("models/xxlarge-toy", .embedded)
        let source = BackendFixtures.scratch + "/count-allocations.c"
        let binary = BackendFixtures.scratch + "/count-allocations"
        try (Self.counter + """
            int main(int argc, char **argv) {
                void *lib = dlopen(argv[1], RTLD_NOW);
                if (!lib) return 2;
                LOAD(debertac_model_open); LOAD(debertac_session_create); LOAD(debertac_classify);
                debertac_model *m; debertac_session *s;
                if (p_debertac_model_open(NULL, &m) || p_debertac_session_create(m, 2, 16, &s)) return 3;
                int ids[2 * 16], mask[2 * 16];
                for (int i = 0; i < 32; i++) { ids[i] = 4 + i % 90; mask[i] = i % 16 < 12 || i < 16; }
                float logits[6];
                if (p_debertac_classify(s, 2, 16, ids, mask, NULL, logits)) return 4;  /* warm-up */
                counting = 1;
                for (int r = 0; r < 20; r++) {
                    if (p_debertac_classify(s, 2, 16, ids, mask, NULL, logits)) return 5;
                    if (p_debertac_classify(s, 1, 5, ids, NULL, NULL, logits)) return 6;
                    if (p_debertac_classify(s, 3, 16, ids, NULL, NULL, logits) != DEBERTAC_OUT_OF_RANGE) return 7;
                }
                counting = 0;
                printf("%d\\n", count);
                return 0;
            }
            """).write(toFile: source, atomically: true, encoding: .utf8)
        try Tools.check(["cc", "-std=gnu11", "-O1", "-I", BackendFixtures.repository + "/include", source, "-o", binary, "-ldl"])
        let output = try Tools.check([binary, library], environment: ["DEBERTAC_NUM_THREADS": "2"])
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "allocations during classify: \(output)")
    }

    @Test("classify_text and zero_shot allocate nothing after session creation (typical texts)")
    func noAllocationForText() async throws {
        let library = try await CompiledArtifacts.shared.library("synthetic-nli", .embedded)
        let source = BackendFixtures.scratch + "/count-text-allocations.c"
        let binary = BackendFixtures.scratch + "/count-text-allocations"
        try (Self.counter + """
            int main(int argc, char **argv) {
                void *lib = dlopen(argv[1], RTLD_NOW);
                if (!lib) return 2;
                LOAD(debertac_model_open); LOAD(debertac_session_create); LOAD(debertac_classify_text); LOAD(debertac_zero_shot);
                debertac_model *m; debertac_session *s;
                if (p_debertac_model_open(NULL, &m) || p_debertac_session_create(m, 2, 64, &s)) return 3;
                const char *premises[2] = {"A man is playing a guitar on stage.", "Le café est très chaud [SEP] ok"};
                const char *hypotheses[2] = {"A person is making music.", NULL};
                const char *labels[3] = {"sports", "politics", "cooking"};
                float logits[6], scores[3];
                if (p_debertac_classify_text(s, 2, premises, hypotheses, logits)) return 4;  /* warm-up */
                if (p_debertac_zero_shot(s, premises[0], 3, labels, NULL, 0, scores)) return 5;
                counting = 1;
                for (int r = 0; r < 10; r++) {
                    if (p_debertac_classify_text(s, 2, premises, hypotheses, logits)) return 6;
                    if (p_debertac_classify_text(s, 1, premises + 1, NULL, logits)) return 7;
                    if (p_debertac_zero_shot(s, premises[0], 3, labels, "This text is about {}.", r % 2, scores)) return 8;
                    if (p_debertac_classify_text(s, 3, premises, NULL, logits) != DEBERTAC_OUT_OF_RANGE) return 9;
                }
                counting = 0;
                printf("%d\\n", count);
                return 0;
            }
            """).write(toFile: source, atomically: true, encoding: .utf8)
        try Tools.check(["cc", "-std=gnu11", "-O1", "-I", BackendFixtures.repository + "/include", source, "-o", binary, "-ldl"])
        let output = try Tools.check([binary, library], environment: ["DEBERTAC_NUM_THREADS": "2"])
        #expect(output.trimmingCharacters(in: .whitespacesAndNewlines) == "0", "allocations during text calls: \(output)")
    }
}
