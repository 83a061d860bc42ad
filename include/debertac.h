/*
 * debertac.h: the C ABI of a DeBERTa classifier compiled by debertac.
 *
 * `debertac compile` turns a checkpoint into a shared object (nli.so) that exports exactly the
 * functions below and writes this header next to it. The whole call sequence:
 *
 *     #include "debertac.h"
 *
 *     debertac_model *model = NULL;
 *     debertac_session *session = NULL;
 *     if (debertac_model_open(NULL, &model) != DEBERTAC_OK) return 1;     // NULL: weights inside the .so
 *     if (debertac_session_create(model, 2, 128, &session) != DEBERTAC_OK) return 1; // up to 2 x 128 tokens
 *
 *     // Two sequences of 6 tokens, [CLS] premise [SEP] hypothesis [SEP]; row 1 padded after 4.
 *     int32_t ids[2 * 6]  = {1, 85, 2, 95, 40, 2,   1, 17, 2, 2, 0, 0};
 *     int32_t mask[2 * 6] = {1, 1, 1, 1, 1, 1,      1, 1, 1, 1, 0, 0};
 *     int32_t labels = debertac_model_num_labels(model);
 *     float logits[2 * 16];                                               // [batch, num_labels]
 *     debertac_status status = debertac_classify(session, 2, 6, ids, mask, NULL, logits);
 *     if (status != DEBERTAC_OK)
 *         fprintf(stderr, "%s: %s\n", debertac_status_string(status), debertac_session_last_error(session));
 *     else
 *         for (int32_t b = 0; b < 2; b++) {
 *             int32_t best = 0;
 *             for (int32_t i = 1; i < labels; i++) if (logits[b * labels + i] > logits[b * labels + best]) best = i;
 *             printf("%s\n", debertac_model_label(model, best));
 *         }
 *
 *     // Text in, label out (ABI 2, a model compiled with its tokenizer): the .so tokenizes,
 *     // pads and classifies; zero-shot scores candidate labels as Hugging Face's pipeline does.
 *     if (debertac_model_has_tokenizer(model)) {
 *         const char *premises[1] = {"A man is playing a guitar on stage."};
 *         const char *hypotheses[1] = {"A person is making music."};
 *         if (debertac_classify_text(session, 1, premises, hypotheses, logits) == DEBERTAC_OK)
 *             printf("%s\n", debertac_model_label(model, logits[2] > logits[0] ? 2 : 0)); // (argmax, as above)
 *         const char *topics[3] = {"sports", "politics", "cooking"};
 *         float scores[3];                                                // scores[i] belongs to topics[i]
 *         if (debertac_zero_shot(session, "The match ended in a draw.", 3, topics, NULL, 0, scores) != DEBERTAC_OK)
 *             fprintf(stderr, "%s\n", debertac_session_last_error(session));
 *     }
 *
 *     debertac_session_destroy(session);                                  // sessions before their model
 *     debertac_model_close(model);
 *
 * Threads: a model is immutable and may be shared by any number of threads; a session is a
 * scratch arena plus a thread pool and must be used by one thread at a time (one session per
 * thread). Sessions of one model give bit-identical results. debertac_classify allocates nothing.
 * It uses all cores by default; the environment variable DEBERTAC_NUM_THREADS, read when a
 * session is created, sets another number of threads per session. Matrix products run as
 * single-threaded OpenBLAS calls on those threads, so debertac_model_open sets OpenBLAS's
 * process-wide thread count to 1.
 *
 * Errors: no function aborts, exits or prints. Every failure returns a status; a session keeps
 * a message describing its last failure (debertac_session_last_error). debertac_model_open and
 * debertac_session_create have no object to hold a message when they fail: they set *model or
 * *session to NULL, and debertac_open_error() returns the calling thread's message.
 *
 * Versioning: DEBERTAC_ABI_VERSION changes whenever a declaration or a documented behaviour
 * below changes incompatibly, or calls are added (version 2 added the text calls); compare it
 * with debertac_abi_version() after dlopen. See docs/abi.md in the debertac repository.
 */
#ifndef DEBERTAC_H
#define DEBERTAC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DEBERTAC_ABI_VERSION 3  /* 2 added the text calls at the end; 3 added DEBERTAC_UNSUPPORTED_CPU; every earlier call is unchanged */

typedef enum debertac_status {
    DEBERTAC_OK = 0,
    DEBERTAC_INVALID_ARGUMENT = 1, /* NULL pointer, batch/length < 1, mask value not 0/1, first token masked */
    DEBERTAC_OUT_OF_RANGE = 2,     /* token id outside [0, vocab), type id outside [0, type_vocab), batch/length above the session's maximum */
    DEBERTAC_OUT_OF_MEMORY = 3,
    DEBERTAC_IO_ERROR = 4,         /* external weights missing, unreadable, or not the ones this .so was compiled with */
    DEBERTAC_INTERNAL_ERROR = 5,
    DEBERTAC_UNSUPPORTED_CPU = 6,  /* debertac_model_open: this CPU lacks instructions the model's code was compiled to use (ABI 3) */
} debertac_status;

typedef struct debertac_model debertac_model;     /* immutable; share it across threads */
typedef struct debertac_session debertac_session; /* scratch arena; one per thread */

/* DEBERTAC_ABI_VERSION of the compiled .so. */
uint32_t debertac_abi_version(void);

/* A static, lowercase name such as "invalid argument"; "unknown status" for other values. */
const char *debertac_status_string(debertac_status status);

/* Opens the model. weights_path NULL means the weights inside the .so, or, for a .so compiled
 * with --external-weights, the file "<path of the .so>.weights" beside it. A path names an
 * external weights file, which must be the one written with this .so (its digest is checked).
 * On failure *model is set to NULL (when model is not NULL). */
debertac_status debertac_model_open(const char *weights_path, debertac_model **model);

/* Why the calling thread's last debertac_model_open, debertac_session_create or debertac_tokenize
 * failed, in words; "" after a success. Thread-local: valid until that thread's next such call. */
const char *debertac_open_error(void);

/* Closes the model; NULL is accepted. Destroy its sessions first. */
void debertac_model_close(debertac_model *model);

/* Number of logits per sequence (1 for a regression head); 0 for NULL. */
int32_t debertac_model_num_labels(const debertac_model *model);

/* The label of class index (id2label); NULL if out of range or model is NULL. */
const char *debertac_model_label(const debertac_model *model, int32_t index);

/* Longest sequence the model accepts (max_position_embeddings); 0 for NULL. */
int32_t debertac_model_max_sequence_length(const debertac_model *model);

/* Token ids must lie in [0, vocab_size); 0 for NULL. */
int32_t debertac_model_vocab_size(const debertac_model *model);

/* JSON: config, precision, target, compiler version, weights digest. Valid while the model is open. */
const char *debertac_model_info(const debertac_model *model);

/* Creates a session for batches of up to max_batch sequences of up to max_sequence_length tokens:
 * lays out its arena and starts its threads. INVALID_ARGUMENT for NULL pointers or maxima below 1,
 * OUT_OF_RANGE for a maximum length above the model's. On failure *session is set to NULL. */
debertac_status debertac_session_create(const debertac_model *model, int32_t max_batch,
                                        int32_t max_sequence_length, debertac_session **session);

/* Stops the session's threads and frees it; NULL is accepted. */
void debertac_session_destroy(debertac_session *session);

/* What the session's last failed call was about, in words; "" after a success. Never NULL
 * (for a NULL session: a static message saying so). */
const char *debertac_session_last_error(const debertac_session *session);

/* input_ids, attention_mask (1 = token, 0 = padding; NULL = all ones), token_type_ids (NULL = zeros):
 * row-major [batch, sequence_length] int32. logits: row-major [batch, num_labels] float, written on
 * DEBERTAC_OK. Checks, in this order: pointers, batch/length >= 1, length <= the model's maximum,
 * batch/length <= the session's maxima, ids, mask values, first tokens unmasked, token type ids (in
 * [0, type_vocab); ignored, as transformers ignores them, by a model without token types). */
debertac_status debertac_classify(debertac_session *session, int32_t batch, int32_t sequence_length,
                                  const int32_t *input_ids, const int32_t *attention_mask,
                                  const int32_t *token_type_ids, float *logits);

/* ---- Text (ABI version 2) ------------------------------------------------------------------
 * A model compiled from a folder with a tokenizer (spm.model or tokenizer.json) carries it: the
 * calls below take UTF-8 text and tokenize it exactly as the checkpoint's Hugging Face tokenizer
 * does (docs/tokenizer.md): literal special tokens such as "[SEP]" become their ids, a pair is
 * [CLS] A [SEP] B [SEP] with token types 0 then 1, and truncation is "longest_first". Invalid
 * UTF-8 is DEBERTAC_INVALID_ARGUMENT (naming the byte), as is any text call on a model without a
 * tokenizer. */

/* 1 when the model was compiled with its tokenizer, 0 otherwise (and for NULL). */
int32_t debertac_model_has_tokenizer(const debertac_model *model);

/* Tokenizes text (and text_pair, or NULL for a single text) as above, truncated to max_length
 * tokens including the special ones (0 = the model's maximum sequence length). Writes up to
 * capacity ids and token types and sets *length to the full length: call again with more room
 * when *length > capacity (capacity 0 with NULL arrays asks for the length only). Allocates its
 * working memory per call. Failures leave their message in debertac_open_error() (there is no
 * session): INVALID_ARGUMENT for NULL text or length, negative capacity or max_length, a max_length
 * below the special tokens (2 for a text, 3 for a pair), invalid UTF-8, or no tokenizer. */
debertac_status debertac_tokenize(const debertac_model *model, const char *text, const char *text_pair, int32_t max_length,
                                  int32_t *input_ids, int32_t *token_type_ids, int32_t capacity, int32_t *length);

/* Classifies batch texts (texts[b], paired with text_pairs[b] when text_pairs is not NULL and
 * text_pairs[b] is not NULL): tokenizes each, truncated to the session's maximum length, pads to
 * the longest and runs as debertac_classify; logits as there, [batch, num_labels]. OUT_OF_RANGE
 * for a batch above the session's maximum. Allocates nothing, unless a text needs more tokenizer
 * scratch than any before (1 MiB at session creation: texts up to about 40 KB), which then grows once. */
debertac_status debertac_classify_text(debertac_session *session, int32_t batch, const char *const *texts,
                                       const char *const *text_pairs, float *logits);

/* Zero-shot classification, exactly Hugging Face's ZeroShotClassificationPipeline: one pair (text,
 * hypothesis_template with its "{}" replaced by the label; NULL = "This example is {}.") per
 * candidate label, truncated "only_first" to the session's maximum length, run max_batch pairs at
 * a time; the entailment class is the model's first label2id name starting with "entail" (any
 * case). multi_label 0 (and more than one label): scores are the softmax of the entailment logits
 * over the labels; multi_label 1 (or one label): each label's softmax over [contradiction,
 * entailment] logits. scores[i] is the score of labels[i] (not sorted). INVALID_ARGUMENT for a
 * template without exactly one "{}" (Python format: "{{" and "}}" are literal braces), NULL text,
 * labels or scores, num_labels < 1, multi_label other than 0/1, or a model without an entailment
 * label. Allocates nothing, as debertac_classify_text (labels longer than any before grow a buffer once). */
debertac_status debertac_zero_shot(debertac_session *session, const char *text, int32_t num_labels, const char *const *labels,
                                   const char *hypothesis_template, int32_t multi_label, float *scores);

#ifdef __cplusplus
}
#endif

#endif /* DEBERTAC_H */
