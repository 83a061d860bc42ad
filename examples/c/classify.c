/* Classifies token-id sequences with a model compiled by debertac, loaded with dlopen.
 *
 *   cc -I include examples/c/classify.c -o classify -ldl
 *   ./classify nli.so "85 95 40|17 23" "1 85 2 95 2"      # or: ./classify nli.so -f pairs.txt
 *
 * Each argument (or line of the file) is one sequence: "PREMISE|HYPOTHESIS" token ids become
 * [CLS] premise [SEP] hypothesis [SEP] (ids 1 and 2, as in DeBERTa-v2/v3 vocabularies); without
 * "|" the ids are used as given. Prints the best label and every label's probability. */
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "debertac.h"

#define MAX_SEQUENCES 64
#define MAX_TOKENS 512
#define LOAD(name) typeof(&name) p_##name = (typeof(&name))dlsym(lib, #name)

static int parse(char *text, int32_t *ids) { /* returns the number of ids */
    int n = 0, pair = strchr(text, '|') != NULL;
    if (pair) ids[n++] = 1;
    for (char *token = strtok(text, " \t\n"); token && n < MAX_TOKENS - 2; token = strtok(NULL, " \t\n")) {
        char *bar = strchr(token, '|');
        if (bar) *bar = 0;
        if (*token) ids[n++] = atoi(token);
        if (bar) {
            ids[n++] = 2;
            if (bar[1]) ids[n++] = atoi(bar + 1);
        }
    }
    if (pair) ids[n++] = 2;
    return n;
}

int main(int argc, char **argv) {
    if (argc < 3) { fprintf(stderr, "usage: %s MODEL.so SEQUENCE... | -f FILE\n", argv[0]); return 2; }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) { fprintf(stderr, "%s\n", dlerror()); return 1; }
    LOAD(debertac_model_open); LOAD(debertac_open_error); LOAD(debertac_model_num_labels); LOAD(debertac_model_label);
    LOAD(debertac_session_create); LOAD(debertac_classify); LOAD(debertac_session_last_error);
    LOAD(debertac_status_string); LOAD(debertac_session_destroy); LOAD(debertac_model_close);
    if (!p_debertac_model_open || !p_debertac_classify) { fprintf(stderr, "not a debertac model\n"); return 1; }

    static int32_t ids[MAX_SEQUENCES][MAX_TOKENS], mask[MAX_SEQUENCES * MAX_TOKENS], flat[MAX_SEQUENCES * MAX_TOKENS];
    int lengths[MAX_SEQUENCES], count = 0, longest = 0;
    char line[8192];
    FILE *file = strcmp(argv[2], "-f") == 0 && argc > 3 ? fopen(argv[3], "r") : NULL;
    for (int a = 2; count < MAX_SEQUENCES; a++) {
        if (file ? !fgets(line, sizeof line, file) : a >= argc) break;
        if (!file) snprintf(line, sizeof line, "%s", argv[a]);
        int n = parse(line, ids[count]);
        if (n == 0) continue;
        lengths[count] = n;
        if (n > longest) longest = n;
        count++;
    }
    if (file) fclose(file);
    if (count == 0) { fprintf(stderr, "no sequences\n"); return 2; }
    for (int b = 0; b < count; b++)  /* pad to the longest sequence */
        for (int t = 0; t < longest; t++) {
            flat[b * longest + t] = t < lengths[b] ? ids[b][t] : 0;
            mask[b * longest + t] = t < lengths[b];
        }

    debertac_model *model;
    debertac_session *session;
    if (p_debertac_model_open(NULL, &model) != DEBERTAC_OK) { fprintf(stderr, "%s\n", p_debertac_open_error()); return 1; }
    if (p_debertac_session_create(model, count, longest, &session) != DEBERTAC_OK) {
        fprintf(stderr, "%s\n", p_debertac_open_error());
        return 1;
    }
    int labels = p_debertac_model_num_labels(model);
    float *logits = malloc(sizeof(float) * count * labels);
    debertac_status status = p_debertac_classify(session, count, longest, flat, mask, NULL, logits);
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
    p_debertac_session_destroy(session);
    p_debertac_model_close(model);
    dlclose(lib);
    return 0;
}
