/* Downloading weight files with libcurl into an atomically replaced file,
 * hashing the bytes as they arrive so that no second pass is needed. */
#include "mmfuse/models.h"

#include "io/atomic.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

mm_download_params mm_download_params_default(void)
{
    mm_download_params p = {NULL, false, 0, 0, 0, 0, NULL, NULL};
    return p;
}

typedef struct dl_state {
    mm_io_atomic out;
    mm_sha256 sha;
    curl_off_t got;
    mm_status st;  /* first failure inside a callback */
    mm_error *err;
    mm_progress_bar *bar;
    const char *url;
    uint64_t max_bytes; /* 0 = no limit */
} dl_state;

static mm_status too_big(const char *url, uint64_t max_bytes, mm_error *err)
{
    return mm_error_set(err, MM_EFORMAT,
                        "%s: the file is larger than the limit of %llu bytes for it; download aborted", url,
                        (unsigned long long)max_bytes);
}

static size_t on_data(char *data, size_t size, size_t nmemb, void *user)
{
    dl_state *s = user;
    size_t n = size * nmemb;
    /* A chunked body announces no length, so the limit is enforced here as
     * well as through CURLOPT_MAXFILESIZE_LARGE. */
    if (s->max_bytes && (uint64_t)s->got + n > s->max_bytes) {
        s->st = too_big(s->url, s->max_bytes, s->err);
        mm_io_atomic_abort(&s->out);
        return n == 0 ? 1 : 0;
    }
    mm_sha256_update(&s->sha, data, n);
    /* mm_io_atomic_write removes the temporary file itself on failure. */
    s->st = mm_io_atomic_write(&s->out, data, n, s->err);
    if (s->st) return n == 0 ? 1 : 0; /* any count != n makes curl stop */
    s->got += (curl_off_t)n;
    return n;
}

static int on_progress(void *user, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)ultotal;
    (void)ulnow;
    dl_state *s = user;
    /* Units of KiB keep the bar's "done/total" readable; unknown totals
     * (chunked responses) draw nothing. */
    if (dltotal > 0)
        mm_progress_bar_update("download (KiB)", (size_t)(dlnow / 1024), (size_t)(dltotal / 1024),
                               s->bar);
    return 0;
}

static bool valid_hex64(const char *h)
{
    if (!h || strlen(h) != 64) return false;
    for (const char *c = h; *c; c++)
        if (!((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') || (*c >= 'A' && *c <= 'F')))
            return false;
    return true;
}

/* mkdir -p of the directory part of `path`. */
static mm_status make_parents(const char *path, mm_error *err)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash == path) return MM_OK;
    size_t n = (size_t)(slash - path);
    char *dir = malloc(n + 1);
    if (!dir) return mm_error_set(err, MM_ENOMEM, "%s: out of memory", path);
    memcpy(dir, path, n);
    dir[n] = '\0';
    mm_status st = MM_OK;
    for (char *p = dir + 1;; p++) {
        bool end = *p == '\0';
        if (!end && *p != '/') continue;
        *p = '\0';
        struct stat sb;
        if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
            int e = errno;
            st = mm_error_set(err, MM_EIO, "%s: cannot create directory %s: %s", path, dir,
                              strerror(e));
            break;
        }
        if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode)) {
            st = mm_error_set(err, MM_EIO, "%s: %s exists and is not a directory", path, dir);
            break;
        }
        if (end) break;
        *p = '/';
    }
    free(dir);
    return st;
}

static bool scheme_is(const char *url, const char *scheme)
{
    return strncasecmp(url, scheme, strlen(scheme)) == 0;
}

static void set_protocols(CURL *c)
{
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85: protocol lists as strings */
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https,file");
    /* A server may redirect only to the network, never to a local file. */
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS | CURLPROTO_FILE));
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

static mm_status transfer(CURL *c, const char *url, dl_state *s, const mm_download_params *p,
                          mm_error *err)
{
    char ebuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    set_protocols(c);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 10L);
    curl_easy_setopt(c, CURLOPT_FAILONERROR, 1L);
    long stall_s = p->stall_s > 0 ? p->stall_s : 30L;
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, p->timeout_s > 0 ? p->timeout_s : 30L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, (long)MM_DOWNLOAD_STALL_BYTES_PER_S);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, stall_s);
    if (p->max_time_s > 0) curl_easy_setopt(c, CURLOPT_TIMEOUT, p->max_time_s);
    if (p->max_bytes > 0 && p->max_bytes <= (uint64_t)INT64_MAX)
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)p->max_bytes);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "mmfuse/" MM_VERSION_STRING);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, s);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);

    CURLcode rc = curl_easy_perform(c);
    if (s->st) return s->st; /* our write failed: that message is the useful one */
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    if (rc == CURLE_HTTP_RETURNED_ERROR || (rc == CURLE_OK && code >= 400))
        return mm_error_set(err, MM_EIO, "%s: HTTP status %ld (download failed)", url, code);
    if (rc == CURLE_FILESIZE_EXCEEDED) return too_big(url, p->max_bytes, err);
    if (rc == CURLE_OPERATION_TIMEDOUT) {
        curl_off_t total_us = 0;
        curl_easy_getinfo(c, CURLINFO_TOTAL_TIME_T, &total_us);
        if (p->max_time_s > 0 && total_us >= (curl_off_t)p->max_time_s * 1000000 - 50000)
            return mm_error_set(err, MM_EIO, "%s: the download did not finish within %ld s (after %lld bytes); aborted",
                                url, p->max_time_s, (long long)s->got);
        if (code > 0 || s->got > 0)
            return mm_error_set(err, MM_EIO,
                                "%s: the download stalled (under %d bytes/s for %ld s, after %lld bytes); aborted",
                                url, MM_DOWNLOAD_STALL_BYTES_PER_S, stall_s, (long long)s->got);
    }
    if (rc != CURLE_OK)
        return mm_error_set(err, MM_EIO, "%s: download failed: %s", url,
                            ebuf[0] ? ebuf : curl_easy_strerror(rc));
    curl_off_t expect = -1;
    curl_easy_getinfo(c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &expect);
    if (expect >= 0 && expect != s->got)
        return mm_error_set(err, MM_EIO, "%s: short transfer: got %lld of %lld bytes", url,
                            (long long)s->got, (long long)expect);
    return MM_OK;
}

mm_status mm_download(const char *url, const char *dest, const mm_download_params *p,
                      mm_error *err)
{
    mm_download_params def = mm_download_params_default();
    if (!p) p = &def;
    if (!url || !*url) return mm_error_set(err, MM_EINVAL, "download: empty URL");
    if (!dest || !*dest) return mm_error_set(err, MM_EINVAL, "%s: empty destination path", url);
    if (!scheme_is(url, "http://") && !scheme_is(url, "https://") && !scheme_is(url, "file://"))
        return mm_error_set(err, MM_EINVAL, "%s: unsupported URL (use http://, https:// or file://)",
                            url);
    if (p->sha256 && !valid_hex64(p->sha256))
        return mm_error_set(err, MM_EINVAL, "%s: expected SHA-256 '%s' is not 64 hex digits", url,
                            p->sha256);
    mm_status st = make_parents(dest, err);
    if (st) return st;

    /* Reference-counted by libcurl, so balanced init/cleanup per call is safe
     * next to other users and leaves nothing allocated afterwards. */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return mm_error_set(err, MM_ENOMEM, "%s: cannot initialise libcurl", url);
    CURL *c = curl_easy_init();
    if (!c) {
        curl_global_cleanup();
        return mm_error_set(err, MM_ENOMEM, "%s: cannot initialise libcurl", url);
    }
    mm_progress_bar bar;
    mm_progress_bar_init(&bar, p->progress);
    dl_state s = {.got = 0, .st = MM_OK, .err = err, .bar = &bar, .url = url, .max_bytes = p->max_bytes};
    mm_sha256_init(&s.sha);
    st = mm_io_atomic_open(&s.out, dest, err);
    if (!st) {
        st = transfer(c, url, &s, p, err);
        mm_progress_bar_finish(&bar);
    }
    curl_easy_cleanup(c);
    curl_global_cleanup();
    char hex[65] = "";
    if (!st) {
        uint8_t d[32];
        mm_sha256_final(&s.sha, d);
        for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", d[i]);
    }
    if (!st && p->sha256 && strcasecmp(hex, p->sha256) != 0)
        st = mm_error_set(err, MM_EFORMAT, "%s: SHA-256 mismatch: expected %s, got %s", url, p->sha256, hex);
    if (!st && p->verify) st = p->verify(s.out.tmp, hex, p->verify_user, err);
    if (!st) return mm_io_atomic_commit(&s.out, err);
    mm_io_atomic_abort(&s.out); /* safe when the open failed or a write already aborted */
    return st;
}
