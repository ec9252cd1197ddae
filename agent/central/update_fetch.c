/* update_fetch.c - the update download on the loop (see update_fetch.h). */
#include "central/update_fetch.h"
#include "core/error.h"
#include "core/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CONNECT_TIMEOUT_MS 30000L
#define LOW_SPEED_TIME_S 60L

struct ts_update_fetch {
    ts_curl_uv *cu;
    CURL *easy;
    int fd;
    uint64_t resume_from; /* bytes in the .part file before this try */
    uint64_t got;         /* bytes written by this try */
    int64_t size;         /* whole file, -1 unknown */
    int checked_status;
    int too_big;
    ts_update_fetch_done done;
    void *arg;
    char curl_error[CURL_ERROR_SIZE];
};

/* scheme://host[:port] of a URL, into out ("" when unreadable). */
static void origin_of(const char *url, char *out, size_t outlen)
{
    const char *p = strstr(url, "://");
    out[0] = '\0';
    if (!p)
        return;
    size_t n = (size_t)(p + 3 - url) + strcspn(p + 3, "/?#");
    if (n < outlen)
        snprintf(out, outlen, "%.*s", (int)n, url);
}

int ts_update_same_origin(const char *url, const char *central_url)
{
    char a[512], b[512];
    origin_of(url, a, sizeof(a));
    origin_of(central_url, b, sizeof(b));
    return a[0] && strcasecmp(a, b) == 0;
}

/* The first bytes tell whether the server honoured the Range: a 200 to a
 * ranged request sends the whole file, so the .part starts over. */
static int check_status(ts_update_fetch *f)
{
    long code = 0;
    curl_off_t len = -1;
    curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_getinfo(f->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &len);
    if (f->resume_from && code == 200) {
        ts_info("update.download.restart", "reason=\"server ignored the range\"");
        if (ftruncate(f->fd, 0) != 0 || lseek(f->fd, 0, SEEK_SET) != 0)
            return TS_EIO;
        f->resume_from = 0;
    }
    f->size = len >= 0 ? (int64_t)f->resume_from + len : -1;
    f->checked_status = 1;
    return 0;
}

static size_t on_body(char *data, size_t size, size_t nmemb, void *arg)
{
    ts_update_fetch *f = arg;
    size_t len = size * nmemb, left = len;
    if (!f->checked_status && check_status(f) != 0)
        return 0;
    if (f->resume_from + f->got + len > (uint64_t)TS_UPDATE_MAX_BYTES) {
        f->too_big = 1;
        return 0;
    }
    while (left > 0) {
        ssize_t n = write(f->fd, data + (len - left), left);
        if (n < 0 && errno != EINTR)
            return 0;
        if (n > 0)
            left -= (size_t)n;
    }
    f->got += len;
    return len;
}

static void finish(ts_update_fetch *f, int ok, const char *why)
{
    ts_update_fetch_done done = f->done;
    void *arg = f->arg;
    uint64_t have = f->resume_from + f->got;
    if (f->fd >= 0 && ok && fsync(f->fd) != 0) {
        ok = 0;
        why = "cannot write the download to disk";
    }
    if (f->fd >= 0)
        close(f->fd);
    curl_easy_cleanup(f->easy);
    free(f);
    done(arg, ok, why, have);
}

static void on_done(void *arg, CURL *easy, CURLcode rc)
{
    ts_update_fetch *f = arg;
    char why[CURL_ERROR_SIZE + 64];
    long code = 0;
    curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &code);
    if (rc == CURLE_OK) {
        finish(f, 1, NULL);
    } else if (code == 416 && f->resume_from > 0) {
        finish(f, 1, NULL); /* the .part already holds the whole file */
    } else if (f->too_big) {
        snprintf(why, sizeof(why), "the file is larger than %lld MiB",
                 (long long)(TS_UPDATE_MAX_BYTES >> 20));
        finish(f, 0, why);
    } else {
        snprintf(why, sizeof(why), "download interrupted: %s",
                 f->curl_error[0] ? f->curl_error : curl_easy_strerror(rc));
        finish(f, 0, why);
    }
}

static void set_tls(CURL *e, const ts_config *cfg, const char *url)
{
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2);
    if (!ts_update_same_origin(url, cfg->central.url))
        return; /* the system trust store */
    curl_easy_setopt(e, CURLOPT_CAINFO, cfg->central.ca_file);
    curl_easy_setopt(e, CURLOPT_SSLCERT, cfg->central.cert_file);
    curl_easy_setopt(e, CURLOPT_SSLKEY, cfg->central.key_file);
}

static CURL *make_easy(ts_update_fetch *f, const ts_config *cfg, const char *url)
{
    CURL *e = curl_easy_init();
    if (!e)
        return NULL;
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_FAILONERROR, 1L);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, f);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, f->curl_error);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, CONNECT_TIMEOUT_MS);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, LOW_SPEED_TIME_S);
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)TS_UPDATE_MAX_BYTES);
    curl_easy_setopt(e, CURLOPT_RESUME_FROM_LARGE, (curl_off_t)f->resume_from);
    set_tls(e, cfg, url);
    return e;
}

int ts_update_fetch_start(ts_update_fetch **out, ts_curl_uv *cu, const ts_config *cfg,
                          const char *url, const char *part_path, ts_update_fetch_done done,
                          void *arg)
{
    struct stat st;
    ts_update_fetch *f = calloc(1, sizeof(*f));
    if (!f)
        return TS_ENOMEM;
    f->cu = cu;
    f->done = done;
    f->arg = arg;
    f->size = -1;
    f->fd = open(part_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (f->fd < 0 || fstat(f->fd, &st) != 0)
        goto fail;
    f->resume_from = (uint64_t)st.st_size;
    if (f->resume_from >= (uint64_t)TS_UPDATE_MAX_BYTES) { /* cannot be right: start over */
        if (ftruncate(f->fd, 0) != 0)
            goto fail;
        f->resume_from = 0;
    }
    if (!(f->easy = make_easy(f, cfg, url)) || ts_curl_uv_add(cu, f->easy, on_done, f) != 0)
        goto fail;
    ts_info("update.download.start", "url=\"%s\" resume_from=%llu", url,
            (unsigned long long)f->resume_from);
    *out = f;
    return 0;
fail:
    if (f->easy)
        curl_easy_cleanup(f->easy);
    if (f->fd >= 0)
        close(f->fd);
    free(f);
    return TS_EIO;
}

void ts_update_fetch_progress(const ts_update_fetch *f, uint64_t *got, int64_t *size)
{
    *got = f->resume_from + f->got;
    *size = f->size;
}

uint64_t ts_update_fetch_transferred(const ts_update_fetch *f)
{
    return f->got;
}

void ts_update_fetch_cancel(ts_update_fetch *f)
{
    ts_curl_uv_cancel(f->cu, f->easy);
    curl_easy_cleanup(f->easy);
    close(f->fd);
    free(f);
}
