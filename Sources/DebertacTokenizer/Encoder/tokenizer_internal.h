/*
 * Shared by the encoder's C files: little-endian loads from the blob, piece access, limits,
 * and the stages of one text's encoding (tokenizer_text.c, tokenizer_unigram.c).
 */
#ifndef DEBERTAC_TOKENIZER_INTERNAL_H
#define DEBERTAC_TOKENIZER_INTERNAL_H

#include "debertac_tokenizer.h"

#include <string.h>

#if defined(DEBERTAC_RUNTIME_BUILD)
#define DTOK_HIDDEN __attribute__((visibility("hidden")))
#else
#define DTOK_HIDDEN
#endif

/* Limits the Swift readers enforce too (TokenizerModel+Blob.swift). */
#define DTOK_MAX_PIECES (1 << 22)
#define DTOK_MAX_PIECE_BYTES 1024
#define DTOK_MAX_TARGET_BYTES 1024
/* sentencepiece's kMaxTrieResultsSize: the charsmap lookup sees at most this many prefixes. */
#define DTOK_MAX_TRIE_RESULTS 32

/* sentencepiece's ModelProto.SentencePiece.Type. */
enum { DTOK_NORMAL = 1, DTOK_UNKNOWN = 2, DTOK_CONTROL = 3, DTOK_USER_DEFINED = 4, DTOK_UNUSED = 5, DTOK_BYTE = 6 };

static inline uint32_t dtok_u32(const unsigned char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v; /* x86-64 and aarch64 Linux are little-endian, as the blob */
}
static inline int32_t dtok_i32(const unsigned char *p) { return (int32_t)dtok_u32(p); }
static inline float dtok_f32(const unsigned char *p) {
    float v;
    memcpy(&v, p, 4);
    return v;
}
static inline dtok_entry dtok_entry_at(const unsigned char *entries, uint32_t i) {
    dtok_entry e;
    memcpy(&e, entries + (size_t)i * sizeof e, sizeof e);
    return e;
}
static inline uint32_t dtok_piece_begin(const dtok_tokenizer *t, uint32_t id) { return dtok_u32(t->piece_offsets + 4 * id); }
static inline uint32_t dtok_piece_length(const dtok_tokenizer *t, int32_t id) {
    return dtok_u32(t->piece_offsets + 4 * ((uint32_t)id + 1)) - dtok_u32(t->piece_offsets + 4 * (uint32_t)id);
}
static inline const unsigned char *dtok_piece_data(const dtok_tokenizer *t, uint32_t id) {
    return t->piece_bytes + dtok_piece_begin(t, id);
}

/* memcmp order of two pieces, a proper prefix first. */
static inline int dtok_compare_pieces(const dtok_tokenizer *t, uint32_t a, uint32_t b) {
    uint32_t na = dtok_piece_length(t, (int32_t)a), nb = dtok_piece_length(t, (int32_t)b);
    int c = memcmp(dtok_piece_data(t, a), dtok_piece_data(t, b), na < nb ? na : nb);
    return c != 0 ? c : (na < nb ? -1 : na > nb ? 1 : 0);
}

/* Length of the UTF-8 character starting with byte c, as sentencepiece's OneCharLen. */
/* Index of the last range whose start is <= c in a generated table of `count` ascending range
 * starts (starts[0] == 0): the lookup of tokenizer_grapheme_table.c and tokenizer_byte_level_table.c. */
static inline uint32_t dtok_range_index(const uint32_t *starts, uint32_t count, uint32_t c) {
    uint32_t lo = 0, hi = count;
    while (hi - lo > 1) {
        uint32_t mid = lo + (hi - lo) / 2;
        if (starts[mid] <= c) lo = mid;
        else hi = mid;
    }
    return lo;
}

static inline int dtok_one_char_length(unsigned char c) {
    static const unsigned char lengths[16] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
    return lengths[c >> 4];
}

/* Decodes the valid UTF-8 character at s (length n >= 1), returning its length. */
static inline int dtok_decode(const unsigned char *s, size_t n, uint32_t *codepoint) {
    int len = dtok_one_char_length(s[0]);
    if ((size_t)len > n) len = 1;
    uint32_t c = s[0];
    if (len == 2) c = ((c & 0x1F) << 6) | (s[1] & 0x3F);
    else if (len == 3) c = ((c & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
    else if (len == 4) c = ((c & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) | ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
    *codepoint = c;
    return len;
}

/* Offset of the first byte that is not valid UTF-8, or n when all are. */
DTOK_HIDDEN size_t dtok_utf8_invalid_at(const unsigned char *s, size_t n);

/* Bytes of the extended grapheme cluster (UAX #29) that starts s (n > 0, valid UTF-8), as the
 * Rust unicode-segmentation crate cuts it (tokenizer_graphemes.c). */
DTOK_HIDDEN size_t dtok_grapheme_length(const unsigned char *s, size_t n);
/* The generated property table behind it (tokenizer_grapheme_table.c). */
DTOK_HIDDEN extern const uint32_t dtok_grapheme_ranges;
DTOK_HIDDEN extern const uint32_t dtok_grapheme_starts[];
DTOK_HIDDEN extern const uint8_t dtok_grapheme_props[];

/* A byte buffer carved out of the caller's scratch. */
typedef struct dtok_buffer {
    unsigned char *data;
    size_t length, capacity;
} dtok_buffer;

/* Ids of one sequence, in scratch. */
typedef struct dtok_ids {
    int32_t *data;
    size_t length, capacity;
} dtok_ids;

/* Scratch sizes for one text, measured exactly by dtok_text_measure. */
typedef struct dtok_measure {
    size_t lowered;      /* bytes after lowercasing (the text's length without do_lower_case) */
    size_t normalized;   /* total normalized bytes over the text's words */
    size_t longest_word; /* most normalized bytes of one word */
    size_t specials;     /* special tokens typed in the text */
} dtok_measure;

/* Walks one text as dtok_text_encode does and measures what it needs. */
DTOK_HIDDEN void dtok_text_measure(const dtok_tokenizer *t, const unsigned char *text, size_t n, unsigned char *lowered,
                                   dtok_measure *m);

/* Bytes that lowercasing `text` gives (without writing them). */
DTOK_HIDDEN size_t dtok_lowered_length(const dtok_tokenizer *t, const unsigned char *text, size_t n);

/* Encodes one text (no [CLS]/[SEP]) into ids: lowercasing, special tokens, punctuation words,
 * then dtok_word_encode for each word. `lowered`, `normalized` and `path` are scratch sized
 * from dtok_measure. */
DTOK_HIDDEN void dtok_text_encode(const dtok_tokenizer *t, const unsigned char *text, size_t n, unsigned char *lowered,
                                  dtok_buffer *normalized, void *path, dtok_ids *ids);

/* sentencepiece's Normalizer::Normalize of one word into `out` (capacity from the measure);
 * returns the normalized length. With out NULL only measures. */
DTOK_HIDDEN size_t dtok_normalize(const dtok_tokenizer *t, const unsigned char *word, size_t n, unsigned char *out);

/* Unigram Viterbi over a normalized word (unigram_model.cc, EncodeOptimized), then unknowns merged
 * or split into byte pieces (sentencepiece_processor.cc, PopulateSentencePieceText); appends ids.
 * `path` holds (n + 1) dtok_path_node. */
DTOK_HIDDEN void dtok_unigram_encode(const dtok_tokenizer *t, const unsigned char *normalized, size_t n, void *path,
                                     dtok_ids *ids);

/* tokenizers semantics (tokenizer_hf_text.c): the same, as the tokenizers library's
 * `TokenizerImpl::encode_single_sequence` does it. */
DTOK_HIDDEN void dtok_hf_text_measure(const dtok_tokenizer *t, const unsigned char *text, size_t n, unsigned char *lowered,
                                      dtok_measure *m);
DTOK_HIDDEN void dtok_hf_text_encode(const dtok_tokenizer *t, const unsigned char *text, size_t n, unsigned char *lowered,
                                     dtok_buffer *segment, dtok_buffer *word, void *path, dtok_ids *ids);

/* The tokenizers normalizer after Lowercase (tokenizer_hf_normalize.c) into out; returns the
 * length. With out NULL only measures (exactly). */
DTOK_HIDDEN size_t dtok_hf_normalize(const dtok_tokenizer *t, const unsigned char *s, size_t n, unsigned char *out);

/* Rust's char::is_whitespace. */
DTOK_HIDDEN int dtok_is_rust_whitespace(uint32_t c);

/* Lowercases s into out (dtok_lowered_length bytes); returns the length. */
DTOK_HIDDEN size_t dtok_lower(const dtok_tokenizer *t, const unsigned char *s, size_t n, unsigned char *out);

/* Whether c is in the blob's punctuation table. */
DTOK_HIDDEN int dtok_is_punctuation(const dtok_tokenizer *t, uint32_t c);

/* Receives one piece of text (a word or a pre-token) from dtok_split_punctuation. */
typedef void (*dtok_piece_fn)(void *context, const unsigned char *s, size_t n);

/* With split_by_punct, hands each punctuation character of s to `piece` on its own and each
 * non-empty run between them as one piece (transformers' _run_split_on_punc, and the tokenizers
 * library's Punctuation(Isolated)); without it, hands s on whole. */
DTOK_HIDDEN void dtok_split_punctuation(const dtok_tokenizer *t, const unsigned char *s, size_t n, dtok_piece_fn piece,
                                        void *context);

/* One Viterbi node: the best path ending at a byte position. The score is a double so that one
 * node serves both semantics: sentencepiece's float sums are stored exactly, the tokenizers
 * library's f64 sums (unigram/model.rs, `BestPathNode::best_path_score`) as they are. */
typedef struct dtok_path_node {
    double score;
    int32_t starts_at;
    int32_t id;
} dtok_path_node;

/* Byte-level BPE (tokenizer_byte_level.c). The pre-tokens of s, ByteLevel's regex matches, to `piece`. */
DTOK_HIDDEN void dtok_byte_level_split(const unsigned char *s, size_t n, dtok_piece_fn piece, void *context);
/* The merge of (left, right): its rank and merged id; 0 when there is none. */
DTOK_HIDDEN int dtok_bpe_merge(const dtok_tokenizer *t, int32_t left, int32_t right, uint32_t *rank, int32_t *merged);
/* Scratch bytes dtok_bpe_encode needs for a pre-token of n bytes. */
DTOK_HIDDEN size_t dtok_bpe_scratch(size_t n);
/* BPE over the bytes of one pre-token; appends ids. */
DTOK_HIDDEN void dtok_bpe_encode(const dtok_tokenizer *t, const unsigned char *s, size_t n, void *scratch, dtok_ids *ids);
/* The generated class table behind the pre-tokenizer (tokenizer_byte_level_table.c). */
DTOK_HIDDEN extern const uint32_t dtok_byte_level_ranges;
DTOK_HIDDEN extern const uint32_t dtok_byte_level_starts[];
DTOK_HIDDEN extern const uint8_t dtok_byte_level_classes[];

#endif /* DEBERTAC_TOKENIZER_INTERNAL_H */
