#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/<target>/main.swift (see docs/security.md).
#
#   Fuzz/build.sh [TARGET...]        (default: every target)
#
# The targets are not SwiftPM targets: they need `-sanitize=fuzzer,address` on the code
# under test as well as on the harness. So this script compiles the frontend, and the IR
# when a target needs it, as instrumented modules with plain swiftc (whole-module, -O,
# -enable-testing so harnesses can `@testable import`), then links each harness with
# Fuzz/Support/FuzzSupport.swift and those objects. The tokenizer targets (spm-model,
# tokenizer-json, bpe-vocab) also get the DebertacTokenizer module, the C encoder it imports
# (Sources/DebertacTokenizer/Encoder, compiled with the toolchain's clang and
# -fsanitize=fuzzer-no-link,address; a module map in $out/cmodules makes `import
# CDebertacTokenizer` resolve) and Fuzz/Support/Tokenizer/*.swift. libFuzzer and the ASan runtime come
# with the Swift toolchain (usr/lib/swift/clang/lib/linux/libclang_rt.fuzzer-*.a); lld from
# the toolchain links them. Modules are rebuilt only when a source is newer than the object.
#
# Output: $FUZZ_BUILD_DIR (default .build-fuzz-targets/), binaries in bin/fuzz-<target>.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/opt/swift/usr/bin"

out="${FUZZ_BUILD_DIR:-$PWD/.build-fuzz-targets}"
mkdir -p "$out/modules" "$out/obj" "$out/bin"

all_targets=(safetensors zip pickle torch-zip torch-legacy config ir spm-model tokenizer-json bpe-vocab)
targets=("$@")
((${#targets[@]})) || targets=("${all_targets[@]}")

flags=(-sanitize=fuzzer,address -O -g -parse-as-library -swift-version 6 -use-ld=lld)

# needs_rebuild OUTPUT SOURCE... : true when OUTPUT is missing or older than a source.
needs_rebuild() {
    local output=$1; shift
    [ -e "$output" ] || return 0
    [ -n "$(find "$@" -newer "$output" -print -quit)" ]
}

# module NAME [DEPENDENCY...]: compiles Sources/NAME/*.swift into obj/NAME.o and
# modules/NAME.swiftmodule, again whenever a source or a dependency's object is newer.
# Extra swiftc flags for the module go in the array module_flags.
module_flags=()
module() {
    local name=$1; shift
    local sources=(Sources/"$name"/*.swift)
    if needs_rebuild "$out/obj/$name.o" "${sources[@]}" "$@" "$0"; then
        echo "fuzz: compiling $name (instrumented)" >&2
        swiftc "${flags[@]}" ${module_flags[@]+"${module_flags[@]}"} -enable-testing -wmo -num-threads 0 -module-name "$name" -I "$out/modules" \
            -emit-module -emit-module-path "$out/modules/$name.swiftmodule" \
            -c "${sources[@]}" -o "$out/obj/$name.o"
        touch "$out/obj/$name.o"  # swiftc keeps the old file (and time) when the object is unchanged
    fi
}

# The C encoder of the tokenizer stage: one instrumented object per file, and a module map.
encoder=Sources/DebertacTokenizer/Encoder
encoder_map="$out/cmodules/CDebertacTokenizer/module.modulemap"
encoder_flags=(-Xcc -fmodule-map-file="$encoder_map" -I "$encoder/include")
# The clang that ships with swiftc, so that its sanitizer instrumentation matches the runtime.
cc="$(dirname "$(command -v swiftc)")/clang"
c_objects=()
encoder_objects() {
    c_objects=()
    mkdir -p "$out/obj/CDebertacTokenizer" "$(dirname "$encoder_map")"
    printf 'module CDebertacTokenizer {\n    header "%s"\n    export *\n}\n' "$PWD/$encoder/include/debertac_tokenizer.h" >"$encoder_map.new"
    cmp -s "$encoder_map.new" "$encoder_map" && rm "$encoder_map.new" || mv "$encoder_map.new" "$encoder_map"
    local source object
    for source in "$encoder"/*.c; do
        object="$out/obj/CDebertacTokenizer/$(basename "${source%.c}").o"
        if needs_rebuild "$object" "$source" "$encoder"/*.h "$encoder"/include/*.h "$0"; then
            echo "fuzz: compiling $source (instrumented)" >&2
            "$cc" -fsanitize=fuzzer-no-link,address -O1 -g -std=gnu11 -I "$encoder/include" -c "$source" -o "$object"
        fi
        c_objects+=("$object")
    done
}

module DebertacFrontend
for target in "${targets[@]}"; do
    [ -f "Fuzz/$target/main.swift" ] || { echo "fuzz: no target '$target' (have: ${all_targets[*]})" >&2; exit 2; }
    objects=("$out/obj/DebertacFrontend.o")
    harness=(Fuzz/Support/*.swift)
    link_flags=()
    if [ "$target" = ir ]; then
        module DebertacIR "$out/obj/DebertacFrontend.o"
        objects+=("$out/obj/DebertacIR.o")
    fi
    if [ "$target" = spm-model ] || [ "$target" = tokenizer-json ] || [ "$target" = bpe-vocab ]; then
        encoder_objects
        module_flags=("${encoder_flags[@]}")
        module DebertacTokenizer "$out/obj/DebertacFrontend.o" "$encoder_map"
        module_flags=()
        objects+=("$out/obj/DebertacTokenizer.o" "${c_objects[@]}")
        harness+=(Fuzz/Support/Tokenizer/*.swift)
        link_flags=("${encoder_flags[@]}")
    fi
    binary="$out/bin/fuzz-$target"
    if needs_rebuild "$binary" "Fuzz/$target/main.swift" "${harness[@]}" "${objects[@]}" "$0"; then
        echo "fuzz: linking fuzz-$target" >&2
        swiftc "${flags[@]}" ${link_flags[@]+"${link_flags[@]}"} -module-name "fuzz_${target//-/_}" -I "$out/modules" \
            "${harness[@]}" "Fuzz/$target/main.swift" "${objects[@]}" -o "$binary"
        touch "$binary"
    fi
done
