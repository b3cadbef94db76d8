/* The CNN image encoder: files -> torchvision preprocessing -> ResNet ->
 * pooled features, in batches (fileenc.h's encode_batch).
 *
 * A batch is decoded and preprocessed in parallel (one preprocessor per
 * thread), the files that decoded are packed together and run through the
 * network in one forward pass on the same threads. The network, the
 * context and the preprocessors live in the encoder; a mutex serializes
 * batches (the pipeline calls encode_batch from one thread at a time; the
 * single-file encode path builds its own context instead). */
#define _XOPEN_SOURCE 700 /* realpath */
#include "nn/nn_internal.h"

#include "mmfuse/models.h"

#include <cjson/cJSON.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const ARCH_NAMES[] = {"resnet18", "resnet34", "resnet50", "resnet101", "resnet152"};

mm_cnn_params mm_cnn_params_default(void)
{
    mm_cnn_params p;
    memset(&p, 0, sizeof p);
    snprintf(p.arch, sizeof p.arch, "resnet18");
    p.resize = 256;
    p.crop = 224;
    p.batch = 32;
    return p;
}

static bool known_arch(const char *a)
{
    for (size_t i = 0; i < sizeof ARCH_NAMES / sizeof ARCH_NAMES[0]; i++)
        if (strcmp(a, ARCH_NAMES[i]) == 0) return true;
    return false;
}

static mm_status check_params(const mm_cnn_params *p, mm_error *err)
{
    if (!known_arch(p->arch))
        return mm_error_set(err, MM_EINVAL,
                            "image encoder '%s': unknown architecture (resnet18, resnet34, resnet50, resnet101, "
                            "resnet152)",
                            p->arch);
    if (p->crop < 32 || p->crop > 4096 || p->resize > 8192 || (p->resize && p->resize < p->crop))
        return mm_error_set(err, MM_EINVAL, "image encoder: crop %zu / resize %zu out of range (32 <= crop <= resize)",
                            p->crop, p->resize);
    if (p->batch < 1 || p->batch > 4096)
        return mm_error_set(err, MM_EINVAL, "image encoder: batch %zu not in [1, 4096]", p->batch);
    return MM_OK;
}

/* The file's content hash (validates the whole safetensors layout). */
static mm_status weights_hash(const char *path, uint64_t *h, mm_error *err)
{
    mm_st_file *f;
    mm_status st = mm_st_open(path, &f, err);
    if (st) return st;
    *h = mm_st_data_hash(f);
    mm_st_close(f);
    return MM_OK;
}

mm_status mm_cnn_params_parse(const char *spec, mm_cnn_params *p, mm_error *err)
{
    *p = mm_cnn_params_default();
    const char *colon = strchr(spec, ':');
    size_t alen = colon ? (size_t)(colon - spec) : strlen(spec);
    if (alen == 0 || alen >= sizeof p->arch)
        return mm_error_set(err, MM_EINVAL, "--image-encoder '%s': expected ARCH or ARCH:WEIGHTS.safetensors", spec);
    memcpy(p->arch, spec, alen);
    p->arch[alen] = '\0';
    mm_status st = check_params(p, err);
    if (st) return st;
    char path[PATH_MAX];
    if (colon) {
        if (!colon[1]) return mm_error_set(err, MM_EINVAL, "--image-encoder '%s': empty weights path", spec);
        st = mm_models_resolve(colon + 1, path, sizeof path, err);
    } else {
        st = mm_models_resolve(p->arch, path, sizeof path, err);
    }
    if (st) return st;
    char abs[PATH_MAX];
    if (!realpath(path, abs)) return mm_error_set(err, MM_EIO, "%s: cannot resolve the weights path", path);
    size_t len = strlen(abs);
    if (len >= sizeof p->weights) return mm_error_set(err, MM_EINVAL, "%s: path too long", abs);
    memcpy(p->weights, abs, len + 1);
    return weights_hash(p->weights, &p->weights_hash, err);
}

mm_status mm_cnn_params_to_json(const mm_cnn_params *p, char *buf, size_t size, mm_error *err)
{
    cJSON *o = cJSON_CreateObject();
    char hash[17];
    snprintf(hash, sizeof hash, "%016" PRIx64, p->weights_hash);
    if (!o || !cJSON_AddStringToObject(o, "encoder", p->arch) || !cJSON_AddStringToObject(o, "weights", p->weights) ||
        !cJSON_AddStringToObject(o, "weights_hash", hash) ||
        !cJSON_AddNumberToObject(o, "resize", (double)p->resize) ||
        !cJSON_AddNumberToObject(o, "crop", (double)p->crop) ||
        (p->batch && !cJSON_AddNumberToObject(o, "batch", (double)p->batch))) {
        cJSON_Delete(o);
        return mm_error_set(err, MM_ENOMEM, "out of memory (image encoder config)");
    }
    char *s = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    mm_status st = MM_OK;
    if (!s) st = mm_error_set(err, MM_ENOMEM, "out of memory (image encoder config)");
    else if (strlen(s) >= size) st = mm_error_set(err, MM_EINVAL, "image encoder config too long (%zu bytes)", strlen(s));
    else memcpy(buf, s, strlen(s) + 1);
    cJSON_free(s);
    return st;
}

static bool get_size(const cJSON *o, const char *key, size_t *v)
{
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!e) return true;
    if (!cJSON_IsNumber(e) || e->valuedouble < 0 || e->valuedouble > 1e9 || e->valuedouble != (double)(size_t)e->valuedouble)
        return false;
    *v = (size_t)e->valuedouble;
    return true;
}

mm_status mm_cnn_params_from_json(const char *json, mm_cnn_params *p, mm_error *err)
{
    *p = mm_cnn_params_default();
    cJSON *o = cJSON_Parse(json ? json : "");
    if (!o || !cJSON_IsObject(o)) {
        cJSON_Delete(o);
        return mm_error_set(err, MM_EINVAL, "image encoder config is not a JSON object: %.200s", json ? json : "");
    }
    mm_status st = MM_OK;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, "encoder"), *w = cJSON_GetObjectItemCaseSensitive(o, "weights"),
                *h = cJSON_GetObjectItemCaseSensitive(o, "weights_hash");
    if (!cJSON_IsString(a) || strlen(a->valuestring) >= sizeof p->arch)
        st = mm_error_set(err, MM_EINVAL, "image encoder config: \"encoder\" must name an architecture");
    else snprintf(p->arch, sizeof p->arch, "%s", a->valuestring);
    if (!st && w) {
        if (!cJSON_IsString(w) || strlen(w->valuestring) >= sizeof p->weights)
            st = mm_error_set(err, MM_EINVAL, "image encoder config: \"weights\" must be a path");
        else snprintf(p->weights, sizeof p->weights, "%s", w->valuestring);
    }
    if (!st && h) {
        char *end = NULL;
        if (cJSON_IsString(h)) p->weights_hash = strtoull(h->valuestring, &end, 16);
        if (!cJSON_IsString(h) || !end || *end || strlen(h->valuestring) != 16)
            st = mm_error_set(err, MM_EINVAL, "image encoder config: \"weights_hash\" must be 16 hex digits");
    }
    if (!st && (!get_size(o, "resize", &p->resize) || !get_size(o, "crop", &p->crop) || !get_size(o, "batch", &p->batch)))
        st = mm_error_set(err, MM_EINVAL, "image encoder config: resize, crop and batch must be integers");
    for (const cJSON *e = o->child; e && !st; e = e->next)
        if (strcmp(e->string, "encoder") && strcmp(e->string, "weights") && strcmp(e->string, "weights_hash") &&
            strcmp(e->string, "resize") && strcmp(e->string, "crop") && strcmp(e->string, "batch"))
            st = mm_error_set(err, MM_EINVAL, "image encoder config: unknown key \"%s\"", e->string);
    cJSON_Delete(o);
    return st ? st : check_params(p, err);
}

/* ----------------------------------------------------------- the encoder */

typedef struct cnn_state {
    mm_cnn_params p;
    mm_resnet *net;
    mm_preprocess_params pp;
    pthread_mutex_t lock;
    mm_nn_ctx *ctx;
    mm_preprocess *prep[MM_NN_MAX_THREADS];
    float *x;
    size_t x_images;
} cnn_state;

typedef struct decode_job {
    mm_preprocess **prep; /* one per thread */
    float *x;
    const char *const *paths;
    mm_status *status;
    mm_error *errs;
    size_t in_size;
} decode_job;

static void decode_task(size_t i, int tid, void *user)
{
    decode_job *J = user;
    J->status[i] = mm_preprocess_file(J->prep[tid], J->paths[i], J->x + i * J->in_size, &J->errs[i]);
}

/* Preprocesses and runs n files with ctx; out rows of failed files are 0. */
static mm_status run_batch(cnn_state *s, mm_nn_ctx *ctx, mm_preprocess **prep, float *x, const char *const *paths,
                           size_t n, float *out, mm_status *status, mm_error *errs, mm_error *err)
{
    size_t in_size = 3 * s->p.crop * s->p.crop, dim = mm_resnet_dim(s->net);
    for (size_t i = 0; i < n; i++) memset(&errs[i], 0, sizeof errs[i]);
    decode_job J = {prep, x, paths, status, errs, in_size};
    mm_nn_run(ctx, n, decode_task, &J);
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (status[i] != MM_OK) continue;
        if (m != i) memmove(x + m * in_size, x + i * in_size, in_size * sizeof *x);
        m++;
    }
    mm_status st = mm_resnet_forward(s->net, ctx, x, m, s->p.crop, s->p.crop, out, err);
    if (st) return st;
    /* spread the m results back to their files' rows, last first */
    size_t k = m;
    for (size_t i = n; i-- > 0;) {
        if (status[i] != MM_OK) {
            memset(out + i * dim, 0, dim * sizeof *out);
            continue;
        }
        k--;
        if (k != i) memmove(out + i * dim, out + k * dim, dim * sizeof *out);
    }
    return MM_OK;
}

static void fail_all(size_t n, mm_status *status, mm_error *errs, const mm_error *e)
{
    for (size_t i = 0; i < n; i++) {
        status[i] = e->code ? e->code : MM_ENOMEM;
        errs[i] = *e;
    }
}

static void cnn_encode_batch(const mm_file_encoder *e, const char *const *paths, size_t n, float *out,
                             mm_status *status, mm_error *errs, int n_threads)
{
    cnn_state *s = e->state;
    mm_error err = {0};
    mm_status st = MM_OK;
    pthread_mutex_lock(&s->lock);
    int nt = mm_threads_resolve(n_threads);
    if (s->ctx && mm_nn_ctx_threads(s->ctx) != (nt > MM_NN_MAX_THREADS ? MM_NN_MAX_THREADS : nt)) {
        mm_nn_ctx_free(s->ctx);
        s->ctx = NULL;
    }
    if (!s->ctx) st = mm_nn_ctx_new(nt, &s->ctx, &err);
    for (int t = 0; !st && t < mm_nn_ctx_threads(s->ctx); t++)
        if (!s->prep[t]) st = mm_preprocess_new(&s->pp, &s->prep[t], &err);
    size_t in_size = 3 * s->p.crop * s->p.crop;
    if (!st && n > s->x_images) {
        float *x = mm_alloc_array(n, in_size * sizeof(float));
        if (!x) st = mm_error_set(&err, MM_ENOMEM, "out of memory (%zu images of %zux%zu)", n, s->p.crop, s->p.crop);
        else {
            free(s->x);
            s->x = x;
            s->x_images = n;
        }
    }
    if (!st) st = run_batch(s, s->ctx, s->prep, s->x, paths, n, out, status, errs, &err);
    if (st) fail_all(n, status, errs, &err);
    pthread_mutex_unlock(&s->lock);
}

/* One file on the calling thread, with its own context and scratch (safe to
 * call from several threads at once). */
static mm_status cnn_encode(const mm_file_encoder *e, const char *path, float *out, mm_error *err)
{
    cnn_state *s = e->state;
    mm_nn_ctx *ctx = NULL;
    mm_preprocess *prep = NULL;
    float *x = malloc(3 * s->p.crop * s->p.crop * sizeof *x);
    mm_status st = x ? MM_OK : mm_error_set(err, MM_ENOMEM, "out of memory (%s)", path);
    if (!st) st = mm_nn_ctx_new(1, &ctx, err);
    if (!st) st = mm_preprocess_new(&s->pp, &prep, err);
    mm_status fst = MM_OK;
    mm_error ferr = {0};
    if (!st) st = run_batch(s, ctx, &prep, x, &path, 1, out, &fst, &ferr, err);
    if (!st && fst) {
        *err = ferr;
        st = fst;
    }
    mm_preprocess_free(prep);
    mm_nn_ctx_free(ctx);
    free(x);
    return st;
}

static void cnn_free(mm_file_encoder *e)
{
    if (!e) return;
    cnn_state *s = e->state;
    if (s) {
        mm_resnet_free(s->net);
        mm_nn_ctx_free(s->ctx);
        for (int t = 0; t < MM_NN_MAX_THREADS; t++) mm_preprocess_free(s->prep[t]);
        free(s->x);
        pthread_mutex_destroy(&s->lock);
        free(s);
    }
    free(e);
}

mm_status mm_cnn_encoder_new(const mm_cnn_params *p, mm_file_encoder **out, mm_error *err)
{
    *out = NULL;
    mm_status st = check_params(p, err);
    if (st) return st;
    mm_cnn_params q = *p;
    /* A model trained elsewhere: its recorded path may not exist here, but
     * the registry's file for the same architecture may (checked by hash). */
    struct stat sb;
    if ((!q.weights[0] || stat(q.weights, &sb) != 0) && mm_models_find(q.arch)) {
        char path[PATH_MAX];
        mm_error e2 = {0};
        size_t len;
        if (mm_models_resolve(q.arch, path, sizeof path, &e2) == MM_OK && (len = strlen(path)) < sizeof q.weights)
            memcpy(q.weights, path, len + 1);
    }
    if (!q.weights[0]) return mm_error_set(err, MM_EINVAL, "image encoder %s: no weights file given", q.arch);
    mm_file_encoder *e = calloc(1, sizeof *e);
    cnn_state *s = calloc(1, sizeof *s);
    if (!e || !s) {
        free(e);
        free(s);
        return mm_error_set(err, MM_ENOMEM, "out of memory (image encoder)");
    }
    pthread_mutex_init(&s->lock, NULL);
    e->state = s;
    e->free = cnn_free;
    s->p = q;
    mm_resnet_params rp = mm_resnet_params_default();
    rp.arch = q.arch;
    st = mm_resnet_load(q.weights, &rp, &s->net, err);
    if (!st && q.weights_hash && mm_resnet_weights_hash(s->net) != q.weights_hash)
        st = mm_error_set(err, MM_EFORMAT,
                          "%s: these are not the weights the model was built with (content hash %016" PRIx64
                          ", expected %016" PRIx64 ")",
                          q.weights, mm_resnet_weights_hash(s->net), q.weights_hash);
    if (!st) {
        s->p.weights_hash = mm_resnet_weights_hash(s->net);
        s->pp = mm_preprocess_params_default();
        s->pp.resize = q.resize;
        s->pp.crop_width = s->pp.crop_height = q.crop;
        st = mm_preprocess_params_check(&s->pp, err);
    }
    /* The cache key identifies the weights by content, not by path (the
     * same file elsewhere gives the same features), and leaves out the
     * batch size, which does not change them. */
    mm_cnn_params key = s->p;
    key.weights[0] = '\0';
    key.batch = 0;
    if (!st) st = mm_cnn_params_to_json(&key, e->config, sizeof e->config, err);
    if (st) {
        cnn_free(e);
        return st;
    }
    snprintf(s->p.weights, sizeof s->p.weights, "%s", q.weights);
    e->kind = "image-cnn";
    e->modality = MM_MOD_IMAGE;
    e->dim = mm_resnet_dim(s->net);
    e->encode = cnn_encode;
    e->encode_batch = cnn_encode_batch;
    e->batch = q.batch;
    *out = e;
    return MM_OK;
}
