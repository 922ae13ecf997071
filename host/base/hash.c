/* SHA-256 of files and buffers through OpenSSL's EVP interface. */
#include "base/hash.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

static void to_hex(const unsigned char *md, unsigned int len, char hex[65])
{
    static const char digits[] = "0123456789abcdef";
    unsigned int i;

    for (i = 0; i < len && i < 32; i++) {
        hex[2 * i] = digits[md[i] >> 4];
        hex[2 * i + 1] = digits[md[i] & 0x0f];
    }
    hex[2 * i] = '\0';
}

int gd_sha256_file(const char *path, char hex[65], gd_err *err)
{
    unsigned char buf[64 * 1024];
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;
    EVP_MD_CTX *ctx = NULL;
    FILE *f = NULL;
    size_t n;
    int rc;

    hex[0] = '\0';
    f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        return gd_err_set(err, e == ENOENT ? GD_ENOENT : GD_EIO, "%s: cannot open: %s", path,
                          strerror(e));
    }
    ctx = EVP_MD_CTX_new();
    if (!ctx) {
        rc = gd_err_set(err, GD_ENOMEM, "%s: sha256: out of memory", path);
        goto fail;
    }
    if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        rc = gd_err_set(err, GD_EIO, "%s: sha256: EVP_DigestInit_ex failed", path);
        goto fail;
    }
    while ((n = fread(buf, 1, sizeof buf, f)) > 0) {
        if (EVP_DigestUpdate(ctx, buf, n) != 1) {
            rc = gd_err_set(err, GD_EIO, "%s: sha256: EVP_DigestUpdate failed", path);
            goto fail;
        }
    }
    if (ferror(f)) {
        rc = gd_err_set(err, GD_EIO, "%s: read error", path);
        goto fail;
    }
    if (EVP_DigestFinal_ex(ctx, md, &md_len) != 1 || md_len != 32) {
        rc = gd_err_set(err, GD_EIO, "%s: sha256: EVP_DigestFinal_ex failed", path);
        goto fail;
    }
    to_hex(md, md_len, hex);
    rc = GD_OK;
fail:
    EVP_MD_CTX_free(ctx);
    fclose(f);
    return rc;
}

void gd_sha256_buf(const void *buf, size_t len, char hex[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int md_len = 0;

    /* EVP_Digest only fails without a usable provider; an empty string then
     * never compares equal to a real digest. */
    if (EVP_Digest(buf, len, md, &md_len, EVP_sha256(), NULL) != 1 || md_len != 32) {
        hex[0] = '\0';
        return;
    }
    to_hex(md, md_len, hex);
}
