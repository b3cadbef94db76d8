/* The registry of pretrained encoders, the models directory and the
 * resolution of "NAME or PATH" weight specs. */
#include "mmfuse/models.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define MM_TIMM_URL(repo) "https://huggingface.co/timm/" repo "/resolve/main/model.safetensors"

/* No checksum is listed: one is filled in only once it has been checked
 * against the published file. The size limits are the float32 parameters
 * (11,689,512 / 21,797,672 / 25,557,032) and batch-norm statistics, about
 * 46.8 / 87.3 / 102.5 MB, plus about 25% for headers and other layouts. */
static const mm_model_entry registry[] = {
    {"resnet18", "resnet18", 512, "resnet18.safetensors", MM_TIMM_URL("resnet18.tv_in1k"), NULL,
     "ResNet-18, torchvision ImageNet-1k weights (BSD-3-Clause) via timm/resnet18.tv_in1k, "
     "224x224 RGB input", UINT64_C(60000000)},
    {"resnet34", "resnet34", 512, "resnet34.safetensors", MM_TIMM_URL("resnet34.tv_in1k"), NULL,
     "ResNet-34, torchvision ImageNet-1k weights (BSD-3-Clause) via timm/resnet34.tv_in1k, "
     "224x224 RGB input", UINT64_C(110000000)},
    {"resnet50", "resnet50", 2048, "resnet50.safetensors", MM_TIMM_URL("resnet50.tv_in1k"), NULL,
     "ResNet-50, torchvision ImageNet-1k weights (BSD-3-Clause) via timm/resnet50.tv_in1k, "
     "224x224 RGB input", UINT64_C(130000000)},
};

size_t mm_models_count(void) { return sizeof registry / sizeof registry[0]; }

const mm_model_entry *mm_models_at(size_t i)
{
    return i < mm_models_count() ? &registry[i] : NULL;
}

const mm_model_entry *mm_models_find(const char *name)
{
    if (!name) return NULL;
    for (size_t i = 0; i < mm_models_count(); i++)
        if (strcmp(registry[i].name, name) == 0) return &registry[i];
    return NULL;
}

static const char *env_nonempty(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

mm_status mm_models_dir(char *buf, size_t n, mm_error *err)
{
    if (!buf || n == 0) return mm_error_set(err, MM_EINVAL, "models dir: no output buffer");
    const char *v, *tail;
    if ((v = env_nonempty("MMFUSE_MODEL_DIR")))
        tail = "";
    else if ((v = env_nonempty("XDG_CACHE_HOME")))
        tail = "/mmfuse/models";
    else if ((v = env_nonempty("HOME")))
        tail = "/.cache/mmfuse/models";
    else
        return mm_error_set(err, MM_EINVAL,
                            "models dir: none of MMFUSE_MODEL_DIR, XDG_CACHE_HOME, HOME is set");
    /* "dir/" and "dir" name the same place; keep one spelling in messages. */
    size_t vl = strlen(v);
    while (vl > 1 && v[vl - 1] == '/') vl--;
    if (vl == 1 && v[0] == '/' && *tail) vl = 0; /* "/" + "/.cache/..." */
    int len = snprintf(buf, n, "%.*s%s", (int)(vl < 65536 ? vl : 65536), v, tail);
    if (len < 0 || (size_t)len >= n || vl >= 65536) {
        buf[0] = '\0';
        return mm_error_set(err, MM_EINVAL, "models dir: path longer than %zu bytes", n - 1);
    }
    return MM_OK;
}

static bool is_file(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 && !S_ISDIR(sb.st_mode);
}

mm_status mm_models_resolve(const char *name_or_path, char *out, size_t n, mm_error *err)
{
    if (!out || n == 0) return mm_error_set(err, MM_EINVAL, "models: no output buffer");
    out[0] = '\0';
    if (!name_or_path || !*name_or_path)
        return mm_error_set(err, MM_EINVAL, "models: empty model name or weights path");
    const mm_model_entry *e = mm_models_find(name_or_path);
    if (!e || is_file(name_or_path)) {
        if (!is_file(name_or_path)) {
            char known[128] = "";
            for (size_t i = 0; i < mm_models_count(); i++) {
                size_t k = strlen(known);
                snprintf(known + k, sizeof known - k, "%s%s", i ? ", " : "", registry[i].name);
            }
            return mm_error_set(err, MM_EIO,
                                "%s: no such weights file, and not a registered model (%s; "
                                "see `mmfuse models`)",
                                name_or_path, known);
        }
        if (strlen(name_or_path) >= n)
            return mm_error_set(err, MM_EINVAL, "%s: path longer than %zu bytes", name_or_path,
                                n - 1);
        memcpy(out, name_or_path, strlen(name_or_path) + 1);
        return MM_OK;
    }
    char dir[4096];
    mm_status st = mm_models_dir(dir, sizeof dir, err);
    if (st) return st;
    int len = snprintf(out, n, "%s/%s", dir, e->file);
    if (len < 0 || (size_t)len >= n) {
        out[0] = '\0';
        return mm_error_set(err, MM_EINVAL, "%s: path %s/%s longer than %zu bytes", e->name, dir,
                            e->file, n - 1);
    }
    if (!is_file(out)) {
        mm_error_set(err, MM_EIO,
                     "%s: weights not found at %s; run `mmfuse models pull %s` to download them "
                     "(or give a file: %s:/path/to/weights.safetensors)",
                     e->name, out, e->name, e->name);
        out[0] = '\0';
        return MM_EIO;
    }
    return MM_OK;
}
