/* debertac_cpu.c: does this CPU have the instructions a model was compiled to use?
 *
 * The compiler records every feature LLVM enabled for the target CPU (debertac_model_desc's
 * required_features, LLVM's names); debertac_model_open calls debertac__cpu_missing before any
 * generated code runs, so a .so built for a richer CPU refuses with a message instead of dying
 * of SIGILL. A feature is present when its CPUID bit is set and, for AVX, AVX-512 and AMX
 * register state, when the operating system enables that state (XCR0, read with xgetbv).
 * LLVM's feature list also holds tuning flags ("fast-gather", "slow-3ops-lea", ...) and
 * instructions it emits only for their own intrinsics, which debertac's code never calls (system
 * and privileged ones: pku, xsave*, rdrnd, rtm, clwb, serialize, AMX, ...); the table lists the
 * instruction sets LLVM may choose on its own for ordinary code, and names it does not know are
 * not checked (a .so built for cascadelake opens on a CPU without PKU).
 */
#include "debertac_internal.h"

#include <stdio.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

enum { EAX, EBX, ECX, EDX };
/* Register state the OS must enable (XCR0 bits): SSE+AVX (ymm), +AVX-512 (opmask, zmm). */
#define XCR0_AVX 0x6u
#define XCR0_AVX512 0xe6u

typedef struct {
    const char *name;        /* LLVM's feature name */
    unsigned leaf, subleaf;
    unsigned char reg, bit;
    unsigned xcr0;           /* OS-enabled state the feature needs, 0 for none */
} cpu_feature;

static const cpu_feature features[] = {
    {"cx8", 1, 0, EDX, 8, 0}, {"cmov", 1, 0, EDX, 15, 0}, {"mmx", 1, 0, EDX, 23, 0},
    {"fxsr", 1, 0, EDX, 24, 0}, {"sse", 1, 0, EDX, 25, 0}, {"sse2", 1, 0, EDX, 26, 0},
    {"sse3", 1, 0, ECX, 0, 0}, {"pclmul", 1, 0, ECX, 1, 0}, {"ssse3", 1, 0, ECX, 9, 0},
    {"fma", 1, 0, ECX, 12, XCR0_AVX}, {"cx16", 1, 0, ECX, 13, 0}, {"sse4.1", 1, 0, ECX, 19, 0},
    {"sse4.2", 1, 0, ECX, 20, 0}, {"crc32", 1, 0, ECX, 20, 0}, {"movbe", 1, 0, ECX, 22, 0},
    {"popcnt", 1, 0, ECX, 23, 0}, {"aes", 1, 0, ECX, 25, 0}, {"avx", 1, 0, ECX, 28, XCR0_AVX}, {"f16c", 1, 0, ECX, 29, XCR0_AVX}, {"bmi", 7, 0, EBX, 3, 0}, {"avx2", 7, 0, EBX, 5, XCR0_AVX},
    {"bmi2", 7, 0, EBX, 8, 0}, {"avx512f", 7, 0, EBX, 16, XCR0_AVX512}, {"avx512dq", 7, 0, EBX, 17, XCR0_AVX512},
    {"adx", 7, 0, EBX, 19, 0}, {"avx512ifma", 7, 0, EBX, 21, XCR0_AVX512},
    {"avx512cd", 7, 0, EBX, 28, XCR0_AVX512},
    {"sha", 7, 0, EBX, 29, 0}, {"avx512bw", 7, 0, EBX, 30, XCR0_AVX512}, {"avx512vl", 7, 0, EBX, 31, XCR0_AVX512},
    {"avx512vbmi", 7, 0, ECX, 1, XCR0_AVX512}, {"avx512vbmi2", 7, 0, ECX, 6, XCR0_AVX512}, {"gfni", 7, 0, ECX, 8, 0}, {"vaes", 7, 0, ECX, 9, XCR0_AVX}, {"vpclmulqdq", 7, 0, ECX, 10, XCR0_AVX},
    {"avx512vnni", 7, 0, ECX, 11, XCR0_AVX512}, {"avx512bitalg", 7, 0, ECX, 12, XCR0_AVX512},
    {"avx512vpopcntdq", 7, 0, ECX, 14, XCR0_AVX512}, {"avx512vp2intersect", 7, 0, EDX, 8, XCR0_AVX512}, {"avx512fp16", 7, 0, EDX, 23, XCR0_AVX512}, {"sha512", 7, 1, EAX, 0, XCR0_AVX}, {"sm3", 7, 1, EAX, 1, XCR0_AVX}, {"sm4", 7, 1, EAX, 2, XCR0_AVX},
    {"avxvnni", 7, 1, EAX, 4, XCR0_AVX}, {"avx512bf16", 7, 1, EAX, 5, XCR0_AVX512},
    {"avxifma", 7, 1, EAX, 23, XCR0_AVX},
    {"avxvnniint8", 7, 1, EDX, 4, XCR0_AVX}, {"avxneconvert", 7, 1, EDX, 5, XCR0_AVX},
    {"avxvnniint16", 7, 1, EDX, 10, XCR0_AVX},
    {"sahf", 0x80000001u, 0, ECX, 0, 0}, {"lzcnt", 0x80000001u, 0, ECX, 5, 0},
    {"sse4a", 0x80000001u, 0, ECX, 6, 0}, {"prfchw", 0x80000001u, 0, ECX, 8, 0},
    {"xop", 0x80000001u, 0, ECX, 11, XCR0_AVX}, {"fma4", 0x80000001u, 0, ECX, 16, XCR0_AVX},
    {"tbm", 0x80000001u, 0, ECX, 21, 0}, {"64bit", 0x80000001u, 0, EDX, 29, 0},
    };

/* Whether the CPU has `f` and the OS enables the state it needs. */
static int has_feature(const cpu_feature *f, unsigned xcr0) {
    unsigned r[4] = {0, 0, 0, 0};
    unsigned highest = __get_cpuid_max(f->leaf & 0x80000000u, 0);
    if (highest < f->leaf) return 0;
    __cpuid_count(f->leaf, f->subleaf, r[EAX], r[EBX], r[ECX], r[EDX]);
    return (r[f->reg] >> f->bit & 1u) && (xcr0 & f->xcr0) == f->xcr0;
}

/* XCR0 when the OS has enabled XSAVE (CPUID.1:ECX.OSXSAVE), else 0. */
static unsigned read_xcr0(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c >> 27 & 1u)) return 0;
    unsigned low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    (void)high;
    return low;
}

int debertac__cpu_missing(const char *required, char *missing, size_t size) {
    int count = 0;
    if (size) missing[0] = 0;
    if (!required) return 0;
    unsigned xcr0 = read_xcr0();
    for (const char *p = required; *p;) {
        const char *end = strchr(p, ',');
        size_t length = end ? (size_t)(end - p) : strlen(p);
        for (size_t i = 0; i < sizeof features / sizeof features[0]; i++) {
            const cpu_feature *f = &features[i];
            if (strlen(f->name) != length || memcmp(f->name, p, length) != 0) continue;
            if (!has_feature(f, xcr0)) {
                size_t used = strlen(missing);
                if (size > used + 1)
                    snprintf(missing + used, size - used, "%s%.*s", count ? ", " : "", (int)length, p);
                count++;
            }
            break;
        }
        p += length;
        if (*p == ',') p++;
    }
    return count;
}

#else
int debertac__cpu_missing(const char *required, char *missing, size_t size) {
    (void)required;
    if (size) missing[0] = 0;
    return 0;
}
#endif
