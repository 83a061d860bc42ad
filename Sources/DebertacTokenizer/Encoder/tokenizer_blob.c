/*
 * Reading a tokenizer blob (docs/tokenizer.md, "The tokenizer blob"): every bound is checked here
 * once, so that the encoder can index the sections without checking again. Only the compiler
 * writes blobs, but a .so can be damaged and `debertac tokenize` reads blobs it just wrote from
 * untrusted files: a blob is never trusted.
 */
#include "tokenizer_internal.h"

#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NUM_SECTIONS 10
#define HEADER_SIZE (64 + 8 * NUM_SECTIONS) /* the fixed fields, then the section table */
static const char MAGIC[8] = {'d', 'e', 'b', 'e', 'r', 't', 'o', 'k'};

static int fail(char *error, size_t error_size, const char *format, ...) {
    if (error && error_size) {
        va_list args;
        va_start(args, format);
        vsnprintf(error, error_size, format, args);
        va_end(args);
    }
    return DTOK_INVALID_BLOB;
}

/* Checks a (count × entry, strings) section of dtok_entry records; sets the string area. */
static int check_entries(const unsigned char *section, uint32_t size, uint32_t *count, const unsigned char **strings,
                         uint32_t *strings_size, const char *what, char *error, size_t error_size) {
    *count = 0;
    *strings = section;
    *strings_size = 0;
    if (size == 0) return DTOK_OK;
    if (size < 4) return fail(error, error_size, "tokenizer blob: %s section of %u bytes, expected at least 4", what, size);
    uint32_t n = dtok_u32(section);
    if ((uint64_t)n * sizeof(dtok_entry) > (uint64_t)size - 4)
        return fail(error, error_size, "tokenizer blob: %s section has %u entries, more than its %u bytes hold", what, n, size);
    *count = n;
    *strings = section + 4 + (size_t)n * sizeof(dtok_entry);
    *strings_size = size - 4 - n * (uint32_t)sizeof(dtok_entry);
    for (uint32_t i = 0; i < n; i++) {
        dtok_entry e = dtok_entry_at(section + 4, i);
        if (e.length == 0 || (uint64_t)e.offset + e.length > *strings_size)
            return fail(error, error_size, "tokenizer blob: %s entry %u points outside its strings", what, i);
    }
    return DTOK_OK;
}

/* The byte-level BPE merge table: a power-of-two capacity above the count of used slots (so
 * that probing always meets an empty slot), ids inside the pieces. */
static int check_merges(dtok_tokenizer *t, const unsigned char *m, uint32_t size, char *error, size_t error_size) {
    if (size < 8) return fail(error, error_size, "tokenizer blob: merge table of %u bytes", size);
    uint32_t count = dtok_u32(m), capacity = dtok_u32(m + 4);
    if (capacity == 0 || (capacity & (capacity - 1)) != 0 || count >= capacity || (uint64_t)capacity * 16 != (uint64_t)size - 8)
        return fail(error, error_size, "tokenizer blob: merge table of %u slots for %u merges in %u bytes", capacity, count, size);
    uint32_t used = 0;
    for (uint32_t i = 0; i < capacity; i++) {
        const unsigned char *e = m + 8 + 16 * (size_t)i;
        if (dtok_u32(e) == UINT32_MAX) continue;
        used++;
        if (dtok_u32(e) >= t->num_pieces || dtok_u32(e + 4) >= t->num_pieces || dtok_u32(e + 12) >= t->num_pieces)
            return fail(error, error_size, "tokenizer blob: merge slot %u names a piece that does not exist", i);
    }
    if (used != count) return fail(error, error_size, "tokenizer blob: merge table has %u merges, expected %u", used, count);
    t->merges = m + 8;
    t->num_merges = count;
    t->merge_capacity = capacity;
    return DTOK_OK;
}

int dtok_open(dtok_tokenizer *t, const void *blob, size_t size, char *error, size_t error_size) {
    if (!t || !blob) return fail(error, error_size, "tokenizer blob: NULL pointer");
    memset(t, 0, sizeof *t);
    const unsigned char *b = blob;
    if (((uintptr_t)b & 7) != 0) return fail(error, error_size, "tokenizer blob: not 8-byte aligned");
    if (size < HEADER_SIZE || memcmp(b, MAGIC, 8) != 0)
        return fail(error, error_size, "tokenizer blob: no 'debertok' header");
    if (dtok_u32(b + 8) != 1) return fail(error, error_size, "tokenizer blob: format %u, expected 1", dtok_u32(b + 8));
    if (size > UINT32_MAX) return fail(error, error_size, "tokenizer blob: %zu bytes, expected at most 4 GiB", size);
    t->blob = b;
    t->size = size;
    t->flags = dtok_u32(b + 12);
    t->num_pieces = dtok_u32(b + 16);
    t->unk_id = dtok_i32(b + 20);
    t->cls_id = dtok_i32(b + 24);
    t->sep_id = dtok_i32(b + 28);
    t->pad_id = dtok_i32(b + 32);
    t->vocab_limit = dtok_u32(b + 36);
    t->min_score = dtok_f32(b + 40);
    t->max_score = dtok_f32(b + 44);
    t->max_piece_bytes = dtok_u32(b + 48);
    t->model_max_length = dtok_u32(b + 56);
    if (t->flags >> 15) return fail(error, error_size, "tokenizer blob: unknown flags 0x%x", t->flags);
    const int tokenizers = (t->flags & DTOK_TOKENIZERS_SEMANTICS) != 0;
    if ((t->flags & (DTOK_BYTE_LEVEL_BPE | DTOK_PAIR_DOUBLE_SEP)) && !(t->flags & DTOK_TOKENIZERS_SEMANTICS))
        return fail(error, error_size, "tokenizer blob: flags 0x%x need tokenizers semantics (bit 7)", t->flags);
    if (!tokenizers && (t->flags >> 8))
        return fail(error, error_size, "tokenizer blob: flags 0x%x need tokenizers semantics (bit 7)", t->flags);
    const int bpe = (t->flags & DTOK_BYTE_LEVEL_BPE) != 0;
    if (dtok_u32(b + 60) != NUM_SECTIONS)
        return fail(error, error_size, "tokenizer blob: %u sections, expected %d", dtok_u32(b + 60), NUM_SECTIONS);
    if (t->num_pieces == 0 || t->num_pieces > DTOK_MAX_PIECES)
        return fail(error, error_size, "tokenizer blob: %u pieces, expected 1 to %d", t->num_pieces, DTOK_MAX_PIECES);
    if (t->vocab_limit < t->num_pieces || t->vocab_limit > (uint32_t)INT32_MAX)
        return fail(error, error_size, "tokenizer blob: vocabulary limit %u below the %u pieces", t->vocab_limit, t->num_pieces);
    int32_t ids[4] = {t->unk_id, t->cls_id, t->sep_id, t->pad_id};
    for (int i = 0; i < 4; i++)
        if (ids[i] < 0 || (uint32_t)ids[i] >= t->vocab_limit)
            return fail(error, error_size, "tokenizer blob: special id %d outside [0, %u)", ids[i], t->vocab_limit);
    if (!isfinite(t->min_score) || !isfinite(t->max_score))
        return fail(error, error_size, "tokenizer blob: scores are not finite");
    if (t->max_piece_bytes > DTOK_MAX_PIECE_BYTES)
        return fail(error, error_size, "tokenizer blob: pieces of %u bytes, expected at most %d", t->max_piece_bytes,
                    DTOK_MAX_PIECE_BYTES);

    const unsigned char *section[NUM_SECTIONS];
    uint32_t length[NUM_SECTIONS];
    for (int s = 0; s < NUM_SECTIONS; s++) {
        uint32_t offset = dtok_u32(b + 64 + 8 * s), n = dtok_u32(b + 68 + 8 * s);
        if (offset % 8 != 0 || offset < HEADER_SIZE || (uint64_t)offset + n > size)
            return fail(error, error_size, "tokenizer blob: section %d (%u bytes at %u) is misplaced", s, n, offset);
        section[s] = b + offset;
        length[s] = n;
    }
    uint32_t np = t->num_pieces;
    /* 0, 1: piece offsets and bytes. */
    if (length[0] != 4 * (np + 1)) return fail(error, error_size, "tokenizer blob: piece offsets have the wrong size");
    t->piece_offsets = section[0];
    t->piece_bytes = section[1];
    t->piece_bytes_size = length[1];
    uint32_t previous = 0;
    for (uint32_t i = 0; i <= np; i++) {
        uint32_t o = dtok_u32(section[0] + 4 * i);
        if (o < previous || o > length[1] || (i == 0 && o != 0) || (i == np && o != length[1]))
            return fail(error, error_size, "tokenizer blob: piece offset %u is out of order", i);
        previous = o;
    }
    /* 2, 3: scores (with byte-level BPE the merge table) and types. */
    if ((!bpe && length[2] != 4 * np) || length[3] != np)
        return fail(error, error_size, "tokenizer blob: scores or types have the wrong size");
    t->scores = section[2];
    t->types = section[3];
    if (bpe) {
        int status = check_merges(t, section[2], length[2], error, error_size);
        if (status != DTOK_OK) return status;
    }
    int has_unknown = 0;
    for (uint32_t i = 0; i < np; i++) {
        uint8_t type = t->types[i];
        if (type < DTOK_NORMAL || type > DTOK_BYTE) return fail(error, error_size, "tokenizer blob: piece %u has type %u", i, type);
        if (!bpe && !isfinite(dtok_f32(t->scores + 4 * i))) return fail(error, error_size, "tokenizer blob: piece %u has no finite score", i);
        if (type == DTOK_UNKNOWN) has_unknown = 1;
        if (type == DTOK_USER_DEFINED) t->has_user_defined = 1;
    }
    if (!has_unknown && !bpe) return fail(error, error_size, "tokenizer blob: no UNKNOWN piece");
    /* 4: matchable index, strictly increasing by bytes. */
    if (length[4] % 4 != 0) return fail(error, error_size, "tokenizer blob: matchable index has the wrong size");
    t->matchable = section[4];
    t->num_matchable = length[4] / 4;
    for (uint32_t i = 0; i < t->num_matchable; i++) {
        uint32_t id = dtok_u32(t->matchable + 4 * i);
        if (id >= np) return fail(error, error_size, "tokenizer blob: matchable entry %u is not a piece", i);
        uint8_t type = t->types[id];
        /* the tokenizers library's Unigram matches every vocabulary entry */
        if (!tokenizers && type != DTOK_NORMAL && type != DTOK_USER_DEFINED && type != DTOK_UNUSED)
            return fail(error, error_size, "tokenizer blob: matchable piece %u has type %u", id, type);
        uint32_t n = dtok_piece_length(t, id);
        if (n == 0 || n > t->max_piece_bytes)
            return fail(error, error_size, "tokenizer blob: matchable piece %u has %u bytes", id, n);
        if (i > 0 && dtok_compare_pieces(t, dtok_u32(t->matchable + 4 * (i - 1)), id) >= 0)
            return fail(error, error_size, "tokenizer blob: matchable index is not sorted at %u", i);
    }
    /* 5: byte pieces. */
    if (length[5] != 4 * 256) return fail(error, error_size, "tokenizer blob: byte pieces have the wrong size");
    t->byte_pieces = section[5];
    for (int i = 0; i < 256; i++) {
        int32_t id = dtok_i32(t->byte_pieces + 4 * i);
        if (id < -1 || (id >= 0 && (uint32_t)id >= np)) return fail(error, error_size, "tokenizer blob: byte piece %d is %d", i, id);
        if (id < 0 && (t->flags & DTOK_BYTE_FALLBACK))
            return fail(error, error_size, "tokenizer blob: byte fallback without the piece for byte 0x%02X", i);
    }
    /* 6: charsmap: u32 trie size, trie units, NUL-terminated targets. */
    t->max_target_bytes = 1;
    if (length[6] > 0) {
        const unsigned char *c = section[6];
        if (length[6] < 4) return fail(error, error_size, "tokenizer blob: charsmap of %u bytes", length[6]);
        uint32_t trie_size = dtok_u32(c);
        if (trie_size % 4 != 0 || trie_size == 0 || (uint64_t)trie_size > (uint64_t)length[6] - 4)
            return fail(error, error_size, "tokenizer blob: charsmap trie of %u bytes does not fit", trie_size);
        t->trie = c + 4;
        t->trie_units = trie_size / 4;
        t->targets = (const char *)c + 4 + trie_size;
        t->targets_size = length[6] - 4 - trie_size;
        if (t->targets_size == 0 || t->targets[t->targets_size - 1] != 0)
            return fail(error, error_size, "tokenizer blob: charsmap targets are not NUL-terminated");
        uint32_t run = 0;
        for (uint32_t i = 0; i < t->targets_size; i++) {
            if (t->targets[i] == 0) run = 0;
            else if (++run > t->max_target_bytes) t->max_target_bytes = run;
        }
    }
    /* 7: special tokens, sorted by string, ids inside the vocabulary. */
    int status = check_entries(section[7], length[7], &t->num_specials, &t->special_strings, &t->special_strings_size,
                               "special token", error, error_size);
    if (status != DTOK_OK) return status;
    t->specials = section[7] + 4;
    for (uint32_t i = 0; i < t->num_specials; i++) {
        dtok_entry e = dtok_entry_at(t->specials, i);
        if (e.id_or_codepoint < 0 || (uint32_t)e.id_or_codepoint >= t->vocab_limit)
            return fail(error, error_size, "tokenizer blob: special token %u has id %d", i, e.id_or_codepoint);
        if (e.flags >> (tokenizers ? 4 : 3))
            return fail(error, error_size, "tokenizer blob: special token %u has flags 0x%x", i, e.flags);
    }
    /* 8: lowercase map, sorted by code point. */
    status = check_entries(section[8], length[8], &t->num_lowercase, &t->lowercase_strings, &t->lowercase_strings_size,
                           "lowercase", error, error_size);
    if (status != DTOK_OK) return status;
    t->lowercase = section[8] + 4;
    for (uint32_t i = 0; i < t->num_lowercase; i++) {
        dtok_entry e = dtok_entry_at(t->lowercase, i);
        if (e.id_or_codepoint < 0 || e.id_or_codepoint > 0x10FFFF ||
            (i > 0 && dtok_entry_at(t->lowercase, i - 1).id_or_codepoint >= e.id_or_codepoint))
            return fail(error, error_size, "tokenizer blob: lowercase entry %u is out of order", i);
        if (e.length > t->max_target_bytes) t->max_target_bytes = e.length;
    }
    /* 9: punctuation ranges. */
    if (length[9] > 0) {
        if (length[9] < 4) return fail(error, error_size, "tokenizer blob: punctuation section of %u bytes", length[9]);
        uint32_t n = dtok_u32(section[9]);
        if ((uint64_t)n * 8 != (uint64_t)length[9] - 4)
            return fail(error, error_size, "tokenizer blob: punctuation section has the wrong size");
        t->num_punctuation = n;
        t->punctuation = section[9] + 4;
        for (uint32_t i = 0; i < n; i++) {
            uint32_t first = dtok_u32(t->punctuation + 8 * i), last = dtok_u32(t->punctuation + 8 * i + 4);
            if (first > last || last > 0x10FFFF || (i > 0 && dtok_u32(t->punctuation + 8 * i - 4) >= first))
                return fail(error, error_size, "tokenizer blob: punctuation range %u is out of order", i);
        }
    }
    if (t->max_target_bytes > DTOK_MAX_TARGET_BYTES)
        return fail(error, error_size, "tokenizer blob: a replacement of %u bytes, expected at most %d", t->max_target_bytes,
                    DTOK_MAX_TARGET_BYTES);
    return DTOK_OK;
}

const char *dtok_piece(const dtok_tokenizer *t, int32_t id, uint32_t *length) {
    if (!t || id < 0 || (uint32_t)id >= t->num_pieces) return NULL;
    uint32_t begin = dtok_u32(t->piece_offsets + 4 * (uint32_t)id);
    if (length) *length = dtok_piece_length(t, id);
    return (const char *)t->piece_bytes + begin;
}
