/* Column roles: from the user's request, else inferred from the content.
 *
 * Inference looks at the non-missing cells of a column:
 *   - no value at all                               -> ignore
 *   - >= 90% of values end in an image/audio/video file extension -> that modality
 *   - >= 90% are numbers (mm_parse_number, io.h)    -> numeric, or id when the
 *     values are distinct integers and the name looks like an identifier
 *   - strings that are (nearly) all distinct, single words, and the name
 *     looks like an identifier or the values mix letters and digits -> id
 *   - strings averaging >= 3 words, or with spaces and many distinct values -> text
 *   - otherwise                                     -> categorical
 * The thresholds are deliberately simple so the printed reason explains them. */
#include "pipeline/internal.h"
#include "core/strdist.h"

#include "mmfuse/eval.h"

#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const role_names[] = {"ignore", "numeric", "categorical", "text", "image",
                                         "audio",  "video",   "target",      "id"};

const char *mm_role_name(mm_role r)
{
    if ((unsigned)r < sizeof role_names / sizeof role_names[0]) return role_names[r];
    return "?";
}

int mm_role_parse(const char *name)
{
    for (size_t i = 0; i < sizeof role_names / sizeof role_names[0]; i++)
        if (strcmp(name, role_names[i]) == 0) return (int)i;
    return -1;
}

static bool ends_with_ext(const char *s, size_t len, const char *const *exts)
{
    const char *dot = NULL;
    for (size_t i = len; i > 0; i--) {
        if (s[i - 1] == '.') {
            dot = s + i;
            break;
        }
        if (s[i - 1] == '/' || s[i - 1] == ' ') break;
    }
    if (!dot) return false;
    for (size_t k = 0; exts[k]; k++)
        if (strcasecmp(dot, exts[k]) == 0) return true;
    return false;
}

static const char *const image_exts[] = {"jpg", "jpeg", "png", "webp", "bmp", "gif",
                                         "tif", "tiff", "ppm", "pgm", NULL};
static const char *const audio_exts[] = {"wav", "flac", "ogg", "oga", "mp3", "opus", "aiff", "aif", NULL};
static const char *const video_exts[] = {"mp4", "avi", "mov", "mkv", "webm", "m4v", "mpg", "mpeg", NULL};

static bool name_looks_like_id(const char *name)
{
    size_t n = strlen(name);
    if (strcasecmp(name, "id") == 0 || strcasecmp(name, "key") == 0 || strcasecmp(name, "uuid") == 0)
        return true;
    if (n > 3 && (strcasecmp(name + n - 3, "_id") == 0 || strcasecmp(name + n - 3, "-id") == 0))
        return true;
    if (n > 2 && strcmp(name + n - 2, "Id") == 0) return true;
    if (n > 2 && strcmp(name + n - 2, "ID") == 0) return true;
    return false;
}

static int cmp_cstr(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

mm_role mm_infer_role(const mm_table *t, size_t col, char *why, size_t why_size)
{
    size_t n = mm_table_rows(t), present = 0, numeric = 0, images = 0, audios = 0, videos = 0;
    size_t words_total = 0, with_space = 0, alnum_mix = 0;
    const char **vals = mm_alloc_array(n ? n : 1, sizeof *vals);
    double *nums = mm_alloc_array(n ? n : 1, sizeof *nums);
    mm_role role = MM_ROLE_CATEGORICAL;
    if (!vals || !nums) {
        snprintf(why, why_size, "not enough memory to inspect");
        role = MM_ROLE_IGNORE;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *s = mm_table_cell(t, i, col, &len);
        if (!s) continue;
        double v;
        if (mm_parse_number(s, &v)) nums[numeric++] = v;
        images += ends_with_ext(s, len, image_exts);
        audios += ends_with_ext(s, len, audio_exts);
        videos += ends_with_ext(s, len, video_exts);
        size_t words = 0;
        bool in_word = false, has_alpha = false, has_digit = false, space = false;
        for (size_t k = 0; k < len; k++) {
            unsigned char c = (unsigned char)s[k];
            bool sp = c == ' ' || c == '\t' || c == '\n' || c == '\r';
            space |= sp;
            has_alpha |= isalpha(c) != 0;
            has_digit |= isdigit(c) != 0;
            if (!sp && !in_word) words++;
            in_word = !sp;
        }
        words_total += words;
        with_space += space;
        alnum_mix += has_alpha && has_digit && !space;
        vals[present++] = s;
    }
    if (present == 0) {
        snprintf(why, why_size, "no values");
        role = MM_ROLE_IGNORE;
        goto done;
    }
    const char *name = mm_table_col_name(t, col);
    if (images * 10 >= present * 9) {
        snprintf(why, why_size, "image file paths");
        role = MM_ROLE_IMAGE;
        goto done;
    }
    if (audios * 10 >= present * 9) {
        snprintf(why, why_size, "audio file paths");
        role = MM_ROLE_AUDIO;
        goto done;
    }
    if (videos * 10 >= present * 9) {
        snprintf(why, why_size, "video file paths");
        role = MM_ROLE_VIDEO;
        goto done;
    }
    if (numeric * 10 >= present * 9) {
        qsort(nums, numeric, sizeof *nums, cmp_double);
        size_t distinct = numeric ? 1 : 0;
        bool integral = true;
        for (size_t i = 0; i < numeric; i++) {
            if (i && nums[i] != nums[i - 1]) distinct++;
            if (nums[i] != (double)(long long)nums[i]) integral = false;
        }
        if (integral && distinct == numeric && name_looks_like_id(name)) {
            snprintf(why, why_size, "distinct integers, identifier-like name");
            role = MM_ROLE_ID;
        } else if (numeric < present) {
            snprintf(why, why_size, "%zu of %zu values numeric", numeric, present);
            role = MM_ROLE_NUMERIC;
        } else {
            snprintf(why, why_size, "all values numeric");
            role = MM_ROLE_NUMERIC;
        }
        goto done;
    }
    qsort(vals, present, sizeof *vals, cmp_cstr);
    size_t distinct = 1;
    for (size_t i = 1; i < present; i++) distinct += strcmp(vals[i], vals[i - 1]) != 0;
    double mean_words = (double)words_total / (double)present;
    bool unique = distinct * 100 >= present * 98 && present > 1;
    if (unique && with_space * 10 <= present && (name_looks_like_id(name) || alnum_mix * 10 >= present * 9)) {
        snprintf(why, why_size, "distinct single-word codes");
        role = MM_ROLE_ID;
    } else if (mean_words >= 3.0 || (with_space * 2 >= present && distinct * 5 > present)) {
        snprintf(why, why_size, "free text (%.1f words per value)", mean_words);
        role = MM_ROLE_TEXT;
    } else {
        snprintf(why, why_size, "%zu distinct values", distinct);
        role = MM_ROLE_CATEGORICAL;
    }
done:
    free(vals);
    free(nums);
    return role;
}

void mm_schema_free(mm_schema *s)
{
    if (!s) return;
    for (size_t i = 0; i < s->n_cols; i++) free(s->cols[i].name);
    free(s->cols);
    free(s);
}

/* What to tell a user whose column name is not in the table: the closest
 * name, the columns there are, and a likely delimiter when the header was
 * read as one column holding ';' or tabs. */
static const char *column_hint(const mm_table *t, const char *name, char *buf, size_t size)
{
    size_t nc = mm_table_cols(t), used = 0;
    buf[0] = '\0';
    if (nc == 1) {
        const char *only = mm_table_col_name(t, 0);
        const char *seps[] = {";", "\t", "|"}, *shown[] = {";", "tab", "|"};
        for (size_t k = 0; k < 3; k++)
            if (strstr(only, seps[k])) {
                snprintf(buf, size, "; the header was read as one column: the file looks %s-separated "
                         "(try --delimiter '%s')", shown[k], shown[k]);
                return buf;
            }
    }
    const char *cands[64];
    size_t nk = nc < 64 ? nc : 64;
    for (size_t j = 0; j < nk; j++) cands[j] = mm_table_col_name(t, j);
    long near = mm_closest_name(name, strlen(name), cands, nk);
    if (near >= 0) used += (size_t)snprintf(buf, size, "; did you mean '%s'?", cands[near]);
    if (used < size) used += (size_t)snprintf(buf + used, size - used, " Columns:");
    for (size_t j = 0; j < nc && used + 1 < size; j++) {
        const char *c = mm_table_col_name(t, j);
        if (used + strlen(c) + 16 >= size) {
            snprintf(buf + used, size - used, " ... (%zu in all)", nc);
            break;
        }
        used += (size_t)snprintf(buf + used, size - used, "%s %s", j ? "," : "", c);
    }
    return buf;
}

mm_status mm_schema_resolve(const mm_table *t, const mm_schema_request *req, mm_schema **out,
                            mm_error *err)
{
    *out = NULL;
    size_t nc = mm_table_cols(t);
    mm_schema *s = calloc(1, sizeof *s);
    if (!s) return mm_error_set(err, MM_ENOMEM, "out of memory");
    s->cols = calloc(nc ? nc : 1, sizeof *s->cols);
    if (!s->cols) {
        free(s);
        return mm_error_set(err, MM_ENOMEM, "out of memory");
    }
    s->n_cols = nc;
    s->target_col = -1;
    bool *given = calloc(nc ? nc : 1, sizeof *given);
    mm_status st = MM_OK;
    if (!given) {
        st = mm_error_set(err, MM_ENOMEM, "out of memory");
        goto fail;
    }
    for (size_t j = 0; j < nc; j++) {
        s->cols[j].name = strdup(mm_table_col_name(t, j));
        if (!s->cols[j].name) {
            st = mm_error_set(err, MM_ENOMEM, "out of memory");
            goto fail;
        }
    }
    long tc = -1;
    if (req->target && *req->target) {
        tc = mm_table_find_col(t, req->target);
        if (tc < 0) {
            char hint[360];
            st = mm_error_set(err, MM_EINVAL, "%s: no column named '%s' (the target)%s", mm_table_source(t),
                              req->target, column_hint(t, req->target, hint, sizeof hint));
            goto fail;
        }
        s->target_col = tc;
        s->cols[tc].role = MM_ROLE_TARGET;
        s->cols[tc].source = MM_SRC_FLAG;
        given[tc] = true;
    }
    for (size_t k = 0; k < req->n_names; k++) {
        const char *pat = req->names[k];
        const char *group = req->groups && req->groups[k] ? req->groups[k] : "";
        bool glob = strpbrk(pat, "*?[") != NULL;
        if (group[0] && (strpbrk(group, ":,= ") || strcmp(group, "tabular") == 0 || strlen(group) >= sizeof s->cols[0].group ||
                         !(req->roles[k] == MM_ROLE_NUMERIC || req->roles[k] == MM_ROLE_CATEGORICAL))) {
            st = mm_error_set(err, MM_EINVAL, "group '%s' (for '%s'): a group is a plain name (no ':', ',', '=' or "
                              "spaces, not 'tabular', under 48 bytes) of numeric or categorical columns", group, pat);
            goto fail;
        }
        size_t matched = 0;
        for (size_t j = 0; j < nc; j++) {
            const char *name = mm_table_col_name(t, j);
            if (glob ? fnmatch(pat, name, 0) != 0 : strcmp(pat, name) != 0) continue;
            matched++;
            if (glob && (long)j == tc) continue; /* a pattern never captures the target */
            if (given[j] && (s->cols[j].role != req->roles[k] || strcmp(s->cols[j].group, group) != 0)) {
                st = mm_error_set(err, MM_EINVAL, "column '%s' is given two roles: %s and %s%s%s", name,
                                  mm_role_name(s->cols[j].role), mm_role_name(req->roles[k]), group[0] ? " in group " : "",
                                  group);
                goto fail;
            }
            if (req->roles[k] == MM_ROLE_TARGET && (long)j != tc) {
                st = mm_error_set(err, MM_EINVAL, "column '%s': only one target column is allowed", name);
                goto fail;
            }
            given[j] = true;
            s->cols[j].role = req->roles[k];
            s->cols[j].source = req->sources ? req->sources[k] : MM_SRC_FLAG;
            snprintf(s->cols[j].group, sizeof s->cols[j].group, "%s", group);
        }
        if (matched == 0) {
            char hint[360];
            st = mm_error_set(err, MM_EINVAL, "%s: no column %s '%s' (given as %s)%s", mm_table_source(t),
                              glob ? "matches" : "named", pat, mm_role_name(req->roles[k]),
                              column_hint(t, pat, hint, sizeof hint));
            goto fail;
        }
    }
    for (size_t j = 0; j < nc; j++) {
        if (given[j]) continue;
        if (req->infer_rest) {
            s->cols[j].role = mm_infer_role(t, j, s->cols[j].why, sizeof s->cols[j].why);
            s->cols[j].source = MM_SRC_INFERRED;
        } else {
            s->cols[j].role = MM_ROLE_IGNORE;
            s->cols[j].source = MM_SRC_FLAG;
            snprintf(s->cols[j].why, sizeof s->cols[j].why, "not listed");
        }
    }
    free(given);
    *out = s;
    return MM_OK;
fail:
    free(given);
    mm_schema_free(s);
    return st;
}

/* ------------------------------------------------------------------ target */

void mm_classes_free(char **classes, size_t n)
{
    if (!classes) return;
    for (size_t i = 0; i < n; i++) free(classes[i]);
    free(classes);
}

typedef struct label_ref {
    const char *s;
    double v;
} label_ref;

static int cmp_label_num(const void *a, const void *b)
{
    const label_ref *x = a, *y = b;
    if (x->v != y->v) return x->v < y->v ? -1 : 1;
    return strcmp(x->s, y->s);
}

static int cmp_label_str(const void *a, const void *b)
{
    return strcmp(((const label_ref *)a)->s, ((const label_ref *)b)->s);
}

mm_status mm_target_inspect(const mm_table *t, size_t col, mm_target_info *info, mm_error *err)
{
    memset(info, 0, sizeof *info);
    size_t n = mm_table_rows(t);
    double *v = mm_alloc_array(n ? n : 1, sizeof *v);
    if (!v) return mm_error_set(err, MM_ENOMEM, "out of memory inspecting the target");
    bool numeric = true, integral = true;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        const char *s = mm_table_cell(t, i, col, NULL);
        if (!s) continue;
        info->present++;
        if (!numeric) continue;
        if (!mm_parse_number(s, &v[m])) {
            numeric = false;
            continue;
        }
        if (floor(v[m]) != v[m]) integral = false;
        m++;
    }
    if (numeric && info->present > 0) {
        qsort(v, m, sizeof *v, cmp_double);
        size_t distinct = 0;
        for (size_t i = 0; i < m; i++) distinct += i == 0 || v[i] != v[i - 1];
        info->numeric = true;
        info->integral = integral;
        info->distinct = distinct;
        info->continuous = !integral || distinct > MM_TARGET_MAX_INT_CLASSES;
    }
    free(v);
    return MM_OK;
}

mm_status mm_target_require_classes(const mm_table *t, size_t col, mm_error *err)
{
    mm_target_info ti;
    mm_status st = mm_target_inspect(t, col, &ti, err);
    if (st || !ti.continuous) return st;
    char why[96];
    if (!ti.integral)
        snprintf(why, sizeof why, "%zu distinct values, not all integers", ti.distinct);
    else
        snprintf(why, sizeof why, "%zu distinct integer values, more than %d", ti.distinct,
                 MM_TARGET_MAX_INT_CLASSES);
    return mm_error_set(err, MM_EFORMAT,
                        "%s: target '%s' looks numeric (%s): classification needs a categorical "
                        "target (text labels, or whole numbers with at most %d distinct values); "
                        "regression (--task regression) is not available yet",
                        mm_table_source(t), mm_table_col_name(t, col), why, MM_TARGET_MAX_INT_CLASSES);
}

void mm_target_note_small_class(mm_data_report *rep, const int32_t *y, size_t n, char *const *classes,
                                size_t K, size_t folds, bool inner)
{
    int32_t label;
    size_t count, small;
    if (!rep || !mm_least_populated_class(y, n, K, folds, &label, &count, &small) || count >= folds)
        return;
    rep->small_class_count = count;
    rep->small_class_folds = folds;
    rep->small_classes = small;
    rep->small_class_inner = inner;
    snprintf(rep->small_class, sizeof rep->small_class, "%s", classes[label]);
}

mm_status mm_target_encode(const mm_table *t, size_t col, char ***classes_out, size_t *n_out,
                           int32_t **y_out, mm_error *err)
{
    size_t n = mm_table_rows(t), m = 0;
    *classes_out = NULL;
    *n_out = 0;
    *y_out = NULL;
    /* a target that looks continuous is not a set of classes */
    mm_status st = mm_target_require_classes(t, col, err);
    if (st) return st;
    label_ref *refs = mm_alloc_array(n ? n : 1, sizeof *refs);
    int32_t *y = mm_alloc_array(n ? n : 1, sizeof *y);
    if (!refs || !y) {
        free(refs);
        free(y);
        return mm_error_set(err, MM_ENOMEM, "out of memory encoding the target");
    }
    bool all_numeric = true;
    for (size_t i = 0; i < n; i++) {
        const char *s = mm_table_cell(t, i, col, NULL);
        if (!s) continue;
        refs[m].s = s;
        if (!mm_parse_number(s, &refs[m].v)) all_numeric = false;
        m++;
    }
    qsort(refs, m, sizeof *refs, all_numeric ? cmp_label_num : cmp_label_str);
    /* distinct labels; numerically equal spellings ("1" and "1.0") are one class */
    size_t k = 0;
    for (size_t i = 0; i < m; i++) {
        bool same = i > 0 && (all_numeric ? refs[i].v == refs[i - 1].v : strcmp(refs[i].s, refs[i - 1].s) == 0);
        if (!same) refs[k++] = refs[i];
    }
    char **classes = calloc(k ? k : 1, sizeof *classes);
    if (!classes) {
        free(refs);
        free(y);
        return mm_error_set(err, MM_ENOMEM, "out of memory encoding the target");
    }
    for (size_t c = 0; c < k; c++) {
        classes[c] = strdup(refs[c].s);
        if (!classes[c]) {
            mm_classes_free(classes, c);
            free(refs);
            free(y);
            return mm_error_set(err, MM_ENOMEM, "out of memory encoding the target");
        }
    }
    for (size_t i = 0; i < n; i++) {
        const char *s = mm_table_cell(t, i, col, NULL);
        y[i] = -1;
        if (!s) continue;
        label_ref key = {s, 0};
        if (all_numeric) mm_parse_number(s, &key.v);
        size_t lo = 0, hi = k;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            int c = all_numeric ? cmp_label_num(&refs[mid], &key) : cmp_label_str(&refs[mid], &key);
            if (all_numeric && refs[mid].v == key.v) c = 0;
            if (c == 0) {
                lo = mid;
                break;
            }
            if (c < 0) lo = mid + 1;
            else hi = mid;
        }
        y[i] = (int32_t)lo;
    }
    free(refs);
    *classes_out = classes;
    *n_out = k;
    *y_out = y;
    return MM_OK;
}
