// The parts of the LLVM 19 C API that debertac's backend uses.
// Headers live in /usr/lib/llvm-19/include (Debian's llvm-19-dev); Package.swift adds that path.
#include <llvm-c/Core.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
