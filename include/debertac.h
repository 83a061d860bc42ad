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
 * below changes incompatibly; compare it with debertac_abi_version() after dlopen. See
 * docs/abi.md in the debertac repository.
 */
#ifndef DEBERTAC_H
#define DEBERTAC_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DEBERTAC_ABI_VERSION 1

typedef enum debertac_status {
    DEBERTAC_OK = 0,
    DEBERTAC_INVALID_ARGUMENT = 1, /* NULL pointer, batch/length < 1, mask value not 0/1, first token masked */
    DEBERTAC_OUT_OF_RANGE = 2,     /* token id outside [0, vocab), type id outside [0, type_vocab), batch/length above the session's maximum */
    DEBERTAC_OUT_OF_MEMORY = 3,
    DEBERTAC_IO_ERROR = 4,         /* external weights missing, unreadable, or not the ones this .so was compiled with */
    DEBERTAC_INTERNAL_ERROR = 5,
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

/* Why the calling thread's last debertac_model_open or debertac_session_create failed, in words;
 * "" after a success. Thread-local: valid until that thread's next open or create. */
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
 * batch/length <= the session's maxima, ids, mask values, first tokens unmasked, token type ids. */
debertac_status debertac_classify(debertac_session *session, int32_t batch, int32_t sequence_length,
                                  const int32_t *input_ids, const int32_t *attention_mask,
                                  const int32_t *token_type_ids, float *logits);

#ifdef __cplusplus
}
#endif

#endif /* DEBERTAC_H */
