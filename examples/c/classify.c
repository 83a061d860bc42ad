/* Classifies sentence pairs given as text with a model compiled by debertac, loaded with dlopen.
 *
 *   cc -I include examples/c/classify.c -o classify -ldl -lm
 *   ./classify nli.so "A man plays a guitar.|A person makes music." "The cat sleeps."
 *
 * Each argument is "PREMISE|HYPOTHESIS" (a pair) or a single text. The .so tokenizes them with the
 * tokenizer compiled into it (debertac_classify_text); this host needs no tokenizer of its own.
 * Prints each text's best label and every label's probability. */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "debertac.h"

#define LOAD(name) typeof(&name) p_##name = (typeof(&name))dlsym(lib, #name)

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s MODEL.so \"PREMISE|HYPOTHESIS\"...\n", argv[0]); return 2; }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    LOAD(debertac_abi_version); LOAD(debertac_model_open); LOAD(debertac_open_error); LOAD(debertac_model_num_labels);
    LOAD(debertac_model_label); LOAD(debertac_model_max_sequence_length); LOAD(debertac_model_has_tokenizer);
    LOAD(debertac_session_create); LOAD(debertac_classify_text); LOAD(debertac_session_last_error);
    LOAD(debertac_status_string); LOAD(debertac_session_destroy); LOAD(debertac_model_close);
    if (!p_debertac_abi_version || p_debertac_abi_version() < 2) { fprintf(stderr, "not a debertac model with text calls (ABI 2)\n"); return 1; }

    int count = argc - 2;
    const char **premises = calloc(count, sizeof *premises), **hypotheses = calloc(count, sizeof *hypotheses);
    for (int b = 0; b < count; b++) { /* split "premise|hypothesis" at its first '|' */
        char *text = argv[b + 2], *bar = strchr(text, '|');
        if (bar) *bar = 0;
        premises[b] = text;
        hypotheses[b] = bar ? bar + 1 : NULL;
    }

    debertac_model *model;
    debertac_session *session;
    if (p_debertac_model_open(NULL, &model) != DEBERTAC_OK) { fprintf(stderr, "%s\n", p_debertac_open_error()); return 1; }
    if (!p_debertac_model_has_tokenizer(model)) { fprintf(stderr, "%s was compiled without a tokenizer\n", argv[1]); return 1; }
    if (p_debertac_session_create(model, count, p_debertac_model_max_sequence_length(model), &session) != DEBERTAC_OK) {
        fprintf(stderr, "%s\n", p_debertac_open_error());
        return 1;
    }
    int labels = p_debertac_model_num_labels(model);
    float *logits = malloc(sizeof(float) * count * labels);
    debertac_status status = p_debertac_classify_text(session, count, premises, hypotheses, logits);
    if (status != DEBERTAC_OK) {
        fprintf(stderr, "%s: %s\n", p_debertac_status_string(status), p_debertac_session_last_error(session));
        return 1;
    }
    for (int b = 0; b < count; b++) {
        const float *row = logits + b * labels;
        int best = 0;
        float total = 0;
        for (int i = 0; i < labels; i++) if (row[i] > row[best]) best = i;
        for (int i = 0; i < labels; i++) total += expf(row[i] - row[best]);
        printf("%d: %s", b, p_debertac_model_label(model, best));
        if (labels == 1) printf(" %.6f", row[0]);
        else for (int i = 0; i < labels; i++) printf(" %s=%.4f", p_debertac_model_label(model, i), expf(row[i] - row[best]) / total);
        printf("\n");
    }
    free(logits);
    free(premises);
    free(hypotheses);
    p_debertac_session_destroy(session);
    p_debertac_model_close(model);
    dlclose(lib);
    return 0;
}
