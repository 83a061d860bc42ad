/*
 * The runtime of a compiled debertac model: the public C ABI (include/debertac.h) around the
 * generated forward pass, with debertac_pool.c (the thread pool) and debertac_digest.c (XXH64).
 * The same files are compiled into every .so (SwiftPM embeds them into the compiler;
 * `debertac compile` hands them to the system C compiler). This file holds the plumbing the
 * generated code should not: models (embedded or memory-mapped external weights, with their
 * digest check), sessions (arena layout, pool), and input validation mirroring
 * InferenceInput.validate.
 *
 * Rules: no entry point aborts, exits or prints; no mutable static state except the
 * thread-local message of the last failed open; debertac_classify allocates nothing.
 */
#define _GNU_SOURCE
#include "debertac.h"
#include "debertac_internal.h"

#include <cblas.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define API __attribute__((visibility("default")))
#define ALIGNMENT 64

/* ------------------------------------------------------------------------------------------ */
/* Status strings and messages.                                                               */

API uint32_t debertac_abi_version(void) { return DEBERTAC_ABI_VERSION; }

API const char *debertac_status_string(debertac_status status) {
    switch (status) {
    case DEBERTAC_OK: return "ok";
    case DEBERTAC_INVALID_ARGUMENT: return "invalid argument";
    case DEBERTAC_OUT_OF_RANGE: return "out of range";
    case DEBERTAC_OUT_OF_MEMORY: return "out of memory";
    case DEBERTAC_IO_ERROR: return "i/o error";
    case DEBERTAC_INTERNAL_ERROR: return "internal error";
    case DEBERTAC_UNSUPPORTED_CPU: return "unsupported cpu";
    }
    return "unknown status";
}

/* The one piece of static mutable state: per thread, so threads never see each other's. */
static _Thread_local char open_error[MESSAGE_SIZE];

API const char *debertac_open_error(void) { return open_error; }

debertac_status debertac__fail_open(debertac_status status, const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(open_error, sizeof open_error, format, args);
    va_end(args);
    return status;
}

/* ------------------------------------------------------------------------------------------ */
/* Models.                                                                                    */


/* The path ld.so opened this .so from (its own record, so a symlink or a later rename of the
 * file's name does not matter). */
static int own_path(char *out, size_t size) {
    Dl_info info;
    if (!dladdr((void *)&debertac_model_open, &info) || !info.dli_fname || !info.dli_fname[0]) return 0;
    int n = snprintf(out, size, "%s", info.dli_fname);
    return n > 0 && (size_t)n < size;
}

/* Maps the weights image (a debertac_weights_header, zeros up to DEBERTAC_WEIGHTS_PAYLOAD_OFFSET,
 * then the payload) that starts at byte `offset` of the open file `fd` and spans `size` bytes
 * (the rest of the file when `size` is UINT64_MAX), checks its header and digest against the descriptor,
 * and on success makes it the model's weights. `what` names the image in errors. */
static debertac_status map_weights_image(int fd, const char *path, const char *what, uint64_t offset, uint64_t size,
                                         struct debertac_model *model) {
    const debertac_model_desc *desc = model->desc;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
        return debertac__fail_open(DEBERTAC_IO_ERROR, "%s '%s' is not a regular file", what, path);
    uint64_t expected = DEBERTAC_WEIGHTS_PAYLOAD_OFFSET + desc->weights_size;
    if (size == UINT64_MAX) size = (uint64_t)st.st_size >= offset ? (uint64_t)st.st_size - offset : 0;
    if (size != expected || offset > (uint64_t)st.st_size || (uint64_t)st.st_size - offset < size)
        return debertac__fail_open(DEBERTAC_IO_ERROR, "%s '%s' are not the ones this model was compiled with: %llu bytes, expected %llu",
                                   what, path, (unsigned long long)((uint64_t)st.st_size >= offset ? (uint64_t)st.st_size - offset : 0),
                                   (unsigned long long)expected);
    void *base = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, (off_t)offset);
    if (base == MAP_FAILED) return debertac__fail_open(DEBERTAC_IO_ERROR, "cannot map %s '%s': %s", what, path, strerror(errno));
    debertac_weights_header header;
    memcpy(&header, base, sizeof header);
    const char *problem = NULL;
    if (memcmp(header.magic, DEBERTAC_WEIGHTS_MAGIC, 16) != 0) problem = "it is not a debertac weights file";
    else if (header.format != DEBERTAC_WEIGHTS_FORMAT) problem = "its format version differs";
    else if (header.payload_offset != DEBERTAC_WEIGHTS_PAYLOAD_OFFSET || header.payload_size != desc->weights_size)
        problem = "its layout differs";
    else if (header.payload_digest != desc->weights_digest) problem = "its digest differs from the one stored in the model";
    else {
        const unsigned char *payload = (const unsigned char *)base + DEBERTAC_WEIGHTS_PAYLOAD_OFFSET;
        madvise(base, (size_t)size, MADV_SEQUENTIAL);
        if (debertac__xxh64(payload, desc->weights_size) != desc->weights_digest) problem = "its contents do not match their digest";
        madvise(base, (size_t)size, MADV_NORMAL);
    }
    if (problem) {
        munmap(base, (size_t)size);
        return debertac__fail_open(DEBERTAC_IO_ERROR, "%s '%s' are not the ones this model was compiled with: %s", what, path, problem);
    }
    model->mapping = base;
    model->mapping_size = (size_t)size;
    model->weights = (const char *)base + DEBERTAC_WEIGHTS_PAYLOAD_OFFSET;
    return DEBERTAC_OK;
}

/* An external weights file: the whole file is the image. */
static debertac_status map_weights_file(const char *path, struct debertac_model *model) {
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return debertac__fail_open(DEBERTAC_IO_ERROR, "cannot open weights '%s': %s", path, strerror(errno));
    debertac_status status = map_weights_image(fd, path, "weights", 0, UINT64_MAX, model);
    close(fd);
    return status;
}

/* Reads exactly `size` bytes at `offset`; 0 on a short read or an error. */
static int read_at(int fd, void *out, size_t size, uint64_t offset) {
    size_t done = 0;
    while (done < size) {
        ssize_t n = pread(fd, (char *)out + done, size - done, (off_t)(offset + done));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return 0;
        done += (size_t)n;
    }
    return 1;
}

/* Finds the section DEBERTAC_WEIGHTS_SECTION in the ELF file `fd` (64-bit, little-endian, as
 * the compiler writes it): its file offset and size, or a problem. */
static const char *find_weights_section(int fd, uint64_t *offset, uint64_t *size) {
    Elf64_Ehdr eh;
    if (!read_at(fd, &eh, sizeof eh, 0) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64
        || eh.e_ident[EI_DATA] != ELFDATA2LSB)
        return "it is not a 64-bit little-endian ELF file";
    if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shstrndx >= eh.e_shnum || eh.e_shnum > 65280)
        return "its section header table is damaged";
    Elf64_Shdr names;
    if (!read_at(fd, &names, sizeof names, eh.e_shoff + (uint64_t)eh.e_shstrndx * sizeof(Elf64_Shdr)))
        return "its section header table is truncated";
    const char wanted[] = DEBERTAC_WEIGHTS_SECTION;
    for (uint16_t i = 0; i < eh.e_shnum; i++) {
        Elf64_Shdr sh;
        if (!read_at(fd, &sh, sizeof sh, eh.e_shoff + (uint64_t)i * sizeof(Elf64_Shdr))) return "its section header table is truncated";
        if (sh.sh_name >= names.sh_size || names.sh_size - sh.sh_name < sizeof wanted) continue;
        char name[sizeof wanted];
        if (!read_at(fd, name, sizeof name, names.sh_offset + sh.sh_name)) return "its section names are truncated";
        if (memcmp(name, wanted, sizeof wanted) != 0) continue;
        if (sh.sh_type != SHT_PROGBITS || sh.sh_offset % 4096 != 0) return "its weights section is malformed";
        *offset = sh.sh_offset;
        *size = sh.sh_size;
        return NULL;
    }
    return "it has no " DEBERTAC_WEIGHTS_SECTION " section (was it stripped or rewritten?)";
}

/* The weights embedded in this .so: the section DEBERTAC_WEIGHTS_SECTION of the file ld.so opened,
 * mapped read-only like an external weights file (same image, same checks). */
static debertac_status map_embedded_weights(struct debertac_model *model) {
    char path[4096];
    if (!own_path(path, sizeof path))
        return debertac__fail_open(DEBERTAC_IO_ERROR, "cannot find the path of the model's .so to map its embedded weights");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return debertac__fail_open(DEBERTAC_IO_ERROR, "cannot open the model's .so '%s' to map its weights: %s", path, strerror(errno));
    uint64_t offset = 0, size = 0;
    const char *problem = find_weights_section(fd, &offset, &size);
    debertac_status status = problem
        ? debertac__fail_open(DEBERTAC_IO_ERROR, "the embedded weights of '%s' cannot be found: %s", path, problem)
        : map_weights_image(fd, path, "embedded weights of", offset, size, model);
    close(fd);
    return status;
}

API debertac_status debertac_model_open(const char *weights_path, debertac_model **out) {
    open_error[0] = 0;
    if (!out) return debertac__fail_open(DEBERTAC_INVALID_ARGUMENT, "'model' is NULL, expected a pointer to receive the model");
    *out = NULL;
    const debertac_model_desc *desc = &debertac__model;
    if (desc->abi_version != DEBERTAC_ABI_VERSION)
        return debertac__fail_open(DEBERTAC_INTERNAL_ERROR, "the model was generated for ABI version %u, the runtime is %u",
                         desc->abi_version, DEBERTAC_ABI_VERSION);
    /* Before anything runs the generated code: the CPU must have every instruction set it may use. */
    char missing[512];
    if (debertac__cpu_missing(desc->required_features, missing, sizeof missing))
        return debertac__fail_open(DEBERTAC_UNSUPPORTED_CPU,
                                   "this CPU lacks %s, which the model's code was compiled to use (for cpu '%s'); "
                                   "compile it on this machine, or with --target-cpu naming a CPU this one can run "
                                   "(x86-64-v3 for any AVX2 machine)", missing, desc->target_cpu);
    struct debertac_model *model = calloc(1, sizeof *model);
    if (!model) return debertac__fail_open(DEBERTAC_OUT_OF_MEMORY, "cannot allocate the model");
    model->desc = desc;
    debertac_status status;
    if (!weights_path && desc->embedded_weights) {
        status = map_embedded_weights(model);
    } else {
        char fallback[4096 + 8];
        if (!weights_path) {
            char self[4096];
            if (!own_path(self, sizeof self)) {
                free(model);
                return debertac__fail_open(DEBERTAC_IO_ERROR, "cannot find the path of the model's .so to locate '<so>.weights'; pass the weights path");
            }
            snprintf(fallback, sizeof fallback, "%s.weights", self);
            weights_path = fallback;
        }
        status = map_weights_file(weights_path, model);
    }
    if (status != DEBERTAC_OK) {
        free(model);
        return status;
    }
    if (desc->tokenizer) {
        char problem[256];
        if (dtok_open(&model->tokenizer, desc->tokenizer, (size_t)desc->tokenizer_size, problem, sizeof problem) != DTOK_OK) {
            if (model->mapping) munmap(model->mapping, model->mapping_size);
            free(model);
            return debertac__fail_open(DEBERTAC_INTERNAL_ERROR, "the model's tokenizer is damaged: %s", problem);
        }
        model->has_tokenizer = 1;
    }
    /* Matrix products are partitioned over each session's own pool, one single-threaded
     * OpenBLAS call per tile; a threaded OpenBLAS would oversubscribe the cores. OpenBLAS has
     * no per-call thread count, so this is a process-wide OpenBLAS setting (docs/abi.md). */
    if (openblas_get_num_threads() != 1) openblas_set_num_threads(1);
    *out = model;
    return DEBERTAC_OK;
}

API void debertac_model_close(debertac_model *model) {
    if (!model) return;
    if (model->mapping) munmap(model->mapping, model->mapping_size);
    free(model);
}

API int32_t debertac_model_num_labels(const debertac_model *model) { return model ? model->desc->num_labels : 0; }

API const char *debertac_model_label(const debertac_model *model, int32_t index) {
    if (!model || index < 0 || index >= model->desc->num_labels) return NULL;
    return model->desc->labels[index];
}

API int32_t debertac_model_max_sequence_length(const debertac_model *model) {
    return model ? model->desc->max_sequence_length : 0;
}

API int32_t debertac_model_vocab_size(const debertac_model *model) { return model ? model->desc->vocab_size : 0; }

API const char *debertac_model_info(const debertac_model *model) { return model ? model->desc->info_json : "{}"; }

/* ------------------------------------------------------------------------------------------ */
/* Sessions.                                                                                  */


debertac_status debertac__session_fail(debertac_session *s, debertac_status status, const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(s->error, sizeof s->error, format, args);
    va_end(args);
    return status;
}

static int64_t align_up(int64_t n) { return (n + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT; }

/* bytes · B^a · T^b, or −1 on overflow. */
static int64_t buffer_size(const debertac_buffer_desc *d, int64_t batch, int64_t length) {
    __int128 size = d->bytes;
    for (int i = 0; i < d->batch_power; i++) size *= batch;
    for (int i = 0; i < d->length_power; i++) size *= length;
    if (size > ((__int128)1 << 60)) return -1;
    return align_up((int64_t)size);
}

/* The memory planner's layout, MemoryPlan.layout(maxBatch:maxLength:) in DebertacPasses
 * (docs/passes.md), ported: the two must agree byte for byte (a test checks it). Buffers are
 * the plan's alias groups; each size is rounded up to 64 bytes. Groups are placed by aligned
 * size descending, then first use ascending, then index; each goes into the first gap large
 * enough between the placed groups whose live intervals intersect its own, scanned by offset. Returns the arena size, or −1 on overflow/OOM. */
static int64_t layout_buffers(const debertac_buffer_desc *buffers, int32_t count, int64_t batch, int64_t length,
                              int64_t *offsets) {
    if (count == 0) return 0;
    int64_t *sizes = malloc(sizeof(int64_t) * (size_t)count);
    int32_t *order = malloc(sizeof(int32_t) * (size_t)count);
    int32_t *conflicts = malloc(sizeof(int32_t) * (size_t)count);
    int64_t total = -1;
    if (!sizes || !order || !conflicts) goto done;
    for (int32_t i = 0; i < count; i++) {
        sizes[i] = buffer_size(&buffers[i], batch, length);
        if (sizes[i] < 0) goto done;
        order[i] = i;
    }
    /* Insertion sort by (aligned size descending, first use ascending, index ascending). */
    for (int32_t i = 1; i < count; i++) {
        int32_t x = order[i], j = i - 1;
        while (j >= 0 && (sizes[order[j]] < sizes[x] ||
                          (sizes[order[j]] == sizes[x] && buffers[order[j]].first_use > buffers[x].first_use))) {
            order[j + 1] = order[j];
            j--;
        }
        order[j + 1] = x;
    }
    total = 0;
    for (int32_t n = 0; n < count; n++) {
        int32_t b = order[n];
        const debertac_buffer_desc *d = &buffers[b];
        /* Placed buffers live at the same time as b, sorted by offset. */
        int32_t nconflicts = 0;
        for (int32_t k = 0; k < n; k++) {
            int32_t o = order[k];
            if (buffers[o].last_use < d->first_use || d->last_use < buffers[o].first_use) continue;
            int32_t j = nconflicts++;
            while (j > 0 && offsets[conflicts[j - 1]] > offsets[o]) {
                conflicts[j] = conflicts[j - 1];
                j--;
            }
            conflicts[j] = o;
        }
        /* First gap large enough. */
        int64_t offset = 0;
        for (int32_t k = 0; k < nconflicts; k++) {
            int32_t o = conflicts[k];
            if (offsets[o] >= offset + sizes[b]) break;
            if (offsets[o] + sizes[o] > offset) offset = offsets[o] + sizes[o];
        }
        offsets[b] = offset;
        if (offset + sizes[b] > total) total = offset + sizes[b];
    }
done:
    free(sizes);
    free(order);
    free(conflicts);
    return total;
}

API debertac_status debertac_session_create(const debertac_model *model, int32_t max_batch, int32_t max_sequence_length,
                                            debertac_session **out) {
    open_error[0] = 0;
    if (out) *out = NULL;
    if (!model) return debertac__fail_open(DEBERTAC_INVALID_ARGUMENT, "'model' is NULL");
    if (!out) return debertac__fail_open(DEBERTAC_INVALID_ARGUMENT, "'session' is NULL, expected a pointer to receive the session");
    if (max_batch < 1) return debertac__fail_open(DEBERTAC_INVALID_ARGUMENT, "maximum batch %d, expected at least 1", max_batch);
    if (max_sequence_length < 1)
        return debertac__fail_open(DEBERTAC_INVALID_ARGUMENT, "maximum sequence length %d, expected at least 1", max_sequence_length);
    if (max_sequence_length > model->desc->max_sequence_length)
        return debertac__fail_open(DEBERTAC_OUT_OF_RANGE, "maximum sequence length %d exceeds the model's (%d)", max_sequence_length,
                         model->desc->max_sequence_length);
    debertac_session *s = calloc(1, sizeof *s);
    if (!s) return debertac__fail_open(DEBERTAC_OUT_OF_MEMORY, "cannot allocate the session");
    const debertac_model_desc *desc = model->desc;
    s->model = model;
    s->max_batch = max_batch;
    s->max_length = max_sequence_length;
    size_t tokens = (size_t)max_batch * (size_t)max_sequence_length;
    s->offsets = calloc((size_t)desc->num_buffers + 1, sizeof(int64_t));
    if (!s->offsets) goto oom;
    s->arena_size = layout_buffers(desc->buffers, desc->num_buffers, max_batch, max_sequence_length, s->offsets);
    if (s->arena_size < 0) goto oom;
    int threads = debertac__thread_count();
    __int128 workspace_bytes = (__int128)desc->workspace_t2 * max_sequence_length * max_sequence_length
                               + (__int128)desc->workspace_t1 * max_sequence_length + desc->workspace_t0;
    if (workspace_bytes > ((__int128)1 << 60) / threads) goto oom;
    int64_t workspace_size = align_up((int64_t)workspace_bytes);
    /* More than the machine's memory can only fail later, and with lazy allocation (overcommit)
     * it would fail by the OOM killer instead of a status: refuse it now. */
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
    double needed = (double)s->arena_size + (double)threads * (double)workspace_size + 8.0 * (double)tokens;
    if (pages > 0 && page > 0 && needed > (double)pages * (double)page) goto oom;
    s->ones = malloc(tokens * sizeof(int32_t));
    s->zeros = calloc(tokens, sizeof(int32_t));
    if (!s->ones || !s->zeros) goto oom;
    for (size_t i = 0; i < tokens; i++) s->ones[i] = 1;
    if (s->arena_size > 0) {
        s->arena = aligned_alloc(ALIGNMENT, (size_t)align_up(s->arena_size));
        if (!s->arena) goto oom;
    }
    if (workspace_size > 0) {
        s->workspace = aligned_alloc(ALIGNMENT, (size_t)threads * (size_t)workspace_size);
        if (!s->workspace) goto oom;
    }
    if (model->has_tokenizer && !debertac__text_buffers_create(s)) goto oom;
    if (!debertac__pool_start(&s->pool, threads, s->workspace, workspace_size)) {
        debertac__text_buffers_destroy(s);
        debertac__pool_stop(&s->pool);
        free(s->workspace);
        free(s->arena);
        free(s->offsets);
        free(s->ones);
        free(s->zeros);
        free(s);
        return debertac__fail_open(DEBERTAC_INTERNAL_ERROR, "cannot start the session's threads");
    }
    *out = s;
    return DEBERTAC_OK;
oom:
    debertac__text_buffers_destroy(s);
    free(s->workspace);
    free(s->arena);
    free(s->offsets);
    free(s->ones);
    free(s->zeros);
    free(s);
    return debertac__fail_open(DEBERTAC_OUT_OF_MEMORY, "cannot allocate the session's arena for %d x %d tokens", max_batch,
                     max_sequence_length);
}

API void debertac_session_destroy(debertac_session *s) {
    if (!s) return;
    debertac__pool_stop(&s->pool);
    debertac__text_buffers_destroy(s);
    free(s->workspace);
    free(s->arena);
    free(s->offsets);
    free(s->ones);
    free(s->zeros);
    free(s);
}

API const char *debertac_session_last_error(const debertac_session *s) {
    return s ? s->error : "the session is NULL";
}

/* The same checks, order and wording as InferenceInput.validate (DebertacInterpreter). */
static debertac_status validate(debertac_session *s, int32_t batch, int32_t length, const int32_t *ids,
                                const int32_t *mask, const int32_t *types, const float *logits) {
    const debertac_model_desc *desc = s->model->desc;
    if (!ids) return debertac__session_fail(s, DEBERTAC_INVALID_ARGUMENT, "'input_ids' is NULL");
    if (!logits) return debertac__session_fail(s, DEBERTAC_INVALID_ARGUMENT, "'logits' is NULL");
    if (batch < 1) return debertac__session_fail(s, DEBERTAC_INVALID_ARGUMENT, "batch size %d, expected at least one sequence", batch);
    if (length < 1) return debertac__session_fail(s, DEBERTAC_INVALID_ARGUMENT, "sequence length %d, expected at least one token", length);
    if (length > desc->max_sequence_length)
        return debertac__session_fail(s, DEBERTAC_OUT_OF_RANGE, "sequence length %d exceeds 'max_position_embeddings' (%d)", length,
                            desc->max_sequence_length);
    if (batch > s->max_batch)
        return debertac__session_fail(s, DEBERTAC_OUT_OF_RANGE, "batch size %d exceeds the session's maximum batch (%d)", batch, s->max_batch);
    if (length > s->max_length)
        return debertac__session_fail(s, DEBERTAC_OUT_OF_RANGE, "sequence length %d exceeds the session's maximum length (%d)", length,
                            s->max_length);
    int64_t count = (int64_t)batch * length;
    for (int64_t i = 0; i < count; i++)
        if (ids[i] < 0 || ids[i] >= desc->vocab_size)
            return debertac__session_fail(s, DEBERTAC_OUT_OF_RANGE, "'input_ids' row %lld column %lld is %d, expected a token id in [0, %d)",
                                (long long)(i / length), (long long)(i % length), ids[i], desc->vocab_size);
    if (mask) {
        for (int64_t i = 0; i < count; i++)
            if (mask[i] != 0 && mask[i] != 1)
                return debertac__session_fail(s, DEBERTAC_INVALID_ARGUMENT, "'attention_mask' row %lld column %lld is %d, expected 0 or 1",
                                    (long long)(i / length), (long long)(i % length), mask[i]);
        for (int32_t b = 0; b < batch; b++)
            if (mask[(int64_t)b * length] == 0)
                return debertac__session_fail(s, DEBERTAC_INVALID_ARGUMENT,
                                    "'attention_mask' row %d masks its first token, expected 1 there (the classifier reads token 0)", b);
    }
    /* Without token type embeddings (type_vocab_size 0) the types are ignored, as transformers ignores
     * them: the second segment's 1s that debertac_tokenize returns may be passed back unchanged. */
    if (types && desc->type_vocab_size > 0) {
        for (int64_t i = 0; i < count; i++) {
            int32_t t = types[i];
            if (t < 0 || t >= desc->type_vocab_size)
                return debertac__session_fail(s, DEBERTAC_OUT_OF_RANGE,
                                    "'token_type_ids' row %lld column %lld is %d, expected a token type id in [0, %d)",
                                    (long long)(i / length), (long long)(i % length), t, desc->type_vocab_size);
        }
    }
    return DEBERTAC_OK;
}

API debertac_status debertac_classify(debertac_session *s, int32_t batch, int32_t length, const int32_t *ids,
                                      const int32_t *mask, const int32_t *types, float *logits) {
    if (!s) return DEBERTAC_INVALID_ARGUMENT;
    s->error[0] = 0;
    return debertac__classify(s, batch, length, ids, mask, types, logits);
}

debertac_status debertac__classify(debertac_session *s, int32_t batch, int32_t length, const int32_t *ids,
                                   const int32_t *mask, const int32_t *types, float *logits) {
    debertac_status status = validate(s, batch, length, ids, mask, types, logits);
    if (status != DEBERTAC_OK) return status;
    debertac_exec exec = {
        .weights = s->model->weights,
        .arena = s->arena,
        .buffer_offsets = s->offsets,
        .input_ids = ids,
        .attention_mask = mask ? mask : s->ones,
        .token_type_ids = types ? types : s->zeros,
        .logits = logits,
        .batch = batch,
        .length = length,
        .pool = &s->pool,
        .parallel_for = debertac__parallel_for,
    };
    int32_t result = debertac__forward(&exec);
    if (result != 0) return debertac__session_fail(s, DEBERTAC_INTERNAL_ERROR, "the forward pass failed with status %d", result);
    return DEBERTAC_OK;
}
