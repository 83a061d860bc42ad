/*
 * One text, as transformers' (slow) DebertaV2Tokenizer prepares it for sentencepiece
 * (tokenization_utils.py `tokenize`, tokenization_deberta_v2.py `_tokenize` and SPMTokenizer):
 * literal special tokens are split out first, each remaining segment is lowercased
 * (do_lower_case) and cut at punctuation (split_by_punct), and every resulting word is
 * normalized and encoded by sentencepiece on its own.
 */
#include "tokenizer_internal.h"

size_t dtok_utf8_invalid_at(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t min;
        if (c >= 0xC2 && c <= 0xDF) len = 2, min = 0x80;
        else if (c >= 0xE0 && c <= 0xEF) len = 3, min = 0x800;
        else if (c >= 0xF0 && c <= 0xF4) len = 4, min = 0x10000;
        else return i;
        if (len > n - i) return i;
        uint32_t cp = c & (0xFF >> (len + 1));
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80) return i;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return i;
        i += len;
    }
    return n;
}

/* Python's str.isspace, which str.strip uses for the lstrip/rstrip of special tokens. */
static int is_python_space(uint32_t c) {
    return (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x20) || c == 0x85 || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* The lowercase map's entry for c, or NULL (binary search; the table is sorted). */
static const unsigned char *lowercase_of(const dtok_tokenizer *t, uint32_t c, uint32_t *length) {
    uint32_t lo = 0, hi = t->num_lowercase;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        dtok_entry e = dtok_entry_at(t->lowercase, mid);
        if ((uint32_t)e.id_or_codepoint == c) {
            *length = e.length;
            return t->lowercase_strings + e.offset;
        }
        if ((uint32_t)e.id_or_codepoint < c) lo = mid + 1;
        else hi = mid;
    }
    return NULL;
}

int dtok_is_punctuation(const dtok_tokenizer *t, uint32_t c) {
    uint32_t lo = 0, hi = t->num_punctuation;
    while (lo < hi) {
        uint32_t mid = lo + (hi - lo) / 2;
        uint32_t first = dtok_u32(t->punctuation + 8 * mid), last = dtok_u32(t->punctuation + 8 * mid + 4);
        if (c < first) hi = mid;
        else if (c > last) lo = mid + 1;
        else return 1;
    }
    return 0;
}

/* The longest special token at s, or NULL. Special tokens are few (the five of DeBERTa plus any
 * added ones): a scan over them is simpler than a trie and fast enough. */
static const dtok_entry *special_at(const dtok_tokenizer *t, const unsigned char *s, size_t n, dtok_entry *found) {
    uint32_t best = 0;
    for (uint32_t i = 0; i < t->num_specials; i++) {
        dtok_entry e = dtok_entry_at(t->specials, i);
        if (e.length <= n && e.length > best && memcmp(s, t->special_strings + e.offset, e.length) == 0) {
            best = e.length;
            *found = e;
        }
    }
    return best ? found : NULL;
}

size_t dtok_lowered_length(const dtok_tokenizer *t, const unsigned char *s, size_t n) {
    size_t length = 0;
    for (size_t i = 0; i < n;) {
        uint32_t c, m;
        int len = dtok_decode(s + i, n - i, &c);
        length += lowercase_of(t, c, &m) ? m : (size_t)len;
        i += (size_t)len;
    }
    return length;
}

size_t dtok_lower(const dtok_tokenizer *t, const unsigned char *s, size_t n, unsigned char *out) {
    size_t length = 0;
    for (size_t i = 0; i < n;) {
        uint32_t c, m;
        int len = dtok_decode(s + i, n - i, &c);
        const unsigned char *target = lowercase_of(t, c, &m);
        if (target) {
            memcpy(out + length, target, m);
            length += m;
        } else {
            memcpy(out + length, s + i, (size_t)len);
            length += (size_t)len;
        }
        i += (size_t)len;
    }
    return length;
}

/* What to do with each word: measure it, or encode it. */
typedef struct word_sink {
    const dtok_tokenizer *t;
    dtok_measure *measure;  /* measuring: totals go here */
    dtok_buffer *normalized; /* encoding: scratch for the normalized word */
    void *path;
    dtok_ids *ids;
} word_sink;

static void word(word_sink *sink, const unsigned char *s, size_t n) {
    if (n == 0) return;
    if (sink->measure) {
        size_t m = dtok_normalize(sink->t, s, n, NULL);
        sink->measure->normalized += m;
        if (m > sink->measure->longest_word) sink->measure->longest_word = m;
        return;
    }
    size_t m = dtok_normalize(sink->t, s, n, sink->normalized->data);
    dtok_unigram_encode(sink->t, sink->normalized->data, m, sink->path, sink->ids);
}

static void word_piece(void *sink, const unsigned char *s, size_t n) { word(sink, s, n); }

/* One segment between special tokens: lowercased into `lowered` when asked, then cut at
 * punctuation (each punctuation character is a word of its own). */
static void segment(word_sink *sink, const unsigned char *s, size_t n, unsigned char *lowered) {
    const dtok_tokenizer *t = sink->t;
    if (n == 0) return;
    if (t->flags & DTOK_DO_LOWER_CASE) {
        n = dtok_lower(t, s, n, lowered);
        s = lowered;
    }
    dtok_split_punctuation(t, s, n, word_piece, sink);
}

void dtok_split_punctuation(const dtok_tokenizer *t, const unsigned char *s, size_t n, dtok_piece_fn piece, void *context) {
    if (!(t->flags & DTOK_SPLIT_BY_PUNCT)) {
        piece(context, s, n);
        return;
    }
    size_t start = 0;
    for (size_t i = 0; i < n;) {
        uint32_t c;
        int len = dtok_decode(s + i, n - i, &c);
        if (dtok_is_punctuation(t, c)) {
            if (start < i) piece(context, s + start, i - start);
            piece(context, s + i, (size_t)len);
            start = i + (size_t)len;
        }
        i += (size_t)len;
    }
    if (start < n) piece(context, s + start, n - start);
}

/* Length of the white space (str.isspace) at the start or the end of s. */
static size_t leading_space(const unsigned char *s, size_t n) {
    size_t i = 0;
    while (i < n) {
        uint32_t c;
        int len = dtok_decode(s + i, n - i, &c);
        if (!is_python_space(c)) break;
        i += (size_t)len;
    }
    return i;
}
static size_t trailing_space(const unsigned char *s, size_t n) {
    size_t end = n;
    while (end > 0) {
        size_t begin = end - 1;
        while (begin > 0 && (s[begin] & 0xC0) == 0x80) begin--;
        uint32_t c;
        dtok_decode(s + begin, end - begin, &c);
        if (!is_python_space(c)) break;
        end = begin;
    }
    return n - end;
}

/* Splits the text at special tokens (leftmost, longest at a position; `lstrip` and `rstrip`
 * tokens eat the white space beside them, as transformers' AddedToken) and hands each segment
 * and special token on. */
static void text(word_sink *sink, const unsigned char *s, size_t n, unsigned char *lowered) {
    const dtok_tokenizer *t = sink->t;
    size_t start = 0, i = 0;
    int strip_next = 0;
    uint64_t first_bytes[4] = {0}; /* the special tokens' first bytes: most positions start none */
    for (uint32_t k = 0; k < t->num_specials; k++) {
        unsigned char b = (unsigned char)t->special_strings[dtok_entry_at(t->specials, k).offset];
        first_bytes[b >> 6] |= (uint64_t)1 << (b & 63);
    }
    while (i < n) {
        dtok_entry e;
        const dtok_entry *special = (first_bytes[s[i] >> 6] >> (s[i] & 63)) & 1 ? special_at(t, s + i, n - i, &e) : NULL;
        if (special && (special->flags & 4)) { /* single_word: only between spaces (or the ends) */
            int left_ok = i == 0 || s[i - 1] == ' ';
            int right_ok = i + special->length == n || s[i + special->length] == ' ';
            if (!left_ok || !right_ok) special = NULL;
        }
        if (!special) {
            i += (size_t)dtok_one_char_length(s[i]);
            continue;
        }
        const unsigned char *seg = s + start;
        size_t len = i - start;
        if (strip_next) {
            size_t k = leading_space(seg, len);
            seg += k;
            len -= k;
        }
        if (special->flags & 1) len -= trailing_space(seg, len);
        segment(sink, seg, len, lowered);
        if (sink->measure) sink->measure->specials++;
        else if (sink->ids->length < sink->ids->capacity) sink->ids->data[sink->ids->length++] = special->id_or_codepoint;
        strip_next = (special->flags & 2) != 0;
        i += special->length;
        start = i;
    }
    const unsigned char *seg = s + start;
    size_t len = n - start;
    if (strip_next) {
        size_t k = leading_space(seg, len);
        seg += k;
        len -= k;
    }
    segment(sink, seg, len, lowered);
}

void dtok_text_measure(const dtok_tokenizer *t, const unsigned char *s, size_t n, unsigned char *lowered, dtok_measure *m) {
    memset(m, 0, sizeof *m);
    m->lowered = (t->flags & DTOK_DO_LOWER_CASE) ? dtok_lowered_length(t, s, n) : 0;
    word_sink sink = {.t = t, .measure = m};
    text(&sink, s, n, lowered);
}

void dtok_text_encode(const dtok_tokenizer *t, const unsigned char *s, size_t n, unsigned char *lowered,
                      dtok_buffer *normalized, void *path, dtok_ids *ids) {
    word_sink sink = {.t = t, .normalized = normalized, .path = path, .ids = ids};
    text(&sink, s, n, lowered);
}
