/*
 * The unigram model: sentencepiece's optimized Viterbi (unigram_model.cc, Model::EncodeOptimized),
 * then its treatment of unknown pieces (sentencepiece_processor.cc, PopulateSentencePieceText).
 *
 * Pieces are found through the blob's matchable index (every NORMAL, USER_DEFINED and UNUSED piece,
 * sorted by bytes) instead of a double-array trie: at each start position the range of pieces that
 * share the next k bytes narrows by two binary searches per byte, which visits the pieces that are
 * prefixes of the text in increasing length, the order sentencepiece's trie traversal visits them.
 * Path scores are float sums compared as floats. (The source reads as if a candidate were a
 * double, `length * max_score_ - 0.1` being one, but the sentencepiece 0.2 wheel ties break as
 * float arithmetic does: '___' is '_' '__', not '__' '_', in Tests/Fixtures/tokenizers goldens.)
 *
 * Under tokenizers semantics the same search is the tokenizers library's
 * (tokenizers/src/models/unigram/model.rs, `Unigram::encode_optimized` and `tokenize`), which
 * differs in three ways: every vocabulary entry is in its trie with its own score (the index then
 * holds every piece, and types do not matter), sums are f64, and a run of nodes whose id is the
 * unknown id (`fuse_unk`) becomes one [UNK] (or, with byte fallback, the bytes of the run).
 */
#include "tokenizer_internal.h"

#define UNKNOWN (-1) /* the Viterbi's unknown piece, before it becomes ids */

void dtok_unigram_encode(const dtok_tokenizer *t, const unsigned char *s, size_t n, void *scratch, dtok_ids *ids) {
    if (n == 0) return;
    dtok_path_node *best = scratch;
    for (size_t i = 0; i <= n; i++) {
        best[i].score = 0;
        best[i].starts_at = -1;
        best[i].id = -2;
    }
    const int tokenizers = (t->flags & DTOK_TOKENIZERS_SEMANTICS) != 0;
    const float unk_score = t->min_score - 10.0f; /* kUnkPenalty */
    const double unk_score64 = (double)t->min_score - 10.0; /* model.rs K_UNK_PENALTY, f64 */
    /* The range of pieces that start with a position's first character (the search's first mblen
     * steps: binary searches over the widest ranges, about half of all probes) is remembered per
     * character for this call, in a direct-mapped table on the stack whose valid bits start
     * cleared. Only a search that met no piece shorter than the character is remembered, so
     * resuming at k = mblen from a remembered range is exactly the full search. */
    struct {
        uint32_t key, length, lo, hi;
    } first_char[256];
    uint64_t first_valid[256 / 64] = {0};
    for (size_t start = 0; start < n;) {
        const double till_here = best[start].score;
        int has_single_node = 0;
        size_t mblen = (size_t)dtok_one_char_length(s[start]);
        if (mblen > n - start) mblen = n - start;
        uint32_t lo = 0, hi = t->num_matchable;
        uint32_t key = 0;
        memcpy(&key, s + start, mblen);
        const uint32_t slot = (key * 2654435761u) >> 24;
        const int remembered = (int)((first_valid[slot >> 6] >> (slot & 63)) & 1) && first_char[slot].key == key &&
                               first_char[slot].length == mblen;
        size_t k = 0;
        if (remembered) {
            lo = first_char[slot].lo;
            hi = first_char[slot].hi;
            k = mblen;
        }
        int clean = 1; /* no piece shorter than the first character met */
        for (;; k++) {
            if (!remembered && clean && (k == mblen || (k < mblen && lo >= hi))) {
                first_char[slot].key = key;
                first_char[slot].length = (uint32_t)mblen;
                first_char[slot].lo = lo;
                first_char[slot].hi = hi;
                first_valid[slot >> 6] |= (uint64_t)1 << (slot & 63);
            }
            if (lo >= hi) break;
            uint32_t first = dtok_u32(t->matchable + 4 * lo);
            if (dtok_piece_length(t, (int32_t)first) == k) {
                uint8_t type = t->types[first];
                if (tokenizers || type != DTOK_UNUSED) {
                    double candidate;
                    if (tokenizers) {
                        candidate = (double)dtok_f32(t->scores + 4 * (size_t)first) + till_here;
                    } else {
                        float score = type == DTOK_USER_DEFINED ? (float)((double)((float)k * t->max_score) - 0.1)
                                                                : dtok_f32(t->scores + 4 * (size_t)first);
                        candidate = (float)(score + (float)till_here); /* float sum, stored exactly */
                    }
                    dtok_path_node *target = &best[start + k];
                    if (target->starts_at == -1 || candidate > target->score) {
                        target->score = candidate;
                        target->starts_at = (int32_t)start;
                        target->id = (int32_t)first;
                    }
                    if (k == mblen) has_single_node = 1;
                }
                if (k < mblen) clean = 0;
                if (++lo >= hi) break;
            }
            if (start + k >= n) break;
            unsigned char c = s[start + k];
            uint32_t a = lo, b = hi;
            while (a < b) {
                uint32_t mid = a + (b - a) / 2;
                if (dtok_piece_data(t, dtok_u32(t->matchable + 4 * mid))[k] < c) a = mid + 1;
                else b = mid;
            }
            uint32_t end = a, top = hi;
            while (end < top) {
                uint32_t mid = end + (top - end) / 2;
                if (dtok_piece_data(t, dtok_u32(t->matchable + 4 * mid))[k] <= c) end = mid + 1;
                else top = mid;
            }
            lo = a;
            hi = end;
        }
        if (!has_single_node) {
            dtok_path_node *target = &best[start + mblen];
            const double candidate = tokenizers ? unk_score64 + till_here : (double)(float)(unk_score + (float)till_here);
            if (target->starts_at == -1 || candidate > target->score) {
                target->score = candidate;
                target->starts_at = (int32_t)start;
                target->id = UNKNOWN;
            }
        }
        start += mblen;
    }

    /* The best path, walked back from the end twice: once to count the ids (an unknown run is one
     * [UNK], or with byte fallback one id per byte), once to write them from the back. Merging a
     * run of unknowns reads the same in both directions. */
    const int bytes = (t->flags & DTOK_BYTE_FALLBACK) != 0;
#define IS_UNKNOWN(node) ((node)->id == UNKNOWN || (tokenizers && (node)->id == t->unk_id))
    size_t count = 0;
    int next_is_unknown = 0;
    for (size_t end = n; end > 0;) {
        const dtok_path_node *node = &best[end];
        if (node->starts_at < 0 || (size_t)node->starts_at >= end) break; /* unreachable: every character boundary is */
        size_t begin = (size_t)node->starts_at;
        int unknown = IS_UNKNOWN(node);
        if (unknown && bytes) count += end - begin;
        else if (!(unknown && next_is_unknown)) count++;
        next_is_unknown = unknown;
        end = begin;
    }
    if (count > ids->capacity - ids->length) count = ids->capacity - ids->length; /* never: sized by the measure */
    size_t w = ids->length + count;
    next_is_unknown = 0;
    for (size_t end = n; end > 0 && w > ids->length;) {
        const dtok_path_node *node = &best[end];
        if (node->starts_at < 0 || (size_t)node->starts_at >= end) break;
        size_t begin = (size_t)node->starts_at;
        int unknown = IS_UNKNOWN(node);
        if (unknown && bytes) {
            for (size_t i = end; i > begin && w > ids->length; i--) ids->data[--w] = dtok_i32(t->byte_pieces + 4 * (size_t)s[i - 1]);
        } else if (unknown) {
            if (!next_is_unknown) ids->data[--w] = t->unk_id;
        } else {
            ids->data[--w] = node->id;
        }
        next_is_unknown = unknown;
        end = begin;
    }
    ids->length += count;
#undef IS_UNKNOWN
}
