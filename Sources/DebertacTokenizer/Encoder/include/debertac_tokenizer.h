/*
 * debertac_tokenizer.h: the one encoder of debertac's tokenizer stage (docs/tokenizer.md).
 *
 * It reads a tokenizer blob (the compact form that DebertacTokenizer writes and `debertac compile`
 * links into every .so) and turns UTF-8 text into token ids exactly as the checkpoint's own
 * tokenizer does: sentencepiece's normalizer and unigram Viterbi, wrapped as transformers'
 * DebertaV2Tokenizer wraps them ([CLS] A [SEP] B [SEP], longest-first truncation), or, for a
 * blob with DTOK_TOKENIZERS_SEMANTICS (a tokenizer.json folder), the tokenizers library's reading
 * of the same model.
 *
 * The same C files are compiled into the `debertac` executable (the SwiftPM target
 * CDebertacTokenizer, for `debertac tokenize` and `run` on a checkpoint folder) and into every
 * compiled .so (the backend hands them to the C compiler with the runtime). Nothing here
 * allocates, prints or aborts; every symbol is hidden when built into a .so.
 */
#ifndef DEBERTAC_TOKENIZER_H
#define DEBERTAC_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(DEBERTAC_RUNTIME_BUILD)
#define DTOK_API __attribute__((visibility("hidden")))
#else
#define DTOK_API
#endif

/* Results of dtok_open and dtok_encode. */
enum {
    DTOK_OK = 0,
    DTOK_INVALID_BLOB = 1,     /* the blob is not a well-formed tokenizer blob */
    DTOK_INVALID_TEXT = 2,     /* the text is not valid UTF-8 */
    DTOK_INVALID_ARGUMENT = 3, /* e.g. max_length below the number of special tokens */
    DTOK_NEED_SCRATCH = 4,     /* scratch too small: *scratch_needed says how much is needed */
};

/* Truncation strategies, as transformers names them. */
enum {
    DTOK_LONGEST_FIRST = 0, /* remove from the longer sequence first */
    DTOK_ONLY_FIRST = 1,    /* remove from the first sequence only (the zero-shot pipeline) */
};

/* Flags of the blob header. */
enum {
    DTOK_ADD_DUMMY_PREFIX = 1u << 0,
    DTOK_REMOVE_EXTRA_WHITESPACES = 1u << 1,
    DTOK_ESCAPE_WHITESPACES = 1u << 2,
    DTOK_TREAT_WHITESPACE_AS_SUFFIX = 1u << 3,
    DTOK_BYTE_FALLBACK = 1u << 4,
    DTOK_DO_LOWER_CASE = 1u << 5,
    DTOK_SPLIT_BY_PUNCT = 1u << 6,
    /* The tokenizers library's reading of a tokenizer.json instead of sentencepiece + transformers
     * (docs/tokenizer.md, "tokenizer.json folders"); bits 8-11 only with it. */
    DTOK_TOKENIZERS_SEMANTICS = 1u << 7,
    DTOK_STRIP_LEFT = 1u << 8,            /* normalizer Strip, left side */
    DTOK_STRIP_RIGHT = 1u << 9,           /* normalizer Strip, right side */
    DTOK_COLLAPSE_SPACES = 1u << 10,      /* normalizer Replace(" {2,}", " ") */
    DTOK_STRIP_AFTER_CHARSMAP = 1u << 11, /* Strip comes after Precompiled (else before it) */
    DTOK_METASPACE_NO_SPLIT = 1u << 12,   /* Metaspace split=false: a pre-token is one word */
    /* A byte-level BPE model (transformers' DebertaTokenizer, DeBERTa v1; needs bit 7): ByteLevel
     * pre-tokenizer (bit 0: add_prefix_space), the byte pieces are the byte-to-unicode characters'
     * ids, section 2 holds the merge table instead of scores. */
    DTOK_BYTE_LEVEL_BPE = 1u << 13,
    DTOK_PAIR_DOUBLE_SEP = 1u << 14,      /* pair template [CLS] A [SEP] [SEP] B [SEP], every type id 0 */
};

/* Flags of a special-token entry. */
enum {
    DTOK_TOKEN_LSTRIP = 1u << 0,
    DTOK_TOKEN_RSTRIP = 1u << 1,
    DTOK_TOKEN_SINGLE_WORD = 1u << 2,
    DTOK_TOKEN_NORMALIZED = 1u << 3, /* tokenizers semantics: matched in the normalized text (its string is normalized) */
};

/* A string inside the blob: bytes at `offset` of a section's string area. */
typedef struct dtok_entry {
    int32_t id_or_codepoint;
    uint32_t flags;  /* special tokens: DTOK_TOKEN_* */
    uint32_t offset;
    uint32_t length;
} dtok_entry;

/* A tokenizer: a checked, read-only view over a blob, which must outlive it. */
typedef struct dtok_tokenizer {
    const unsigned char *blob;
    size_t size;
    uint32_t flags;
    uint32_t num_pieces;
    int32_t unk_id, cls_id, sep_id, pad_id;
    uint32_t vocab_limit;
    float min_score, max_score;
    uint32_t max_piece_bytes;
    uint32_t model_max_length;
    /* Sections (docs/tokenizer.md). Arrays of 4-byte values are read with memcpy. */
    const unsigned char *piece_offsets; /* u32 × (num_pieces + 1) */
    const unsigned char *piece_bytes;
    uint32_t piece_bytes_size;
    const unsigned char *scores;        /* f32 × num_pieces */
    const unsigned char *types;         /* u8 × num_pieces */
    const unsigned char *matchable;     /* u32 ids, sorted by bytes */
    uint32_t num_matchable;
    const unsigned char *byte_pieces;   /* i32 × 256 */
    const unsigned char *trie;          /* charsmap trie units (u32), NULL for identity */
    uint32_t trie_units;
    const char *targets;                /* charsmap replacement strings */
    uint32_t targets_size;
    const unsigned char *specials;      /* dtok_entry × num_specials, then strings */
    uint32_t num_specials;
    const unsigned char *special_strings;
    uint32_t special_strings_size;
    const unsigned char *lowercase;     /* dtok_entry × num_lowercase, then strings */
    uint32_t num_lowercase;
    const unsigned char *lowercase_strings;
    uint32_t lowercase_strings_size;
    const unsigned char *punctuation;   /* (u32 first, u32 last) × num_punctuation */
    uint32_t num_punctuation;
    /* Derived at open. */
    uint32_t max_target_bytes;          /* longest charsmap or lowercase replacement, >= 1 */
    int has_user_defined;               /* any USER_DEFINED piece (they bypass normalization) */
    const unsigned char *merges;        /* DTOK_BYTE_LEVEL_BPE: merge_capacity × (left, right, rank, merged) */
    uint32_t num_merges, merge_capacity;
} dtok_tokenizer;

/* Checks `blob` (8-byte aligned, `size` bytes) and fills `tokenizer`. On failure returns
 * DTOK_INVALID_BLOB and writes a message to `error` (when not NULL). */
DTOK_API int dtok_open(dtok_tokenizer *tokenizer, const void *blob, size_t size, char *error, size_t error_size);

/* Tokenizes `text` (`text_length` bytes of UTF-8) and, when `pair` is not NULL, the pair text:
 * [CLS] A [SEP] (B [SEP]) truncated to `max_length` tokens (> 0) with `strategy`. Writes up to
 * `capacity` ids and token type ids (either may be NULL when capacity is 0) and sets *length to the
 * full length. `scratch` is working memory; when it is too small the result is DTOK_NEED_SCRATCH
 * and *scratch_needed is the size that suffices for these texts. Other failures write `error`. */
DTOK_API int dtok_encode(const dtok_tokenizer *tokenizer, const char *text, size_t text_length, const char *pair,
                         size_t pair_length, int32_t max_length, int strategy, void *scratch, size_t scratch_size,
                         size_t *scratch_needed, int32_t *ids, int32_t *type_ids, int32_t capacity, int32_t *length,
                         char *error, size_t error_size);

/* The scratch dtok_encode needs for texts of these byte lengths, whatever their contents: a
 * bound, usually far more than needed. Sessions allocate this much for their typical texts. */
DTOK_API size_t dtok_scratch_bound(const dtok_tokenizer *tokenizer, size_t text_length, size_t pair_length);

/* The tokenizers-semantics normalizer alone (Lowercase, Strip, Precompiled, Replace) over `text`:
 * the reader uses it for the strings of `normalized` added tokens. Writes the result at the start
 * of `scratch` and its length to *length; DTOK_NEED_SCRATCH with *length the size needed when
 * `scratch_size` is too small; DTOK_INVALID_ARGUMENT without tokenizers semantics or valid UTF-8. */
DTOK_API int dtok_normalize_text(const dtok_tokenizer *tokenizer, const char *text, size_t text_length, void *scratch,
                                 size_t scratch_size, size_t *length);

/* The piece (UTF-8, not NUL-terminated) of id, for tools; NULL when id is not a piece. */
DTOK_API const char *dtok_piece(const dtok_tokenizer *tokenizer, int32_t id, uint32_t *length);

#ifdef __cplusplus
}
#endif

#endif /* DEBERTAC_TOKENIZER_H */
