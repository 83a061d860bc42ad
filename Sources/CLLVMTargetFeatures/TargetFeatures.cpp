// See include/llvm_target_features.h.
#include "llvm_target_features.h"

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include <llvm/MC/MCSubtargetInfo.h>
#include <llvm/MC/TargetRegistry.h>

char *debertac_llvm_enabled_features(const char *triple, const char *cpu, const char *features) {
    std::string error;
    const llvm::Target *target = llvm::TargetRegistry::lookupTarget(triple, error);
    if (!target) return nullptr;
    std::unique_ptr<llvm::MCSubtargetInfo> info(target->createMCSubtargetInfo(triple, cpu, features));
    if (!info) return nullptr;
    std::string list;
    const llvm::FeatureBitset &enabled = info->getFeatureBits();
    for (const llvm::SubtargetFeatureKV &feature : info->getAllProcessorFeatures()) {
        if (!enabled.test(feature.Value)) continue;
        if (!list.empty()) list += ',';
        list += feature.Key;
    }
    return strdup(list.c_str());
}
