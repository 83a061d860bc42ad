import DebertacFrontend

extension DebertaGraphBuilder {
    /// Refuses configurations that transformers cannot run or that debertac does not
    /// implement, naming the config field. Called by `build`; exposed for `inspect`-style
    /// tools that want the check without building.
    public static func validate(_ config: DebertaConfig) throws(GraphBuildError) {
        func refuse(_ field: String, _ value: some CustomStringConvertible, _ reason: String) -> GraphBuildError {
            .unsupportedConfig(field: field, value: "\(value)", reason: reason)
        }
        _ = try activation(config.hiddenAct, field: "hidden_act")
        _ = try activation(config.poolerHiddenAct, field: "pooler_hidden_act")
        if config.hasConv { _ = try activation(config.convAct, field: "conv_act") }

        let hidden = config.hiddenSize, heads = config.numAttentionHeads
        // DisentangledSelfAttention raises for this before reading attention_head_size.
        guard hidden % heads == 0 else {
            throw refuse("hidden_size", hidden, "expected a multiple of 'num_attention_heads' (\(heads))")
        }
        // attention.output.dense is Linear(hidden, hidden) applied to heads · head_size values.
        guard config.headSize * heads == hidden else {
            throw refuse("attention_head_size", config.headSize,
                         "'attention_head_size' × 'num_attention_heads' (\(config.headSize * heads)) must equal 'hidden_size' (\(hidden))")
        }
        // ContextPooler.dense is Linear(pooler_hidden_size, pooler_hidden_size) applied to a
        // hidden_size vector, and the classifier reads hidden_size values: only equal sizes run.
        guard config.effectivePoolerHiddenSize == hidden else {
            throw refuse("pooler_hidden_size", config.effectivePoolerHiddenSize,
                         "expected 'hidden_size' (\(hidden)): the reference pooler cannot run otherwise")
        }
        if config.hasConv {
            // padding (k − 1) / 2 shortens the sequence by one for even k, and the residual add fails.
            guard config.convKernelSize % 2 == 1 else {
                throw refuse("conv_kernel_size", config.convKernelSize, "expected an odd kernel size (an even one changes the sequence length)")
            }
            guard hidden % config.convGroups == 0 else {
                throw refuse("conv_groups", config.convGroups, "expected a divisor of 'hidden_size' (\(hidden))")
            }
        }
        if config.usesC2P || config.usesP2C, config.positionBuckets > 0 {
            let mid = config.positionBuckets / 2
            // make_log_bucket_position divides by mid and by log((max_position − 1) / mid):
            // either being zero turns far positions into ±inf cast to an integer.
            guard mid > 0 else {
                throw refuse("position_buckets", config.positionBuckets, "expected 0, a negative value, or at least 2 (the log buckets divide by position_buckets / 2)")
            }
            guard config.effectiveMaxRelativePositions - 1 != mid else {
                throw refuse("max_relative_positions", config.effectiveMaxRelativePositions,
                             "equals position_buckets / 2 + 1, which makes the log buckets divide by log(1) = 0")
            }
        }
    }

    /// The lowering of an activation name, or the error naming `field`.
    static func activation(_ name: String, field: String) throws(GraphBuildError) -> Activation {
        guard let activation = Activation.named(name) else {
            throw .unsupportedActivation(field: field, value: name)
        }
        return activation
    }
}
