// The one part of LLVM that its C API lacks and the backend needs: which features a target
// CPU has, after LLVM expands a CPU name (znver4, x86-64-v3, ...) and a feature string.
#ifndef DEBERTAC_LLVM_TARGET_FEATURES_H
#define DEBERTAC_LLVM_TARGET_FEATURES_H

#ifdef __cplusplus
extern "C" {
#endif

/// The features LLVM enables for `triple`, `cpu` and `features` (e.g. "+avx512f,-avx512bf16"),
/// as a comma-separated list of names without '+' ("avx,avx2,...", sorted as LLVM lists
/// them), or NULL when LLVM has no such target (the native target must be initialised).
/// The caller frees the result with free().
char *debertac_llvm_enabled_features(const char *triple, const char *cpu, const char *features);

#ifdef __cplusplus
}
#endif

#endif
