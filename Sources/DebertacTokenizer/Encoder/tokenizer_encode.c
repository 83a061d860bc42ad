/*
 * dtok_encode: one text or a pair, as transformers' DebertaV2Tokenizer returns it for
 * `tokenizer(text, text_pair, truncation=..., max_length=N)`: [CLS] A [SEP] (B [SEP]), token type 0
 * up to the first [SEP] and 1 after, truncated as tokenization_utils_base.py's
 * `truncate_sequences` does.
 *
 * Scratch, carved in this order (each part 8-byte aligned): the lowercased text (largest of the
 * two, only with do_lower_case), the ids of A, the ids of B, the normalized word, the Viterbi path
 * (tokenizers semantics: the normalized segment, the word, the path).
 * Sizes come from an exact measuring walk over the texts, so the caller can grow its scratch to
 * what these texts need and call again.
 */
#include "tokenizer_internal.h"

#include <stdarg.h>
#include <stdio.h>

static int fail(char *error, size_t error_size, int status, const char *format, ...) {
    if (error && error_size) {
        va_list args;
        va_start(args, format);
        vsnprintf(error, error_size, format, args);
        va_end(args);
    }
    return status;
}

static size_t align8(size_t n) { return (n + 7) & ~(size_t)7; }

/* Sequence lengths after truncate_sequences (tokenization_utils_base.py), right side. */
static void truncate(size_t *a, size_t *b, int has_pair, size_t max_length, int strategy) {
    size_t specials = has_pair ? 3 : 2;
    size_t total = *a + *b + specials;
    if (total <= max_length) return;
    size_t remove = total - max_length;
    if (strategy == DTOK_ONLY_FIRST || !has_pair) {
        /* "We need to remove N to truncate the input but the first sequence has a length M":
         * transformers logs this and leaves the sequence as it is. */
        if (*a > remove) *a -= remove;
        return;
    }
    /* LONGEST_FIRST with a pair. */
    size_t difference = *a > *b ? *a - *b : *b - *a;
    size_t first_remove = difference < remove ? difference : remove;
    size_t second_remove = remove - first_remove;
    size_t from_a, from_b;
    if (*a > *b) {
        from_a = first_remove + second_remove / 2;
        from_b = second_remove - second_remove / 2;
    } else {
        from_a = second_remove / 2;
        from_b = first_remove + second_remove - second_remove / 2;
    }
    *a -= from_a < *a ? from_a : *a;
    *b -= from_b < *b ? from_b : *b;
}

/* Sequence lengths after the tokenizers library's truncation (tokenizers/src/utils/truncation.rs,
 * `truncate_encodings`, called by `TokenizerImpl::post_process` with max_length minus the special
 * tokens). The longer sequence keeps the odd token, B on a tie (transformers gives it to A). */
static void truncate_tokenizers(size_t *a, size_t *b, int has_pair, size_t specials, size_t max_length, int strategy) {
    size_t budget = max_length - specials; /* max_length >= the specials (checked) */
    if (budget == 0) {
        *a = *b = 0;
        return;
    }
    size_t total = *a + *b;
    if (total <= budget) return;
    size_t remove = total - budget;
    if (strategy == DTOK_ONLY_FIRST || !has_pair) {
        if (*a > remove) *a -= remove; /* tokenizers fails with SequenceTooShort here; left uncut, as above */
        return;
    }
    size_t n1 = *a, n2 = *b;
    int swap = n1 > n2;
    if (swap) {
        n1 = *b;
        n2 = *a;
    }
    if (n1 > budget) n2 = n1;
    else n2 = n1 > budget - n1 ? n1 : budget - n1;
    if (n1 + n2 > budget) {
        n1 = budget / 2;
        n2 = n1 + budget % 2;
    }
    if (swap) {
        size_t x = n1;
        n1 = n2;
        n2 = x;
    }
    if (*a > n1) *a = n1;
    if (*b > n2) *b = n2;
}

/* The longest word under tokenizers semantics for a segment (normalized bytes) of `segment`
 * bytes: the segment and a 3-byte '▁'; without Metaspace's split every space becomes 3 bytes. */
static size_t hf_longest_word(const dtok_tokenizer *t, size_t segment) {
    return (t->flags & DTOK_METASPACE_NO_SPLIT) ? 3 * segment + 3 : segment + 3;
}

/* Scratch under tokenizers semantics: the segment, the word and the Viterbi path over the word. */
static size_t hf_word_scratch(const dtok_tokenizer *t, size_t segment) {
    size_t word = hf_longest_word(t, segment);
    /* byte-level BPE: symbols and merge heap instead of the Viterbi path (+1: the prefix space) */
    if (t->flags & DTOK_BYTE_LEVEL_BPE) return align8(segment + 8) + align8(word + 8) + dtok_bpe_scratch(segment + 1);
    return align8(segment + 8) + align8(word + 8) + sizeof(dtok_path_node) * (word + 1);
}

size_t dtok_scratch_bound(const dtok_tokenizer *t, size_t text_length, size_t pair_length) {
    /* Lowercasing turns a byte into at most max_target bytes. Each normalization step consumes at
     * least one byte and writes at most max_target bytes, each space as 3 (U+2581), and every
     * word gets at most one 3-byte dummy prefix; every normalized byte and every special token
     * (at least one byte of text) becomes at most one id. */
    const int lowercasing = (t->flags & DTOK_DO_LOWER_CASE) != 0;
    size_t longest = text_length > pair_length ? text_length : pair_length;
    size_t lowered = lowercasing ? longest * t->max_target_bytes : longest;
    size_t normalized = lowered * (3 * (size_t)t->max_target_bytes + 3) + 3;
    size_t ids = align8(4 * (normalized + lowered + 1));
    if (t->flags & DTOK_TOKENIZERS_SEMANTICS) {
        /* The charsmap writes at most max_target bytes per input byte; ids are at most 4 per
         * normalized byte plus one per special token. */
        size_t segment = lowered * (size_t)t->max_target_bytes;
        /* byte-level BPE: add_prefix_space adds a byte to every piece between special tokens */
        if (t->flags & DTOK_BYTE_LEVEL_BPE) segment = 2 * longest + 1;
        ids = align8(4 * (4 * segment + longest + 1));
        return (lowercasing ? align8(lowered) : 0) + 2 * ids + hf_word_scratch(t, segment);
    }
    return (lowercasing ? align8(lowered) : 0) + 2 * ids + align8(normalized + 8) + sizeof(dtok_path_node) * (normalized + 1);
}

static int emit(const dtok_tokenizer *t, const dtok_ids *a, size_t na, const dtok_ids *b, size_t nb, int32_t *ids,
                int32_t *type_ids, int32_t capacity, int32_t *length, char *error, size_t error_size);

/* The special tokens the template adds: [CLS] A [SEP], and [SEP] B [SEP] (or [SEP] [SEP] B [SEP]). */
static size_t special_count(const dtok_tokenizer *t, int has_pair) {
    return has_pair ? ((t->flags & DTOK_PAIR_DOUBLE_SEP) ? 4 : 3) : 2;
}

/* dtok_encode under tokenizers semantics, once the texts are checked and `lowered` bytes of
 * scratch are reserved for the lowercased text. */
static int encode_tokenizers(const dtok_tokenizer *t, const unsigned char *a_text, size_t a_length, const unsigned char *b_text,
                             size_t b_length, int32_t max_length, int strategy, unsigned char *base, size_t lowered,
                             size_t scratch_size, size_t *scratch_needed, int32_t *ids, int32_t *type_ids, int32_t capacity,
                             int32_t *length, char *error, size_t error_size) {
    dtok_measure ma, mb;
    dtok_hf_text_measure(t, a_text, a_length, base, &ma);
    if (b_text) dtok_hf_text_measure(t, b_text, b_length, base, &mb);
    else memset(&mb, 0, sizeof mb);
    size_t ids_a = align8(4 * (4 * ma.normalized + ma.specials + 1));
    size_t ids_b = align8(4 * (4 * mb.normalized + mb.specials + 1));
    size_t segment = ma.longest_word > mb.longest_word ? ma.longest_word : mb.longest_word;
    if (hf_longest_word(t, segment) >= INT32_MAX) /* Viterbi positions are 32-bit */
        return fail(error, error_size, DTOK_INVALID_ARGUMENT, "a piece of the text normalizes to %zu bytes, more than 2^31", segment);
    size_t need = lowered + ids_a + ids_b + hf_word_scratch(t, segment);
    if (scratch_size < need) {
        if (scratch_needed) *scratch_needed = need;
        return fail(error, error_size, DTOK_NEED_SCRATCH, "the tokenizer needs %zu bytes of scratch", need);
    }
    dtok_ids a = {.data = (int32_t *)(base + lowered), .capacity = ids_a / 4};
    dtok_ids b = {.data = (int32_t *)(base + lowered + ids_a), .capacity = ids_b / 4};
    unsigned char *rest = base + lowered + ids_a + ids_b;
    dtok_buffer seg = {.data = rest, .capacity = align8(segment + 8)};
    dtok_buffer word = {.data = rest + seg.capacity, .capacity = align8(hf_longest_word(t, segment) + 8)};
    void *path = rest + seg.capacity + word.capacity;
    dtok_hf_text_encode(t, a_text, a_length, base, &seg, &word, path, &a);
    if (b_text) dtok_hf_text_encode(t, b_text, b_length, base, &seg, &word, path, &b);
    size_t na = a.length, nb = b.length;
    truncate_tokenizers(&na, &nb, b_text != NULL, special_count(t, b_text != NULL), (size_t)max_length, strategy);
    return emit(t, &a, na, b_text ? &b : NULL, nb, ids, type_ids, capacity, length, error, error_size);
}

int dtok_encode(const dtok_tokenizer *t, const char *text, size_t text_length, const char *pair, size_t pair_length,
                int32_t max_length, int strategy, void *scratch, size_t scratch_size, size_t *scratch_needed, int32_t *ids,
                int32_t *type_ids, int32_t capacity, int32_t *length, char *error, size_t error_size) {
    const unsigned char *a_text = (const unsigned char *)text, *b_text = (const unsigned char *)pair;
    /* transformers 5 (the reference of DebertaTokenizer's template) drops an empty text_pair. */
    if (t && pair && pair_length == 0 && (t->flags & DTOK_PAIR_DOUBLE_SEP)) b_text = NULL, pair = NULL;
    const int has_pair = pair != NULL;
    if (!t || !text || !length || (capacity > 0 && (!ids || !type_ids)) || capacity < 0)
        return fail(error, error_size, DTOK_INVALID_ARGUMENT, "invalid arguments to the tokenizer");
    *length = 0;
    if (scratch_needed) *scratch_needed = 0;
    size_t bad = dtok_utf8_invalid_at(a_text, text_length);
    if (bad < text_length)
        return fail(error, error_size, DTOK_INVALID_TEXT, "the text is not valid UTF-8 at byte %zu (0x%02X)", bad, a_text[bad]);
    if (has_pair && (bad = dtok_utf8_invalid_at(b_text, pair_length)) < pair_length)
        return fail(error, error_size, DTOK_INVALID_TEXT, "the text pair is not valid UTF-8 at byte %zu (0x%02X)", bad,
                    b_text[bad]);
    int32_t specials = (int32_t)special_count(t, has_pair);
    if (max_length < specials)
        return fail(error, error_size, DTOK_INVALID_ARGUMENT, "max_length %d is below the %d special tokens of a %s", max_length,
                    specials, has_pair ? "pair" : "single text");
    if (!has_pair) pair_length = 0;

    /* The lowercased text comes first: measuring needs it. */
    size_t lowered = 0;
    if (t->flags & DTOK_DO_LOWER_CASE) {
        size_t la = dtok_lowered_length(t, a_text, text_length);
        size_t lb = has_pair ? dtok_lowered_length(t, b_text, pair_length) : 0;
        lowered = align8(la > lb ? la : lb);
    }
    unsigned char *base = scratch;
    if (scratch_size < lowered || !scratch) {
        if (scratch_needed) *scratch_needed = dtok_scratch_bound(t, text_length, pair_length);
        return fail(error, error_size, DTOK_NEED_SCRATCH, "the tokenizer needs %zu bytes of scratch", lowered);
    }
    const int tokenizers = (t->flags & DTOK_TOKENIZERS_SEMANTICS) != 0;
    dtok_measure ma, mb;
    if (tokenizers) return encode_tokenizers(t, a_text, text_length, has_pair ? b_text : NULL, pair_length, max_length, strategy,
                                             base, lowered, scratch_size, scratch_needed, ids, type_ids, capacity, length, error,
                                             error_size);
    dtok_text_measure(t, a_text, text_length, base, &ma);
    if (has_pair) dtok_text_measure(t, b_text, pair_length, base, &mb);
    else memset(&mb, 0, sizeof mb);
    size_t ids_a = align8(4 * (ma.normalized + ma.specials + 1));
    size_t ids_b = align8(4 * (mb.normalized + mb.specials + 1));
    size_t word = ma.longest_word > mb.longest_word ? ma.longest_word : mb.longest_word;
    if (word >= INT32_MAX)  /* Viterbi positions are 32-bit */
        return fail(error, error_size, DTOK_INVALID_ARGUMENT, "a word of the text normalizes to %zu bytes, more than 2^31", word);
    size_t need = lowered + ids_a + ids_b + align8(word + 8) + sizeof(dtok_path_node) * (word + 1);
    if (scratch_size < need) {
        if (scratch_needed) *scratch_needed = need;
        return fail(error, error_size, DTOK_NEED_SCRATCH, "the tokenizer needs %zu bytes of scratch", need);
    }
    dtok_ids a = {.data = (int32_t *)(base + lowered), .capacity = ids_a / 4};
    dtok_ids b = {.data = (int32_t *)(base + lowered + ids_a), .capacity = ids_b / 4};
    dtok_buffer normalized = {.data = base + lowered + ids_a + ids_b, .capacity = align8(word + 8)};
    void *path = base + lowered + ids_a + ids_b + normalized.capacity;
    dtok_text_encode(t, a_text, text_length, base, &normalized, path, &a);
    if (has_pair) dtok_text_encode(t, b_text, pair_length, base, &normalized, path, &b);

    size_t na = a.length, nb = b.length;
    truncate(&na, &nb, has_pair, (size_t)max_length, strategy);
    return emit(t, &a, na, has_pair ? &b : NULL, nb, ids, type_ids, capacity, length, error, error_size);
}

/* [CLS] A [SEP] (B [SEP]) with A and B cut to na and nb ids. */
static int emit(const dtok_tokenizer *t, const dtok_ids *a, size_t na, const dtok_ids *b, size_t nb, int32_t *ids,
                int32_t *type_ids, int32_t capacity, int32_t *length, char *error, size_t error_size) {
    const int has_pair = b != NULL;
    const int double_sep = (t->flags & DTOK_PAIR_DOUBLE_SEP) != 0;
    size_t total = na + nb + special_count(t, has_pair);
    if (total > INT32_MAX) return fail(error, error_size, DTOK_INVALID_ARGUMENT, "the text gives more than 2^31 tokens");
    *length = (int32_t)total;
    size_t k = 0;
#define EMIT(id, type)                          \
    do {                                        \
        if (k < (size_t)capacity) {             \
            ids[k] = (id);                      \
            type_ids[k] = (type);               \
        }                                       \
        k++;                                    \
    } while (0)
    EMIT(t->cls_id, 0);
    for (size_t i = 0; i < na; i++) EMIT(a->data[i], 0);
    EMIT(t->sep_id, 0);
    if (has_pair) {
        /* DebertaTokenizer's template (transformers 5): [SEP] twice, B typed 0 as well. */
        const int32_t type_b = double_sep ? 0 : 1;
        if (double_sep) EMIT(t->sep_id, 0);
        for (size_t i = 0; i < nb; i++) EMIT(b->data[i], type_b);
        EMIT(t->sep_id, type_b);
    }
#undef EMIT
    return DTOK_OK;
}
