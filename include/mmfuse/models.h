/*
 * mmfuse/models.h — the registry of pretrained image encoders, the models
 * directory, SHA-256 and the weight downloader behind `mmfuse models`.
 *
 * Registry
 *   A short, fixed table of the pretrained CNN encoders the nn engine can run
 *   (ResNet-18/34/50 with torchvision's ImageNet-1k weights). Each entry names
 *   the architecture, the length of the feature vector it produces, the file
 *   name it is expected under in the models directory and the URL of a
 *   safetensors file with torchvision key names (conv1.weight, bn1.*,
 *   layerX.Y.convZ.weight, layerX.Y.downsample.0/1.*, fc.*). Any other
 *   safetensors file with the same key names works as well; the registry only
 *   saves typing the path.
 *
 * Models directory
 *   $MMFUSE_MODEL_DIR, else $XDG_CACHE_HOME/mmfuse/models, else
 *   $HOME/.cache/mmfuse/models (an empty variable counts as unset).
 *
 * Typical use (an image encoder given "resnet18" or "resnet18:PATH"):
 *
 *       char path[4096];
 *       mm_error err = {0};
 *       if (mm_models_resolve("resnet18", path, sizeof path, &err) != MM_OK)
 *           fprintf(stderr, "mmfuse: %s\n", err.msg);  // tells how to pull it
 *       const mm_model_entry *e = mm_models_find("resnet18");  // e->dim == 512
 *
 * Downloading (what `mmfuse models pull` does):
 *
 *       mm_download_params p = mm_download_params_default();
 *       p.sha256 = "…64 hex digits…";  // or NULL when no checksum is known
 *       mm_download(url, dest, &p, &err);
 *
 * SHA-256 follows FIPS 180-4 (Secure Hash Standard, 2015), §5.1.1 padding,
 * §5.3.3 initial values, §6.2.2 the compression function; it streams, so a
 * file of any size is hashed in constant memory.
 *
 * Thread safety: the registry is a constant table; every function here may
 * be called from several threads at once (mm_download initialises libcurl's
 * global state with reference counting on each call).
 */
#ifndef MMFUSE_MODELS_H
#define MMFUSE_MODELS_H

#include "mmfuse/core.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- registry */

typedef struct mm_model_entry {
    const char *name;   /* "resnet18", "resnet34", "resnet50"                       */
    const char *arch;   /* architecture id understood by the engine: same as name   */
    size_t dim;         /* feature vector length: 512, 512, 2048                    */
    const char *file;   /* expected file name in the models dir, e.g. "resnet18.safetensors" */
    const char *url;    /* where to download a safetensors file with torchvision/timm key names */
    const char *sha256; /* lowercase hex, or NULL when no verified checksum is known */
    const char *about;  /* one line: what it is, licence/source, input size          */
    uint64_t max_bytes; /* upper bound on the file's size (its float32 parameters plus
                           about 25%); `mmfuse models pull NAME` aborts a larger body */
} mm_model_entry;

/* Number of registry entries. */
MM_API size_t mm_models_count(void);
/* Entry i (0 <= i < mm_models_count()), or NULL past the end. The pointer
 * refers to a constant table and stays valid for the life of the process. */
MM_API const mm_model_entry *mm_models_at(size_t i);
/* The entry called `name` (exact, case-sensitive), or NULL if unknown. */
MM_API const mm_model_entry *mm_models_find(const char *name);

/* The models directory: $MMFUSE_MODEL_DIR, else $XDG_CACHE_HOME/mmfuse/models,
 * else $HOME/.cache/mmfuse/models. It is not created here.
 * Statuses: MM_EINVAL when buf is NULL/n is 0, when the path does not fit in
 * n bytes, or when none of the variables is set. */
MM_API mm_status mm_models_dir(char *buf, size_t n, mm_error *err);

/* Resolves a weights spec into a file path written to out (n bytes):
 *   - an existing file is returned as is;
 *   - a registry name gives <models dir>/<file> when that file exists;
 *   - otherwise MM_EIO with a message saying where the file was looked for
 *     and, for a registry name, to run `mmfuse models pull NAME`.
 * MM_EINVAL for an empty spec or a path longer than n - 1. */
MM_API mm_status mm_models_resolve(const char *name_or_path, char *out, size_t n,
                                   mm_error *err);

/* ----------------------------------------------------------------- SHA-256 */

/* Streaming SHA-256 state; treat the fields as private. */
typedef struct mm_sha256 {
    uint32_t h[8];
    uint64_t len; /* bytes hashed so far */
    uint8_t buf[64];
    size_t nbuf;
} mm_sha256;

MM_API void mm_sha256_init(mm_sha256 *s);
/* Hashes n more bytes (data may be NULL when n is 0). */
MM_API void mm_sha256_update(mm_sha256 *s, const void *data, size_t n);
/* Writes the 32-byte digest; s must be re-initialised before reuse. */
MM_API void mm_sha256_final(mm_sha256 *s, uint8_t out[32]);
/* SHA-256 of a whole file as 64 lowercase hex digits plus a NUL.
 * MM_EIO naming the file when it cannot be opened or read, or is not a
 * regular file (a FIFO, a device, a directory); MM_EFORMAT when it is
 * larger than the weights-file limit (4 GiB). */
MM_API mm_status mm_sha256_file(const char *path, char hex[65], mm_error *err);

/* ---------------------------------------------------------------- download */

/* A transfer slower than this many bytes per second for stall_s seconds is
 * abandoned. */
#define MM_DOWNLOAD_STALL_BYTES_PER_S 1024

typedef struct mm_download_params {
    const char *sha256; /* expected digest, 64 hex digits in either case, or NULL */
    bool progress;      /* draw mmfuse's progress bar on stderr (only on a TTY)    */
    long timeout_s;     /* connect timeout in seconds; 0 = default 30             */
    long stall_s;       /* seconds under MM_DOWNLOAD_STALL_BYTES_PER_S before the
                           transfer is abandoned; 0 = default 30                   */
    long max_time_s;    /* the whole transfer's limit in seconds; 0 = none         */
    uint64_t max_bytes; /* the largest body accepted; 0 = no limit. Checked against
                           the announced length and, for chunked bodies, as the
                           bytes arrive                                            */
    /* Called with the complete temporary file (closed to further writes, not
     * yet renamed) and its SHA-256 as 64 lowercase hex digits. A non-OK status
     * (with err set) removes the file, leaves dest untouched and is what
     * mm_download returns. NULL = no check. */
    mm_status (*verify)(const char *tmp_path, const char *sha256_hex, void *user, mm_error *err);
    void *verify_user;
} mm_download_params;

/* { NULL, false, 0, 0, 0, 0, NULL, NULL } */
MM_API mm_download_params mm_download_params_default(void);

/* Downloads url (http://, https:// or file://) to dest with libcurl,
 * following redirects and hashing while writing. dest is an output as
 * described in src/io/atomic.h: a regular file or a new name (a symbolic
 * link is followed; devices, FIFOs, sockets and directories are refused).
 * The bytes go to a temporary file next to it, which is fsync'ed and renamed
 * into place only when everything succeeded (a replaced file keeps its
 * permission bits); missing parent directories of dest are created. The
 * temporary file is recorded for removal on SIGINT/SIGTERM when the program
 * installed that cleanup. A transfer that stalls (under
 * MM_DOWNLOAD_STALL_BYTES_PER_S for p->stall_s seconds), runs past
 * p->max_time_s or grows past p->max_bytes is abandoned.
 * Statuses (dest untouched and no temporary file left on every failure):
 *   MM_EINVAL   empty url/dest, a scheme other than the three above, or a
 *               p->sha256 that is not 64 hex digits;
 *   MM_EIO      connection errors, HTTP status >= 400 (the message gives the
 *               status and the URL), a transfer shorter than announced, a
 *               stall or the overall time limit, a destination that is not
 *               a regular file or a new name, a file that cannot be written;
 *   MM_EFORMAT  the SHA-256 of the bytes differs from p->sha256 (the message
 *               shows the expected and the actual digest), or the body is
 *               larger than p->max_bytes; or what p->verify returned;
 *   MM_ENOMEM   libcurl could not be initialised.
 * p may be NULL (defaults). */
MM_API mm_status mm_download(const char *url, const char *dest, const mm_download_params *p,
                             mm_error *err);

#ifdef __cplusplus
}
#endif
#endif /* MMFUSE_MODELS_H */
