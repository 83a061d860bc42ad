/*
 * Extended grapheme clusters (UAX #29, "Grapheme Cluster Boundary Rules"), as the Rust
 * `unicode-segmentation` crate's `graphemes(true)` finds them: the tokenizers library's
 * Precompiled normalizer (tokenizers/src/normalizers/precompiled.rs, `Normalizer for Precompiled`)
 * rewrites text one grapheme at a time. Properties come from tokenizer_grapheme_table.c
 * (scripts/make_grapheme_tables.py).
 */
#include "tokenizer_internal.h"

enum {
    GCB_OTHER, GCB_CR, GCB_LF, GCB_CONTROL, GCB_EXTEND, GCB_ZWJ, GCB_RI, GCB_PREPEND, GCB_SPACING_MARK,
    GCB_L, GCB_V, GCB_T, GCB_LV, GCB_LVT,
};
enum { INCB_NONE, INCB_LINKER, INCB_CONSONANT, INCB_EXTEND };

static uint8_t properties(uint32_t c) {
    return dtok_grapheme_props[dtok_range_index(dtok_grapheme_starts, dtok_grapheme_ranges, c)];
}

size_t dtok_grapheme_length(const unsigned char *s, size_t n) {
    if (n == 0) return 0;
    uint32_t c;
    size_t i = (size_t)dtok_decode(s, n, &c);
    uint8_t p = properties(c);
    int prev = p & 15;
    /* Left context the rules look back at, all inside the cluster so far: the run of regional
     * indicators (GB12/13), ExtPict Extend* (ZWJ) (GB11), InCB Consonant [Extend|Linker]* with or
     * without a Linker (GB9c). */
    int ri_run = prev == GCB_RI;
    int emoji = (p >> 4) & 1;        /* 1: ExtPict Extend*, 2: then ZWJ */
    int conjunct = ((p >> 5) & 3) == INCB_CONSONANT; /* 1: consonant, 2: and a linker after it */
    while (i < n) {
        int len = dtok_decode(s + i, n - i, &c);
        p = properties(c);
        int cur = p & 15, incb = (p >> 5) & 3, pict = (p >> 4) & 1;
        int join;
        if (prev == GCB_CR && cur == GCB_LF) join = 1;                                                 /* GB3 */
        else if (prev == GCB_CR || prev == GCB_LF || prev == GCB_CONTROL) join = 0;                    /* GB4 */
        else if (cur == GCB_CR || cur == GCB_LF || cur == GCB_CONTROL) join = 0;                       /* GB5 */
        else if (prev == GCB_L && (cur == GCB_L || cur == GCB_V || cur == GCB_LV || cur == GCB_LVT)) join = 1; /* GB6 */
        else if ((prev == GCB_LV || prev == GCB_V) && (cur == GCB_V || cur == GCB_T)) join = 1;        /* GB7 */
        else if ((prev == GCB_LVT || prev == GCB_T) && cur == GCB_T) join = 1;                         /* GB8 */
        else if (cur == GCB_EXTEND || cur == GCB_ZWJ || cur == GCB_SPACING_MARK) join = 1;             /* GB9, GB9a */
        else if (prev == GCB_PREPEND) join = 1;                                                        /* GB9b */
        else if (incb == INCB_CONSONANT && conjunct == 2) join = 1;                                    /* GB9c */
        else if (prev == GCB_ZWJ && pict && emoji == 2) join = 1;                                      /* GB11 */
        else if (prev == GCB_RI && cur == GCB_RI && (ri_run & 1)) join = 1;                            /* GB12, GB13 */
        else join = 0;                                                                                 /* GB999 */
        if (!join) break;
        ri_run = cur == GCB_RI ? ri_run + 1 : 0;
        if (pict) emoji = 1;
        else if (emoji == 1 && cur == GCB_EXTEND) emoji = 1;
        else if (emoji == 1 && cur == GCB_ZWJ) emoji = 2;
        else emoji = 0;
        if (incb == INCB_CONSONANT) conjunct = 1;
        else if (conjunct && incb == INCB_LINKER) conjunct = 2;
        else if (!(conjunct && incb == INCB_EXTEND)) conjunct = 0;
        prev = cur;
        i += (size_t)len;
    }
    return i;
}
