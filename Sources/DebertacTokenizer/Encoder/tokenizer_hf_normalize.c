/*
 * The tokenizers library's normalizer, as transformers' DebertaV2Converter writes it into
 * tokenizer.json (convert_slow_tokenizer.py, `DebertaV2Converter.normalizer`): after `Lowercase`
 * (tokenizer_text.c's lowercase map), `Strip` (Rust `char::is_whitespace`), `Precompiled`
 * (tokenizers/src/normalizers/precompiled.rs over the spm_precompiled crate) and
 * `Replace(" {2,}", " ")`. Precompiled is NOT sentencepiece's normalizer: it walks extended
 * grapheme clusters, and a cluster shorter than 6 bytes with any charsmap key as a prefix is
 * replaced whole by the FIRST (shortest) key's target (`Precompiled::transform` takes
 * `common_prefix_search(..)[0]`), so 'A\u030a' becomes 'a' under nmt_nfkc_cf; other clusters go one
 * character at a time. One streaming pass, so measuring (out NULL) gives the exact length.
 */
#include "tokenizer_internal.h"

/* Rust's char::is_whitespace (the White_Space property), which `Strip` uses. */
int dtok_is_rust_whitespace(uint32_t c) {
    return (c >= 0x09 && c <= 0x0D) || c == 0x20 || c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) ||
           c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

/* spm_precompiled's `DoubleArray::common_prefix_search`, stopped at its first result: the target
 * offset of the shortest charsmap key that is a prefix of s, or -1. Like the Rust walk it stops
 * at a NUL byte; unlike it, every unit index is checked against the trie's size. */
static int64_t first_match(const dtok_tokenizer *t, const unsigned char *s, size_t n) {
    uint32_t units = t->trie_units;
    uint32_t unit = dtok_u32(t->trie);
    uint32_t pos = (unit >> 10) << ((unit & (1u << 9)) >> 6);
    for (size_t i = 0; i < n && s[i] != 0; i++) {
        pos ^= s[i];
        if (pos >= units) return -1;
        unit = dtok_u32(t->trie + 4 * (size_t)pos);
        if ((unit & ((1u << 31) | 0xFF)) != s[i]) return -1;
        pos ^= (unit >> 10) << ((unit & (1u << 9)) >> 6);
        if ((unit >> 8) & 1) {
            if (pos >= units) return -1;
            uint32_t v = dtok_u32(t->trie + 4 * (size_t)pos) & 0x7FFFFFFFu;
            return v < t->targets_size ? (int64_t)v : -1;
        }
    }
    return -1;
}

/* The output side: Strip, when the file puts it after the charsmap, and Replace, applied one
 * character at a time as the charsmap produces them (stripping then collapsing, in that order, is
 * what streaming both gives: only runs of ' ' merge, and Strip drops them at the ends anyway). */
typedef struct writer {
    unsigned char *out;    /* NULL: measure */
    size_t length;
    size_t content_end;    /* length up to the last character a right Strip keeps */
    int strip_left, strip_right, collapse;
    int seen_content, last_is_space;
} writer;

static void put(writer *w, const unsigned char *s, size_t n) {
    for (size_t i = 0; i < n;) {
        uint32_t c;
        size_t len = (size_t)dtok_decode(s + i, n - i, &c);
        int white = dtok_is_rust_whitespace(c);
        int skip = (w->strip_left && !w->seen_content && white) || (w->collapse && c == ' ' && w->last_is_space);
        if (!skip) {
            if (w->out) memcpy(w->out + w->length, s + i, len);
            w->length += len;
            w->last_is_space = c == ' ';
            if (!white) {
                w->seen_content = 1;
                w->content_end = w->length;
            }
        }
        i += len;
    }
}

/* Writes the target string at `offset` of the charsmap targets (NUL-terminated, checked at open). */
static void put_target(writer *w, const dtok_tokenizer *t, int64_t offset) {
    const char *target = t->targets + offset;
    put(w, (const unsigned char *)target, strlen(target));
}

size_t dtok_hf_normalize(const dtok_tokenizer *t, const unsigned char *s, size_t n, unsigned char *out) {
    const int after = (t->flags & DTOK_STRIP_AFTER_CHARSMAP) != 0;
    if (!after) { /* Strip before the charsmap, on the (lowercased) input */
        while (n > 0) {
            uint32_t c;
            int len = dtok_decode(s, n, &c);
            if (!(t->flags & DTOK_STRIP_LEFT) || !dtok_is_rust_whitespace(c)) break;
            s += len;
            n -= (size_t)len;
        }
        while (n > 0 && (t->flags & DTOK_STRIP_RIGHT)) {
            size_t begin = n - 1;
            while (begin > 0 && (s[begin] & 0xC0) == 0x80) begin--;
            uint32_t c;
            dtok_decode(s + begin, n - begin, &c);
            if (!dtok_is_rust_whitespace(c)) break;
            n = begin;
        }
    }
    writer w = {.out = out, .collapse = (t->flags & DTOK_COLLAPSE_SPACES) != 0,
                .strip_left = after && (t->flags & DTOK_STRIP_LEFT), .strip_right = after && (t->flags & DTOK_STRIP_RIGHT)};
    for (size_t i = 0; i < n;) {
        size_t g = dtok_grapheme_length(s + i, n - i);
        int64_t target = -1;
        if (t->trie && g < 6) target = first_match(t, s + i, g);
        if (target >= 0) {
            put_target(&w, t, target);
        } else {
            for (size_t k = i; k < i + g;) { /* one character at a time */
                size_t len = (size_t)dtok_one_char_length(s[k]);
                if (len > i + g - k) len = i + g - k;
                int64_t one = t->trie ? first_match(t, s + k, len) : -1;
                if (one >= 0) put_target(&w, t, one);
                else put(&w, s + k, len);
                k += len;
            }
        }
        i += g;
    }
    return w.strip_right ? w.content_end : w.length;
}

int dtok_normalize_text(const dtok_tokenizer *t, const char *text, size_t n, void *scratch, size_t scratch_size, size_t *length) {
    const unsigned char *s = (const unsigned char *)text;
    if (!t || !text || !length || !(t->flags & DTOK_TOKENIZERS_SEMANTICS) || dtok_utf8_invalid_at(s, n) < n)
        return DTOK_INVALID_ARGUMENT;
    /* Lowercased text first, then the normalized text after it, then moved to the front. */
    size_t lowered = (t->flags & DTOK_DO_LOWER_CASE) ? dtok_lowered_length(t, s, n) : n;
    unsigned char *base = scratch;
    if (!scratch || scratch_size < lowered) {
        *length = lowered + lowered * (size_t)t->max_target_bytes;
        return DTOK_NEED_SCRATCH;
    }
    if (t->flags & DTOK_DO_LOWER_CASE) dtok_lower(t, s, n, base);
    else memmove(base, s, n);
    size_t m = dtok_hf_normalize(t, base, lowered, NULL);
    if (scratch_size - lowered < m) {
        *length = lowered + m;
        return DTOK_NEED_SCRATCH;
    }
    dtok_hf_normalize(t, base, lowered, base + lowered);
    memmove(base, base + lowered, m);
    *length = m;
    return DTOK_OK;
}
