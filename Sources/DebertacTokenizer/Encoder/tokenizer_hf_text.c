/*
 * One text under tokenizers semantics (DTOK_TOKENIZERS_SEMANTICS), in the order of the
 * tokenizers library's `TokenizerImpl::encode_single_sequence` (tokenizers/src/tokenizer/mod.rs):
 *
 *   1. added tokens with normalized=false are split out of the RAW text
 *      (added_vocabulary.rs, `AddedVocabulary::extract_and_normalize` step 1, `find_matches`);
 *   2. each remaining piece is normalized: Lowercase, then tokenizer_hf_normalize.c;
 *   3. added tokens with normalized=true are split out of the NORMALIZED piece (step 2; their
 *      strings are stored normalized in the blob);
 *   4. pre-tokenizers: Punctuation(Isolated) (pre_tokenizers/punctuation.rs) when split_by_punct,
 *      then Metaspace (pre_tokenizers/metaspace.rs: ' ' → '▁', '▁' prepended unless the piece
 *      starts with one, split before every '▁', `MergedWithNext`);
 *   5. the Unigram model on every word (tokenizer_unigram.c).
 * Empty pieces vanish at every step (`PreTokenizedString::split`).
 */
#include "tokenizer_internal.h"

#define SPACE_SYMBOL "\xe2\x96\x81" /* U+2581, Metaspace's replacement */

typedef struct hf_sink {
    const dtok_tokenizer *t;
    dtok_measure *measure; /* measuring: totals go here */
    unsigned char *lowered;
    dtok_buffer *segment, *word;
    void *path;
    dtok_ids *ids;
} hf_sink;

typedef void (*piece_fn)(hf_sink *, const unsigned char *, size_t);

static void put_id(hf_sink *k, int32_t id) {
    if (k->measure) k->measure->specials++;
    else if (k->ids->length < k->ids->capacity) k->ids->data[k->ids->length++] = id;
}

/* The longest added token at s among those whose DTOK_TOKEN_NORMALIZED flag is `normalized`
 * (aho-corasick's LeftmostLongest, tried at each position from the left). */
static int token_at(const dtok_tokenizer *t, const unsigned char *s, size_t n, uint32_t normalized, dtok_entry *found) {
    uint32_t best = 0;
    for (uint32_t i = 0; i < t->num_specials; i++) {
        dtok_entry e = dtok_entry_at(t->specials, i);
        if ((e.flags & DTOK_TOKEN_NORMALIZED) != normalized) continue;
        if (e.length <= n && e.length > best && memcmp(s, t->special_strings + e.offset, e.length) == 0) {
            best = e.length;
            *found = e;
        }
    }
    return best != 0;
}

/* The regex \w of `single_word` (added_vocabulary.rs, `ends_with_word`/`starts_with_word`),
 * approximated: ASCII letters, digits and '_', and every non-ASCII character that is not white space. */
static int is_word_char(uint32_t c) {
    if (c < 0x80) return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
    return !dtok_is_rust_whitespace(c);
}

static size_t previous_char(const unsigned char *s, size_t end, uint32_t *c) {
    size_t begin = end - 1;
    while (begin > 0 && (s[begin] & 0xC0) == 0x80) begin--;
    dtok_decode(s + begin, end - begin, c);
    return begin;
}

/* `AddedVocabulary::find_matches`: pieces between the matches go to `piece`, matches become ids;
 * lstrip/rstrip widen a match over the white space beside it (never into the previous match). A
 * single_word match with a word character beside it is dropped, and the search resumes after it. */
static void split_added(hf_sink *k, const unsigned char *s, size_t n, uint32_t normalized, piece_fn piece) {
    const dtok_tokenizer *t = k->t;
    size_t done = 0, i = 0;
    while (i < n) {
        dtok_entry e;
        if (!t->num_specials || !token_at(t, s + i, n - i, normalized, &e)) {
            i += (size_t)dtok_one_char_length(s[i]);
            continue;
        }
        size_t start = i, stop = i + e.length;
        uint32_t c;
        if (e.flags & DTOK_TOKEN_SINGLE_WORD) {
            int word_before = start > 0 && (previous_char(s, start, &c), is_word_char(c));
            int word_after = stop < n && (dtok_decode(s + stop, n - stop, &c), is_word_char(c));
            if (word_before || word_after) {
                i = stop;
                continue;
            }
        }
        if (e.flags & DTOK_TOKEN_LSTRIP) {
            while (start > done) {
                size_t begin = previous_char(s, start, &c);
                if (!dtok_is_rust_whitespace(c)) break;
                start = begin;
            }
        }
        if (e.flags & DTOK_TOKEN_RSTRIP) {
            while (stop < n) {
                int len = dtok_decode(s + stop, n - stop, &c);
                if (!dtok_is_rust_whitespace(c)) break;
                stop += (size_t)len;
            }
        }
        if (done < start) piece(k, s + done, start - done);
        put_id(k, e.id_or_codepoint);
        done = i = stop;
    }
    if (done < n) piece(k, s + done, n - done);
}

/* Metaspace with split=false: the pre-token, spaces replaced, is one word (the word buffer holds
 * three times a segment, plus 3). */
static void unsplit_pretoken(hf_sink *k, const unsigned char *s, size_t n) {
    unsigned char *w = k->word->data;
    size_t length = 0;
    int leading = s[0] == ' ' || (n >= 3 && memcmp(s, SPACE_SYMBOL, 3) == 0);
    if (!leading && (k->t->flags & DTOK_ADD_DUMMY_PREFIX)) {
        memcpy(w, SPACE_SYMBOL, 3);
        length = 3;
    }
    for (size_t i = 0; i < n; i++) {
        if (s[i] == ' ') {
            memcpy(w + length, SPACE_SYMBOL, 3);
            length += 3;
        } else {
            w[length++] = s[i];
        }
    }
    dtok_unigram_encode(k->t, w, length, k->path, k->ids);
}

/* Metaspace on one pre-token, then the model on each word ('▁' and what follows up to the next). */
static void pretoken(hf_sink *k, const unsigned char *s, size_t n) {
    const dtok_tokenizer *t = k->t;
    if (t->flags & DTOK_METASPACE_NO_SPLIT) {
        unsplit_pretoken(k, s, n);
        return;
    }
    size_t start = 0;
    while (start < n) {
        size_t end = start;
        int leading = s[start] == ' ' || (n - start >= 3 && memcmp(s + start, SPACE_SYMBOL, 3) == 0);
        if (leading) end += s[start] == ' ' ? 1 : 3;
        while (end < n && s[end] != ' ' && !(n - end >= 3 && memcmp(s + end, SPACE_SYMBOL, 3) == 0)) end++;
        size_t length = 0;
        unsigned char *w = k->word->data;
        if (leading || (start == 0 && (t->flags & DTOK_ADD_DUMMY_PREFIX))) {
            memcpy(w, SPACE_SYMBOL, 3);
            length = 3;
        }
        size_t rest = leading ? (s[start] == ' ' ? start + 1 : start + 3) : start;
        memcpy(w + length, s + rest, end - rest); /* the word buffer holds a segment + 3 bytes */
        length += end - rest;
        dtok_unigram_encode(t, w, length, k->path, k->ids);
        start = end;
    }
}

/* Punctuation(Isolated): each punctuation character is a pre-token of its own. */
static void pretoken_piece(void *k, const unsigned char *s, size_t n) { pretoken(k, s, n); }

static void normalized_piece(hf_sink *k, const unsigned char *s, size_t n) {
    dtok_split_punctuation(k->t, s, n, pretoken_piece, k);
}

/* ByteLevel pre-tokens go to BPE, each on its own. */
static void byte_level_pretoken(void *context, const unsigned char *s, size_t n) {
    hf_sink *k = context;
    dtok_bpe_encode(k->t, s, n, k->path, k->ids);
}

/* A piece of raw text under byte-level BPE: add_prefix_space, then the pre-tokenizer and the
 * model (tokenizer_byte_level.c). It measures as its length plus the prefix space: one id at most
 * per byte. */
static void byte_level_piece(hf_sink *k, const unsigned char *s, size_t n) {
    const int prefix = (k->t->flags & DTOK_ADD_DUMMY_PREFIX) && s[0] != ' ';
    if (k->measure) {
        k->measure->normalized += n + (size_t)prefix;
        if (n + (size_t)prefix > k->measure->longest_word) k->measure->longest_word = n + (size_t)prefix;
        return;
    }
    if (prefix) {
        k->segment->data[0] = ' ';
        memcpy(k->segment->data + 1, s, n);
        s = k->segment->data;
        n++;
    }
    dtok_byte_level_split(s, n, byte_level_pretoken, k);
}

/* A piece of raw text between raw-matched added tokens: lowercased, normalized, then split at the
 * normalized added tokens. Measuring stops after the normalizer: the buffers after it are bounded
 * by the normalized length (a word is at most its segment plus a 3-byte '▁'; every id consumes at
 * least one normalized byte, or with a '▁' or byte fallback at most 4 ids per byte). */
static void raw_piece(hf_sink *k, const unsigned char *s, size_t n) {
    const dtok_tokenizer *t = k->t;
    if (t->flags & DTOK_BYTE_LEVEL_BPE) {
        byte_level_piece(k, s, n);
        return;
    }
    if (t->flags & DTOK_DO_LOWER_CASE) {
        n = dtok_lower(t, s, n, k->lowered);
        s = k->lowered;
    }
    if (k->measure) {
        size_t m = dtok_hf_normalize(t, s, n, NULL);
        k->measure->normalized += m;
        if (m > k->measure->longest_word) k->measure->longest_word = m;
        return;
    }
    size_t m = dtok_hf_normalize(t, s, n, k->segment->data);
    split_added(k, k->segment->data, m, DTOK_TOKEN_NORMALIZED, normalized_piece);
}

void dtok_hf_text_measure(const dtok_tokenizer *t, const unsigned char *s, size_t n, unsigned char *lowered, dtok_measure *m) {
    memset(m, 0, sizeof *m);
    m->lowered = (t->flags & DTOK_DO_LOWER_CASE) ? dtok_lowered_length(t, s, n) : 0;
    hf_sink k = {.t = t, .measure = m, .lowered = lowered};
    split_added(&k, s, n, 0, raw_piece);
}

void dtok_hf_text_encode(const dtok_tokenizer *t, const unsigned char *s, size_t n, unsigned char *lowered, dtok_buffer *segment,
                         dtok_buffer *word, void *path, dtok_ids *ids) {
    hf_sink k = {.t = t, .lowered = lowered, .segment = segment, .word = word, .path = path, .ids = ids};
    split_added(&k, s, n, 0, raw_piece);
}
