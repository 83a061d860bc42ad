/*
 * sentencepiece's normalizer (normalizer.cc, Normalizer::Normalize and NormalizePrefix) over one
 * word, on the blob's precompiled charsmap. Followed line by line, including its quirks: the
 * longest of at most 32 trie matches wins, user-defined pieces are copied unnormalized, and a
 * leading "space" is any character whose replacement is exactly " ".
 */
#include "tokenizer_internal.h"

#define SPACE_SYMBOL "\xe2\x96\x81" /* U+2581, sentencepiece's kSpaceSymbol */

/* Darts-clone's commonPrefixSearch over the charsmap trie: the value of the longest of the first
 * DTOK_MAX_TRIE_RESULTS keys that are prefixes of s, and its length (0 when none). Every unit index
 * is checked against the trie's size: the blob reader cannot walk all paths ahead of time. */
static size_t charsmap_longest(const dtok_tokenizer *t, const unsigned char *s, size_t n, uint32_t *value) {
    size_t longest = 0, results = 0;
    uint32_t units = t->trie_units;
    uint32_t unit = dtok_u32(t->trie);
    uint32_t pos = 0;
    pos ^= (unit >> 10) << ((unit & (1u << 9)) >> 6); /* offset() */
    for (size_t i = 0; i < n; i++) {
        pos ^= s[i];
        if (pos >= units) return longest;
        unit = dtok_u32(t->trie + 4 * (size_t)pos);
        if ((unit & ((1u << 31) | 0xFF)) != s[i]) return longest; /* label() */
        pos ^= (unit >> 10) << ((unit & (1u << 9)) >> 6);
        if ((unit >> 8) & 1) { /* has_leaf() */
            if (pos >= units) return longest;
            if (results < DTOK_MAX_TRIE_RESULTS && i + 1 > longest) {
                uint32_t v = dtok_u32(t->trie + 4 * (size_t)pos) & 0x7FFFFFFFu; /* value() */
                if (v < t->targets_size) {
                    longest = i + 1;
                    *value = v;
                }
            }
            results++;
        }
    }
    return longest;
}

/* Longest USER_DEFINED piece that is a prefix of s (sentencepiece's PrefixMatcher), or 0. Walks
 * the sorted matchable index, narrowing the range of pieces that share the first k bytes. */
static size_t user_defined_prefix(const dtok_tokenizer *t, const unsigned char *s, size_t n) {
    size_t best = 0;
    uint32_t lo = 0, hi = t->num_matchable;
    for (size_t k = 0; lo < hi; k++) {
        uint32_t first = dtok_u32(t->matchable + 4 * lo);
        if (dtok_piece_length(t, (int32_t)first) == k) {
            if (t->types[first] == DTOK_USER_DEFINED) best = k;
            if (++lo >= hi) break;
        }
        if (k >= n) break;
        unsigned char c = s[k];
        uint32_t a = lo, b = hi;
        while (a < b) { /* first piece whose byte k is >= c */
            uint32_t mid = a + (b - a) / 2;
            if (dtok_piece_data(t, dtok_u32(t->matchable + 4 * mid))[k] < c) a = mid + 1;
            else b = mid;
        }
        uint32_t end = a, top = hi;
        while (end < top) { /* first piece whose byte k is > c */
            uint32_t mid = end + (top - end) / 2;
            if (dtok_piece_data(t, dtok_u32(t->matchable + 4 * mid))[k] <= c) end = mid + 1;
            else top = mid;
        }
        lo = a;
        hi = end;
    }
    return best;
}

/* NormalizePrefix: how many input bytes the next step consumes, and what it produces. */
static size_t normalize_prefix(const dtok_tokenizer *t, const unsigned char *s, size_t n, const unsigned char **out,
                               size_t *out_length) {
    if (t->has_user_defined) {
        size_t m = user_defined_prefix(t, s, n);
        if (m > 0) {
            *out = s;
            *out_length = m;
            return m;
        }
    }
    if (t->trie) {
        uint32_t value = 0;
        size_t m = charsmap_longest(t, s, n, &value);
        if (m > 0) {
            *out = (const unsigned char *)t->targets + value;
            *out_length = strlen(t->targets + value); /* NUL-terminated inside the section (checked at open) */
            return m;
        }
    }
    size_t m = (size_t)dtok_one_char_length(s[0]);
    if (m > n) m = n; /* the text is valid UTF-8, so this never cuts a character */
    *out = s;
    *out_length = m;
    return m;
}

size_t dtok_normalize(const dtok_tokenizer *t, const unsigned char *s, size_t n, unsigned char *out) {
    const int remove_extra = (t->flags & DTOK_REMOVE_EXTRA_WHITESPACES) != 0;
    const int escape = (t->flags & DTOK_ESCAPE_WHITESPACES) != 0;
    const int suffix = (t->flags & DTOK_TREAT_WHITESPACE_AS_SUFFIX) != 0;
    const int dummy = (t->flags & DTOK_ADD_DUMMY_PREFIX) != 0;
    const unsigned char *piece;
    size_t piece_length, pos = 0, length = 0;
    if (n == 0) return 0;
    if (remove_extra) { /* heading white space */
        while (pos < n) {
            size_t consumed = normalize_prefix(t, s + pos, n - pos, &piece, &piece_length);
            if (piece_length != 1 || piece[0] != ' ') break;
            pos += consumed;
        }
    }
    if (pos == n) return 0; /* all white space */
#define PUT_SPACE()                                               \
    do {                                                          \
        if (escape) {                                             \
            if (out) memcpy(out + length, SPACE_SYMBOL, 3);       \
            length += 3;                                          \
        } else {                                                  \
            if (out) out[length] = ' ';                           \
            length += 1;                                          \
        }                                                         \
    } while (0)
    if (!suffix && dummy) PUT_SPACE();
    int is_prev_space = remove_extra;
    while (pos < n) {
        size_t consumed = normalize_prefix(t, s + pos, n - pos, &piece, &piece_length);
        while (is_prev_space && piece_length > 0 && piece[0] == ' ') {
            piece++;
            piece_length--;
        }
        if (piece_length > 0) {
            for (size_t i = 0; i < piece_length; i++) {
                if (escape && piece[i] == ' ') {
                    PUT_SPACE();
                } else {
                    if (out) out[length] = piece[i];
                    length++;
                }
            }
            is_prev_space = piece[piece_length - 1] == ' ';
        }
        pos += consumed;
        if (!remove_extra) is_prev_space = 0;
    }
    if (remove_extra && out) { /* trailing white space (when measuring, the length is a bound) */
        const char *space = escape ? SPACE_SYMBOL : " ";
        size_t w = escape ? 3 : 1;
        while (length >= w && memcmp(out + length - w, space, w) == 0) length -= w;
    }
    if (suffix && dummy) PUT_SPACE();
#undef PUT_SPACE
    return length;
}
