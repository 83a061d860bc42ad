/*
 * The text calls of the ABI (version 2, include/debertac.h): debertac_tokenize,
 * debertac_classify_text and debertac_zero_shot, on the tokenizer compiled into the .so
 * (debertac_tokenizer.h: the one encoder, docs/tokenizer.md).
 *
 * Sessions own every buffer these calls use (debertac_text_buffers), allocated when the session
 * is created: token rows for max_batch × max_length, logits, 1 MiB of tokenizer scratch and a
 * hypothesis buffer. The scratch and the hypothesis buffer grow, once, and stay, only for a text
 * or a label longer than any before (a text of some 40 KB for the scratch); otherwise the text
 * calls allocate nothing. debertac_tokenize has no session: it allocates its scratch per call.
 */
#define _GNU_SOURCE
#include "debertac.h"
#include "debertac_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define API __attribute__((visibility("default")))
#define INITIAL_SCRATCH (1u << 20)
#define INITIAL_HYPOTHESIS 1024u
#define DEFAULT_TEMPLATE "This example is {}."

int debertac__text_buffers_create(debertac_session *s) {
    debertac_text_buffers *b = &s->text;
    size_t tokens = (size_t)s->max_batch * (size_t)s->max_length;
    b->ids = malloc(tokens * sizeof(int32_t));
    b->types = malloc(tokens * sizeof(int32_t));
    b->mask = malloc(tokens * sizeof(int32_t));
    b->logits = malloc((size_t)s->max_batch * (size_t)(s->model->desc->num_labels) * sizeof(float));
    b->lengths = malloc((size_t)s->max_batch * sizeof(int32_t));
    b->scratch = malloc(INITIAL_SCRATCH);
    b->scratch_size = INITIAL_SCRATCH;
    b->hypothesis = malloc(INITIAL_HYPOTHESIS);
    b->hypothesis_size = INITIAL_HYPOTHESIS;
    return b->ids && b->types && b->mask && b->logits && b->lengths && b->scratch && b->hypothesis;
}

void debertac__text_buffers_destroy(debertac_session *s) {
    debertac_text_buffers *b = &s->text;
    free(b->ids);
    free(b->types);
    free(b->mask);
    free(b->logits);
    free(b->lengths);
    free(b->scratch);
    free(b->hypothesis);
    memset(b, 0, sizeof *b);
}

/* Grows *buffer to at least `needed` bytes (contents not kept); 0 when out of memory. */
static int grow(void **buffer, size_t *size, size_t needed) {
    if (needed <= *size) return 1;
    void *larger = malloc(needed);
    if (!larger) return 0;
    free(*buffer);
    *buffer = larger;
    *size = needed;
    return 1;
}

API int32_t debertac_model_has_tokenizer(const debertac_model *model) { return model && model->has_tokenizer ? 1 : 0; }

/* ------------------------------------------------------------------------------------------ */
/* Model-level tokenization.                                                                   */

API debertac_status debertac_tokenize(const debertac_model *model, const char *text, const char *text_pair,
                                      int32_t max_length, int32_t *input_ids, int32_t *token_type_ids, int32_t capacity,
                                      int32_t *length) {
    (void)debertac__fail_open(DEBERTAC_OK, "%s", "");
    if (!model) return debertac__fail_open(DEBERTAC_INVALID_ARGUMENT, "'model' is NULL");
    if (!model->has_tokenizer)
        return debertac__fail_open(DEBERTAC_INVALID_ARGUMENT,
                                   "the model was compiled without a tokenizer (an ids-only .so): pass token ids to debertac_classify");
    if (!text) return debertac__fail_open(DEBERTAC_INVALID_ARGUMENT, "'text' is NULL");
    if (!length) return debertac__fail_open(DEBERTAC_INVALID_ARGUMENT, "'length' is NULL");
    if (capacity < 0) return debertac__fail_open(DEBERTAC_INVALID_ARGUMENT, "capacity %d, expected at least 0", capacity);
    if (capacity > 0 && (!input_ids || !token_type_ids))
        return debertac__fail_open(DEBERTAC_INVALID_ARGUMENT, "'%s' is NULL with a capacity of %d",
                                   !input_ids ? "input_ids" : "token_type_ids", capacity);
    if (max_length < 0) return debertac__fail_open(DEBERTAC_INVALID_ARGUMENT, "max_length %d, expected 0 (the model's) or more", max_length);
    *length = 0;
    if (max_length == 0) max_length = model->desc->max_sequence_length;
    size_t size = 1u << 16, needed = 0;
    void *scratch = malloc(size);
    char problem[256];
    for (;;) {
        if (!scratch) return debertac__fail_open(DEBERTAC_OUT_OF_MEMORY, "cannot allocate %zu bytes of tokenizer scratch", size);
        int result = dtok_encode(&model->tokenizer, text, strlen(text), text_pair, text_pair ? strlen(text_pair) : 0, max_length,
                                 DTOK_LONGEST_FIRST, scratch, size, &needed, input_ids, token_type_ids, capacity, length, problem,
                                 sizeof problem);
        if (result == DTOK_NEED_SCRATCH) {
            free(scratch);
            size = needed;
            scratch = malloc(size);
            continue;
        }
        free(scratch);
        if (result == DTOK_OK) return DEBERTAC_OK;
        return debertac__fail_open(DEBERTAC_INVALID_ARGUMENT, "%s", problem);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* Session text calls.                                                                        */

/* Tokenizes one row into the session's rows (stride max_length). `what` names it in errors. */
static debertac_status tokenize_row(debertac_session *s, const char *text, const char *pair, int strategy, int32_t row,
                                    int32_t *length, const char *what, int32_t index) {
    debertac_text_buffers *b = &s->text;
    size_t offset = (size_t)row * (size_t)s->max_length;
    char problem[256];
    for (;;) {
        size_t needed = 0;
        int result = dtok_encode(&s->model->tokenizer, text, strlen(text), pair, pair ? strlen(pair) : 0, s->max_length, strategy,
                                 b->scratch, b->scratch_size, &needed, b->ids + offset, b->types + offset, s->max_length, length,
                                 problem, sizeof problem);
        if (result == DTOK_OK) break;
        if (result == DTOK_NEED_SCRATCH) {
            if (!grow(&b->scratch, &b->scratch_size, needed))
                return debertac__session_fail(s, DEBERTAC_OUT_OF_MEMORY, "cannot grow the tokenizer scratch to %zu bytes", needed);
            continue;
        }
        return debertac__session_fail(s, DEBERTAC_INVALID_ARGUMENT, "%s[%d]: %s", what, index, problem);
    }
    if (*length > s->max_length)
        return debertac__session_fail(s, DEBERTAC_OUT_OF_RANGE,
                                      "%s[%d] needs %d tokens after truncation, more than the session's maximum length %d", what,
                                      index, *length, s->max_length);
    return DEBERTAC_OK;
}

/* Packs rows tokenized at stride max_length into [batch, longest], padded with [PAD] (mask 0,
 * token type 0, as transformers pads), and classifies them into `logits`. */
static debertac_status classify_rows(debertac_session *s, int32_t batch, const int32_t *lengths, float *logits) {
    debertac_text_buffers *b = &s->text;
    int32_t longest = 1;
    for (int32_t r = 0; r < batch; r++)
        if (lengths[r] > longest) longest = lengths[r];
    for (int32_t r = 0; r < batch; r++) {
        size_t from = (size_t)r * (size_t)s->max_length, to = (size_t)r * (size_t)longest;
        memmove(b->ids + to, b->ids + from, sizeof(int32_t) * (size_t)lengths[r]);
        memmove(b->types + to, b->types + from, sizeof(int32_t) * (size_t)lengths[r]);
    }
    int32_t pad = s->model->tokenizer.pad_id;
    for (int32_t r = 0; r < batch; r++)
        for (int32_t i = 0; i < longest; i++) {
            size_t k = (size_t)r * (size_t)longest + (size_t)i;
            int real = i < lengths[r];
            b->mask[k] = real;
            if (!real) {
                b->ids[k] = pad;
                b->types[k] = 0;
            }
        }
    /* A model without token type embeddings ignores token_type_ids (modeling_deberta_v2.py adds
     * them only when type_vocab_size > 0), where debertac_classify insists on zeros. */
    const int32_t *types = s->model->desc->type_vocab_size > 0 ? b->types : NULL;
    return debertac__classify(s, batch, longest, b->ids, b->mask, types, logits);
}

/* The checks every session text call starts with. */
static debertac_status text_call(debertac_session *s) {
    s->error[0] = 0;
    if (!s->model->has_tokenizer)
        return debertac__session_fail(s, DEBERTAC_INVALID_ARGUMENT,
                                      "the model was compiled without a tokenizer (an ids-only .so): pass token ids to debertac_classify");
    return DEBERTAC_OK;
}

API debertac_status debertac_classify_text(debertac_session *s, int32_t batch, const char *const *texts,
                                           const char *const *text_pairs, float *logits) {
    if (!s) return DEBERTAC_INVALID_ARGUMENT;
    debertac_status status = text_call(s);
    if (status != DEBERTAC_OK) return status;
    if (!texts) return debertac__session_fail(s, DEBERTAC_INVALID_ARGUMENT, "'texts' is NULL");
    if (!logits) return debertac__session_fail(s, DEBERTAC_INVALID_ARGUMENT, "'logits' is NULL");
    if (batch < 1) return debertac__session_fail(s, DEBERTAC_INVALID_ARGUMENT, "batch size %d, expected at least one text", batch);
    if (batch > s->max_batch)
        return debertac__session_fail(s, DEBERTAC_OUT_OF_RANGE, "batch size %d exceeds the session's maximum batch (%d)", batch,
                                      s->max_batch);
    int32_t *lengths = s->text.lengths;
    for (int32_t r = 0; r < batch; r++) {
        if (!texts[r]) return debertac__session_fail(s, DEBERTAC_INVALID_ARGUMENT, "'texts[%d]' is NULL", r);
        const char *pair = text_pairs ? text_pairs[r] : NULL;
        status = tokenize_row(s, texts[r], pair, DTOK_LONGEST_FIRST, r, &lengths[r], pair ? "pair" : "texts", r);
        if (status != DEBERTAC_OK) return status;
    }
    return classify_rows(s, batch, lengths, logits);
}

/* Writes template with its one "{}" replaced by label into the session's hypothesis buffer, with
 * Python's str.format escapes ("{{" and "}}"), as the pipeline's hypothesis_template.format(label). */
static debertac_status hypothesis(debertac_session *s, const char *template, const char *label) {
    size_t needed = strlen(template) + strlen(label) + 1;
    if (!grow((void **)&s->text.hypothesis, &s->text.hypothesis_size, needed))
        return debertac__session_fail(s, DEBERTAC_OUT_OF_MEMORY, "cannot allocate %zu bytes for a hypothesis", needed);
    char *out = s->text.hypothesis;
    int fields = 0;
    for (const char *p = template; *p;) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            *out++ = *p;
            p += 2;
        } else if (p[0] == '{' && p[1] == '}') {
            size_t n = strlen(label);
            memcpy(out, label, n);
            out += n;
            fields++;
            p += 2;
        } else if (*p == '{' || *p == '}') {
            return debertac__session_fail(s, DEBERTAC_INVALID_ARGUMENT,
                                          "the hypothesis template '%s' has a '%c' that is not part of '{}', '{{' or '}}'", template, *p);
        } else {
            *out++ = *p++;
        }
    }
    *out = 0;
    if (fields != 1)
        return debertac__session_fail(s, DEBERTAC_INVALID_ARGUMENT,
                                      "the hypothesis template '%s' has %d '{}' fields, expected exactly one where the label goes", template,
                                      fields);
    return DEBERTAC_OK;
}

API debertac_status debertac_zero_shot(debertac_session *s, const char *text, int32_t num_labels, const char *const *labels,
                                       const char *hypothesis_template, int32_t multi_label, float *scores) {
    if (!s) return DEBERTAC_INVALID_ARGUMENT;
    debertac_status status = text_call(s);
    if (status != DEBERTAC_OK) return status;
    const debertac_model_desc *desc = s->model->desc;
    if (!text) return debertac__session_fail(s, DEBERTAC_INVALID_ARGUMENT, "'text' is NULL");
    if (!labels) return debertac__session_fail(s, DEBERTAC_INVALID_ARGUMENT, "'labels' is NULL");
    if (!scores) return debertac__session_fail(s, DEBERTAC_INVALID_ARGUMENT, "'scores' is NULL");
    if (num_labels < 1) return debertac__session_fail(s, DEBERTAC_INVALID_ARGUMENT, "%d candidate labels, expected at least one", num_labels);
    if (multi_label != 0 && multi_label != 1)
        return debertac__session_fail(s, DEBERTAC_INVALID_ARGUMENT, "multi_label is %d, expected 0 or 1", multi_label);
    if (desc->entailment_id < 0 || desc->num_labels < 2)
        return debertac__session_fail(s, DEBERTAC_INVALID_ARGUMENT,
                                      "the model has no entailment label (no label2id name starts with 'entail'): it is not an NLI model");
    const char *template = hypothesis_template ? hypothesis_template : DEFAULT_TEMPLATE;
    for (int32_t i = 0; i < num_labels; i++)
        if (!labels[i]) return debertac__session_fail(s, DEBERTAC_INVALID_ARGUMENT, "'labels[%d]' is NULL", i);
    /* Check the template once, before any work. */
    status = hypothesis(s, template, labels[0]);
    if (status != DEBERTAC_OK) return status;

    /* transformers' pipeline: contradiction_id = -1 if entailment_id == 0 else 0. */
    int32_t entailment = desc->entailment_id;
    int32_t contradiction = entailment == 0 ? desc->num_labels - 1 : 0;
    int per_label = multi_label || num_labels == 1;
    int32_t width = desc->num_labels;
    for (int32_t first = 0; first < num_labels; first += s->max_batch) {
        int32_t batch = num_labels - first < s->max_batch ? num_labels - first : s->max_batch;
        int32_t *lengths = s->text.lengths;
        for (int32_t r = 0; r < batch; r++) {
            status = hypothesis(s, template, labels[first + r]);
            if (status == DEBERTAC_OK) status = tokenize_row(s, text, s->text.hypothesis, DTOK_ONLY_FIRST, r, &lengths[r], "labels", first + r);
            if (status != DEBERTAC_OK) return status;
        }
        status = classify_rows(s, batch, lengths, s->text.logits);
        if (status != DEBERTAC_OK) return status;
        for (int32_t r = 0; r < batch; r++) {
            const float *row = s->text.logits + (size_t)r * (size_t)width;
            if (per_label) { /* softmax over [contradiction, entailment], the entailment half */
                double c = row[contradiction], e = row[entailment], m = c > e ? c : e;
                scores[first + r] = (float)(exp(e - m) / (exp(c - m) + exp(e - m)));
            } else {
                scores[first + r] = row[entailment];
            }
        }
    }
    if (!per_label) { /* softmax of the entailment logits over the candidate labels */
        double m = scores[0], sum = 0;
        for (int32_t i = 1; i < num_labels; i++)
            if (scores[i] > m) m = scores[i];
        for (int32_t i = 0; i < num_labels; i++) sum += exp((double)scores[i] - m);
        for (int32_t i = 0; i < num_labels; i++) scores[i] = (float)(exp((double)scores[i] - m) / sum);
    }
    return DEBERTAC_OK;
}
