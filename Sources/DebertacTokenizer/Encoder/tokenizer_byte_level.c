/*
 * The byte-level BPE model (DTOK_BYTE_LEVEL_BPE, transformers' DebertaTokenizer for DeBERTa v1),
 * as the tokenizers library runs it on one piece of text between added tokens:
 *
 *   1. ByteLevel pre-tokenizer (pre_tokenizers/byte_level.rs): with add_prefix_space a ' ' is put
 *      in front unless the piece starts with one; the piece is cut into the matches of
 *      's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *      (Oniguruma, leftmost alternative first; classes from tokenizer_byte_level_table.c);
 *   2. every byte of a pre-token becomes its byte-to-unicode character, whose vocabulary id is the
 *      blob's byte piece (a byte whose character is not in the vocabulary is dropped: the model has
 *      no unk_token);
 *   3. BPE (models/bpe/word.rs, `Word::merge_all`): a min-heap of (rank, position) over adjacent
 *      pairs that have a merge, popped lowest rank first, then leftmost; stale entries are skipped
 *      exactly as the library skips them (the pair now at that position must give the same id).
 *
 * The merge table is the blob's section 2 under DTOK_BYTE_LEVEL_BPE (docs/tokenizer.md): u32
 * count, u32 capacity (a power of two above count), then capacity × (u32 left, u32 right, u32
 * rank, u32 merged id), open addressing with linear probing, empty slots with left = 0xFFFFFFFF.
 */
#include "tokenizer_internal.h"

enum { CLASS_OTHER, CLASS_LETTER, CLASS_NUMBER, CLASS_SPACE };

static int char_class(uint32_t c) {
    return dtok_byte_level_classes[dtok_range_index(dtok_byte_level_starts, dtok_byte_level_ranges, c)];
}

/* Class and length of the character at s[i] (i < n). */
static int class_at(const unsigned char *s, size_t n, size_t i, size_t *length) {
    uint32_t c;
    *length = (size_t)dtok_decode(s + i, n - i, &c);
    return char_class(c);
}

/* End of the run of characters of class `cls` starting at i. */
static size_t run_of(const unsigned char *s, size_t n, size_t i, int cls) {
    size_t len;
    while (i < n && class_at(s, n, i, &len) == cls) i += len;
    return i;
}

/* End of the run of characters that are none of letter, number, space ([^\s\p{L}\p{N}]+). */
static size_t run_of_other(const unsigned char *s, size_t n, size_t i) { return run_of(s, n, i, CLASS_OTHER); }

/* End of the regex's match at i (i < n): the alternatives in order. */
static size_t match_end(const unsigned char *s, size_t n, size_t i) {
    if (s[i] == '\'' && i + 1 < n) {
        static const char *const contractions[] = {"s", "t", "re", "ve", "m", "ll", "d"};
        for (int k = 0; k < 7; k++) {
            size_t len = strlen(contractions[k]);
            if (i + 1 + len <= n && memcmp(s + i + 1, contractions[k], len) == 0) return i + 1 + len;
        }
    }
    size_t len;
    size_t j = i;
    if (s[i] == ' ' && i + 1 < n) j = i + 1; /* ` ?` before a letter, number or other run */
    int cls = class_at(s, n, j, &len);
    if (j > i || cls != CLASS_SPACE) {
        if (cls == CLASS_LETTER || cls == CLASS_NUMBER) return run_of(s, n, j, cls);
        if (cls == CLASS_OTHER) return run_of_other(s, n, j);
        /* ' ' then white space: the ` ?X+` alternatives fail, try the white-space ones at i */
    }
    /* \s+(?!\S): the longest white-space run not followed by a non-space; else \s+ whole. */
    size_t end = run_of(s, n, i, CLASS_SPACE);
    if (end == n) return end;
    size_t previous = i;
    for (size_t k = i; k < end; k += len) { /* the start of the run's last character */
        class_at(s, n, k, &len);
        previous = k;
    }
    return previous > i ? previous : end;
}

void dtok_byte_level_split(const unsigned char *s, size_t n, dtok_piece_fn piece, void *context) {
    for (size_t i = 0; i < n;) {
        size_t end = match_end(s, n, i);
        piece(context, s + i, end - i);
        i = end;
    }
}

static uint32_t merge_slot(uint32_t left, uint32_t right, uint32_t capacity) {
    uint32_t h = left * 0x9E3779B1u ^ right * 0x85EBCA77u;
    h ^= h >> 15;
    return h & (capacity - 1);
}

int dtok_bpe_merge(const dtok_tokenizer *t, int32_t left, int32_t right, uint32_t *rank, int32_t *merged) {
    if (t->merge_capacity == 0) return 0;
    for (uint32_t slot = merge_slot((uint32_t)left, (uint32_t)right, t->merge_capacity);;
         slot = (slot + 1) & (t->merge_capacity - 1)) {
        const unsigned char *e = t->merges + 16 * (size_t)slot;
        uint32_t l = dtok_u32(e);
        if (l == UINT32_MAX) return 0; /* dtok_open checked that an empty slot exists */
        if (l == (uint32_t)left && dtok_u32(e + 4) == (uint32_t)right) {
            *rank = dtok_u32(e + 8);
            *merged = dtok_i32(e + 12);
            return 1;
        }
    }
}

typedef struct symbol {
    int32_t id, prev, next, removed;
} symbol;

typedef struct merge {
    uint32_t rank, pos;
    int32_t merged;
} merge;

static int before(const merge *a, const merge *b) { return a->rank != b->rank ? a->rank < b->rank : a->pos < b->pos; }

static void push(merge *heap, size_t *count, merge m) {
    size_t i = (*count)++;
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!before(&m, &heap[parent])) break;
        heap[i] = heap[parent];
        i = parent;
    }
    heap[i] = m;
}

static merge pop(merge *heap, size_t *count) {
    merge top = heap[0], last = heap[--*count];
    size_t i = 0, n = *count;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n) break;
        if (child + 1 < n && before(&heap[child + 1], &heap[child])) child++;
        if (!before(&heap[child], &last)) break;
        heap[i] = heap[child];
        i = child;
    }
    if (n > 0) heap[i] = last;
    return top;
}

static void push_pair(const dtok_tokenizer *t, merge *heap, size_t *count, const symbol *symbols, int32_t pos) {
    uint32_t rank;
    int32_t merged;
    if (dtok_bpe_merge(t, symbols[pos].id, symbols[symbols[pos].next].id, &rank, &merged))
        push(heap, count, (merge){rank, (uint32_t)pos, merged});
}

size_t dtok_bpe_scratch(size_t n) { return sizeof(symbol) * (n + 1) + sizeof(merge) * (3 * n + 3); }

void dtok_bpe_encode(const dtok_tokenizer *t, const unsigned char *s, size_t n, void *scratch, dtok_ids *ids) {
    symbol *symbols = scratch;
    merge *heap = (merge *)((unsigned char *)scratch + sizeof(symbol) * (n + 1));
    int32_t count = 0;
    for (size_t i = 0; i < n; i++) {
        int32_t id = dtok_i32(t->byte_pieces + 4 * s[i]);
        if (id < 0) continue;
        symbols[count] = (symbol){id, count - 1, -1, 0};
        if (count > 0) symbols[count - 1].next = count;
        count++;
    }
    size_t queued = 0;
    for (int32_t i = 0; i + 1 < count; i++) push_pair(t, heap, &queued, symbols, i);
    while (queued > 0) {
        merge top = pop(heap, &queued);
        symbol *current = &symbols[top.pos];
        if (current->removed || current->next < 0) continue;
        uint32_t rank;
        int32_t merged;
        if (!dtok_bpe_merge(t, current->id, symbols[current->next].id, &rank, &merged) || merged != top.merged) continue;
        symbol *right = &symbols[current->next];
        current->id = top.merged;
        current->next = right->next;
        right->removed = 1;
        if (right->next >= 0) symbols[right->next].prev = (int32_t)top.pos;
        if (current->prev >= 0) push_pair(t, heap, &queued, symbols, current->prev);
        if (current->next >= 0) push_pair(t, heap, &queued, symbols, (int32_t)top.pos);
    }
    for (int32_t i = 0; i < count; i++)
        if (!symbols[i].removed && ids->length < ids->capacity) ids->data[ids->length++] = symbols[i].id;
}
