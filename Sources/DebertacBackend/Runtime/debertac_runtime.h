/*
 * The contract between the code debertac generates for one model and the generic C runtime
 * (debertac_runtime.c) linked into every compiled .so. Not installed, not part of the public ABI
 * (include/debertac.h): both sides are built by the same compiler run, so this may change freely
 * between debertac versions. docs/architecture.md ("Backend") describes the whole design.
 *
 * Two generated pieces meet the runtime:
 *  - the LLVM module (kernels + entry) defines debertac__forward;
 *  - model.c, generated C text, defines the descriptor debertac__model;
 * When weights are embedded, the compiler appends them to the linked .so as the non-allocated
 * section DEBERTAC_WEIGHTS_SECTION (ElfWeightsSection.swift); the runtime maps that section at
 * debertac_model_open. All of them have hidden visibility: the .so exports only the debertac_* API.
 */
#ifndef DEBERTAC_RUNTIME_H
#define DEBERTAC_RUNTIME_H

#include <stdint.h>

#define DEBERTAC_HIDDEN __attribute__((visibility("hidden")))

/* A kernel's task body: runs tasks [begin, end) of a kernel whose operands are in `args`.
 * `workspace` is the running thread's own scratch memory (debertac_model_desc.workspace_*),
 * 64-byte aligned: kernels that need more than a row of scratch (the fused attention's score
 * matrices) use it, and nothing in it survives from one task to the next. */
typedef void (*debertac_task_fn)(const void *args, int64_t begin, int64_t end, void *workspace);

/* Runs fn(args, i, i + n) over a partition of [0, count) on the session's pool and returns when
 * every task is done. Task results must not depend on which thread runs them or on the
 * partition (every generated kernel writes disjoint outputs per task). */
typedef void (*debertac_parallel_for_fn)(void *pool, debertac_task_fn fn, const void *args, int64_t count);

/* Everything one forward pass reads: built by debertac_classify, read by debertac__forward.
 * The generated code mirrors this layout field by field (ExecField in ExecutionPlan.swift). */
typedef struct debertac_exec {
    const char *weights;             /* 0: weights payload, 64-byte aligned */
    char *arena;                     /* 1: session arena, 64-byte aligned */
    const int64_t *buffer_offsets;   /* 2: byte offset in the arena of each planned buffer */
    const int32_t *input_ids;        /* 3: [batch, length] */
    const int32_t *attention_mask;   /* 4: [batch, length], never NULL (the runtime substitutes ones) */
    const int32_t *token_type_ids;   /* 5: [batch, length], never NULL (the runtime substitutes zeros) */
    float *logits;                   /* 6: [batch, num_labels] */
    int64_t batch;                   /* 7: B */
    int64_t length;                  /* 8: T */
    void *pool;                      /* 9: opaque, for parallel_for */
    debertac_parallel_for_fn parallel_for; /* 10 */
} debertac_exec;

/* One buffer of the memory plan: bytes · B^batch_power · T^length_power bytes, live from the op
 * at schedule position first_use to last_use (inclusive). */
typedef struct debertac_buffer_desc {
    int64_t bytes;
    int32_t batch_power;
    int32_t length_power;
    int32_t first_use;
    int32_t last_use;
} debertac_buffer_desc;

/* The compiled model, as model.c describes it. */
typedef struct debertac_model_desc {
    uint32_t abi_version;
    int32_t num_labels;
    int32_t vocab_size;
    int32_t type_vocab_size;            /* 0: the model has no token types; all ids must be 0 */
    int32_t max_sequence_length;
    const char *const *labels;          /* num_labels entries */
    const char *info_json;
    uint64_t weights_size;              /* payload bytes */
    uint64_t weights_digest;            /* XXH64 (seed 0) of the payload */
    int32_t embedded_weights;           /* 1: the weights image is the section DEBERTAC_WEIGHTS_SECTION of
                                         * this .so; 0: compiled with --external-weights */
    int32_t num_buffers;
    const debertac_buffer_desc *buffers;
    /* Scratch each pool thread needs: workspace_t2 · T² + workspace_t1 · T + workspace_t0 bytes
     * at the session's maximum length T (0 when no kernel needs any). */
    int64_t workspace_t2;
    int64_t workspace_t1;
    int64_t workspace_t0;
    /* The tokenizer blob (docs/tokenizer.md), 8-byte aligned, in tokenizer.s; NULL and 0 for an
     * ids-only model. */
    const unsigned char *tokenizer;
    uint64_t tokenizer_size;
    /* The label whose logit means entailment (zero-shot): the first label2id entry starting with
     * "entail" in any case, as transformers' pipeline; -1 when none. */
    int32_t entailment_id;
    /* The CPU the code was generated for, and every feature LLVM enabled for it (its names,
     * comma-separated): debertac_model_open refuses a CPU that lacks one (debertac_cpu.c). */
    const char *target_cpu;
    const char *required_features;
} debertac_model_desc;

/* Defined by tokenizer.s when the model has a tokenizer. */
extern const unsigned char debertac__tokenizer[] DEBERTAC_HIDDEN;

/* Defined by model.c. */
extern const debertac_model_desc debertac__model DEBERTAC_HIDDEN;

/* Defined by the LLVM module: runs the schedule; returns 0 or a debertac_status. */
int32_t debertac__forward(const debertac_exec *exec) DEBERTAC_HIDDEN;

/* The non-allocated ELF section of a .so compiled with embedded weights that holds the weights
 * image (the bytes of an external weights file), 4096-aligned in the file. */
#define DEBERTAC_WEIGHTS_SECTION ".debertac_weights"

/* The external weights file (and the embedded weights section): this header, zeros up to DEBERTAC_WEIGHTS_PAYLOAD_OFFSET, then the
 * payload. All integers little-endian. */
#define DEBERTAC_WEIGHTS_MAGIC "debertac-weights"  /* 16 bytes, no terminator in the file */
#define DEBERTAC_WEIGHTS_FORMAT 1u
#define DEBERTAC_WEIGHTS_PAYLOAD_OFFSET 4096u
typedef struct debertac_weights_header {
    char magic[16];
    uint32_t format;
    uint32_t reserved;
    uint64_t payload_offset;
    uint64_t payload_size;
    uint64_t payload_digest;
} debertac_weights_header;

#endif /* DEBERTAC_RUNTIME_H */
