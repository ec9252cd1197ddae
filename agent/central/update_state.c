/* update_state.c - the self-update's files in data_dir (see update_state.h). */
#include "central/update_state.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define STATE_FILE "update-state.json"
#define STATE_MAX_BYTES (64 * 1024)

int ts_fsync_parent(const char *path)
{
    char copy[1200];
    snprintf(copy, sizeof(copy), "%s", path);
    int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return TS_EIO;
    int rc = fsync(fd) == 0 ? 0 : TS_EIO;
    close(fd);
    return rc;
}

int ts_write_file_durable(const char *path, const void *data, size_t len, int mode)
{
    char tmp[1200];
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return TS_EIO;
    const char *p = data;
    int rc = 0;
    while (len > 0 && rc == 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno != EINTR)
            rc = TS_EIO;
        else if (n > 0) {
            p += n;
            len -= (size_t)n;
        }
    }
    if (rc == 0 && fsync(fd) != 0)
        rc = TS_EIO;
    if (close(fd) != 0)
        rc = TS_EIO;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = TS_EIO;
    if (rc)
        unlink(tmp);
    return rc ? rc : ts_fsync_parent(path);
}

static void get_str(const cJSON *obj, const char *key, char *out, size_t outlen)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    snprintf(out, outlen, "%s", cJSON_IsString(v) ? v->valuestring : "");
}

static int64_t get_num(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static void from_json(const cJSON *root, ts_update_state *st)
{
    get_str(root, "previous", st->previous, sizeof(st->previous));
    get_str(root, "previous_label", st->previous_label, sizeof(st->previous_label));
    st->previous_format = (uint32_t)get_num(root, "previous_format");
    get_str(root, "probation", st->probation, sizeof(st->probation));
    st->starts = (int)get_num(root, "starts");
    st->first_start_ms = get_num(root, "first_start_ms");
    get_str(root, "last_result", st->last_result, sizeof(st->last_result));
    st->last_result_ms = get_num(root, "last_result_ms");
    st->rolled_back = (int)get_num(root, "rolled_back");
    st->rollbacks = (uint64_t)get_num(root, "rollbacks");
    const cJSON *b;
    cJSON_ArrayForEach(b, cJSON_GetObjectItemCaseSensitive(root, "bad"))
    {
        if (st->n_bad >= TS_UPDATE_MAX_BAD)
            break;
        ts_update_bad *e = &st->bad[st->n_bad++];
        get_str(b, "version", e->version, sizeof(e->version));
        get_str(b, "reason", e->reason, sizeof(e->reason));
        e->starts = (int)get_num(b, "starts");
        e->at_ms = get_num(b, "at_ms");
    }
}

int ts_update_state_load(const char *data_dir, ts_update_state *st)
{
    char path[1200], *buf = malloc(STATE_MAX_BYTES);
    memset(st, 0, sizeof(*st));
    snprintf(path, sizeof(path), "%s/" STATE_FILE, data_dir);
    FILE *f = fopen(path, "rbe");
    int rc = 0;
    if (!buf) {
        rc = TS_ENOMEM;
    } else if (!f) {
        rc = errno == ENOENT ? 0 : TS_EIO;
    } else {
        size_t n = fread(buf, 1, STATE_MAX_BYTES, f);
        cJSON *root = cJSON_ParseWithLength(buf, n);
        if (cJSON_IsObject(root))
            from_json(root, st);
        else
            rc = TS_EIO;
        cJSON_Delete(root);
    }
    if (f)
        fclose(f);
    free(buf);
    return rc;
}

static cJSON *to_json(const ts_update_state *st)
{
    cJSON *root = cJSON_CreateObject(), *bad = cJSON_AddArrayToObject(root, "bad");
    cJSON_AddStringToObject(root, "previous", st->previous);
    cJSON_AddStringToObject(root, "previous_label", st->previous_label);
    cJSON_AddNumberToObject(root, "previous_format", st->previous_format);
    cJSON_AddStringToObject(root, "probation", st->probation);
    cJSON_AddNumberToObject(root, "starts", st->starts);
    cJSON_AddNumberToObject(root, "first_start_ms", (double)st->first_start_ms);
    cJSON_AddStringToObject(root, "last_result", st->last_result);
    cJSON_AddNumberToObject(root, "last_result_ms", (double)st->last_result_ms);
    cJSON_AddNumberToObject(root, "rolled_back", st->rolled_back);
    cJSON_AddNumberToObject(root, "rollbacks", (double)st->rollbacks);
    for (int i = 0; i < st->n_bad; i++) {
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "version", st->bad[i].version);
        cJSON_AddStringToObject(e, "reason", st->bad[i].reason);
        cJSON_AddNumberToObject(e, "starts", st->bad[i].starts);
        cJSON_AddNumberToObject(e, "at_ms", (double)st->bad[i].at_ms);
        cJSON_AddItemToArray(bad, e);
    }
    return root;
}

int ts_update_state_save(const char *data_dir, const ts_update_state *st)
{
    char path[1200];
    cJSON *root = to_json(st);
    char *text = root ? cJSON_Print(root) : NULL;
    int rc = TS_ENOMEM;
    snprintf(path, sizeof(path), "%s/" STATE_FILE, data_dir);
    if (text)
        rc = ts_write_file_durable(path, text, strlen(text), 0640);
    if (rc)
        ts_error("update.state_write_failed", "path=\"%s\" err=\"%s\"", path, ts_strerror(rc));
    free(text);
    cJSON_Delete(root);
    return rc;
}

int ts_update_is_bad(const ts_update_state *st, const char *version)
{
    for (int i = 0; i < st->n_bad; i++)
        if (strcmp(st->bad[i].version, version) == 0)
            return 1;
    return 0;
}

void ts_update_mark_bad(ts_update_state *st, const char *version, const char *reason, int starts)
{
    int i = 0;
    while (i < st->n_bad && strcmp(st->bad[i].version, version) != 0)
        i++;
    if (i == TS_UPDATE_MAX_BAD) { /* full: forget the oldest */
        memmove(&st->bad[0], &st->bad[1], sizeof(st->bad[0]) * (TS_UPDATE_MAX_BAD - 1));
        i = TS_UPDATE_MAX_BAD - 1;
    } else if (i == st->n_bad) {
        st->n_bad++;
    }
    ts_update_bad *e = &st->bad[i];
    snprintf(e->version, sizeof(e->version), "%s", version);
    snprintf(e->reason, sizeof(e->reason), "%s", reason);
    e->starts = starts;
    e->at_ms = ts_wall_ms();
}

void ts_update_set_result(ts_update_state *st, int rolled_back, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->last_result, sizeof(st->last_result), fmt, ap);
    va_end(ap);
    st->last_result_ms = ts_wall_ms();
    st->rolled_back = rolled_back;
}

int ts_update_read_current(const char *data_dir, char *out, size_t outlen)
{
    char link[1200], target[1200];
    snprintf(link, sizeof(link), "%s/current", data_dir);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    if (n < 0)
        return errno == ENOENT ? TS_ENOTFOUND : TS_EIO;
    target[n] = '\0';
    const char *v = strncmp(target, "versions/", 9) == 0 ? target + 9 : NULL;
    if (!v || strchr(v, '/') || strlen(v) >= outlen)
        return TS_EIO;
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

void ts_update_binary_path(const char *data_dir, const char *version, char *out, size_t outlen)
{
    snprintf(out, outlen, "%s/versions/%s/tillsync", data_dir, version);
}

/* A relative symlink, so data_dir may move; rename makes the switch atomic. */
int ts_update_switch_current(const char *data_dir, const char *version)
{
    char link[1200], tmp[1200], target[200];
    snprintf(link, sizeof(link), "%s/current", data_dir);
    if (!version || !version[0]) {
        if (unlink(link) != 0 && errno != ENOENT)
            return TS_EIO;
        return ts_fsync_parent(link);
    }
    snprintf(tmp, sizeof(tmp), "%s/current.tmp", data_dir);
    snprintf(target, sizeof(target), "versions/%s", version);
    unlink(tmp);
    if (symlink(target, tmp) != 0 || rename(tmp, link) != 0) {
        unlink(tmp);
        return TS_EIO;
    }
    return ts_fsync_parent(link);
}

int ts_update_roll_back(const char *data_dir, ts_update_state *st, const char *reason,
                        uint32_t store_format)
{
    char failed[sizeof(st->probation)];
    const char *prev = st->previous_label[0] ? st->previous_label : "the packaged version";
    snprintf(failed, sizeof(failed), "%s", st->probation);
    ts_update_mark_bad(st, failed, reason, st->starts);
    st->probation[0] = '\0';
    st->rollbacks++;
    int one_way = st->previous_format && store_format && store_format != st->previous_format;
    if (one_way) {
        ts_update_set_result(st, 1,
                             "%s failed its probation (%s, %d starts) but changed the store to "
                             "format %u, which %s cannot read: kept %s running; ship a fixed build",
                             failed, reason, st->starts, store_format, prev, failed);
    } else {
        ts_update_switch_current(data_dir, st->previous);
        ts_update_set_result(st, 1, "%s rolled back to %s: %s (%d starts)", failed, prev, reason,
                             st->starts);
    }
    ts_warn("update.rolled_back", "version=%s reason=\"%s\" starts=%d one_way=%d", failed, reason,
            st->starts, one_way);
    st->starts = 0;
    ts_update_state_save(data_dir, st);
    return one_way;
}
