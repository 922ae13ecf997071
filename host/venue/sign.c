#include "venue/sign.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#define KEY_FILE_MAX 16384

struct gd_signer {
    gd_sign_kind kind;
    unsigned char *secret; /* HMAC: owned, scrubbed */
    size_t secret_len;
    EVP_PKEY *pkey;        /* Ed25519 */
};

gd_sign_kind gd_signer_kind(const gd_signer *s) { return s->kind; }

void gd_signer_free(gd_signer *s)
{
    if (!s)
        return;
    if (s->secret) {
        OPENSSL_cleanse(s->secret, s->secret_len);
        free(s->secret);
    }
    EVP_PKEY_free(s->pkey);
    free(s);
}

int gd_signer_hmac(const char *secret, size_t len, gd_signer **out, gd_err *err)
{
    *out = NULL;
    while (len && (secret[len - 1] == '\n' || secret[len - 1] == '\r' || secret[len - 1] == ' '))
        len--;
    if (len == 0)
        return gd_err_set(err, GD_EINVAL, "the API secret is empty");
    gd_signer *s = calloc(1, sizeof *s);
    if (!s || !(s->secret = malloc(len))) {
        free(s);
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    }
    memcpy(s->secret, secret, len);
    s->secret_len = len;
    s->kind = GD_SIGN_HMAC;
    *out = s;
    return 0;
}

int gd_signer_ed25519_pem(const char *pem, size_t len, gd_signer **out, gd_err *err)
{
    *out = NULL;
    if (len > INT32_MAX)
        return gd_err_set(err, GD_ERANGE, "the Ed25519 key is too long");
    BIO *b = BIO_new_mem_buf(pem, (int)len);
    if (!b)
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    if (!k)
        return gd_err_set(err, GD_EINVAL, "not a PEM private key (expected PKCS#8 Ed25519)");
    if (EVP_PKEY_id(k) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(k);
        return gd_err_set(err, GD_EINVAL, "the private key is not Ed25519");
    }
    gd_signer *s = calloc(1, sizeof *s);
    if (!s) {
        EVP_PKEY_free(k);
        return gd_err_set(err, GD_ENOMEM, "out of memory");
    }
    s->kind = GD_SIGN_ED25519;
    s->pkey = k;
    *out = s;
    return 0;
}

int gd_signer_load_file(gd_sign_kind kind, const char *path, gd_signer **out, gd_err *err)
{
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return gd_err_set(err, errno == ENOENT ? GD_ENOENT : GD_EIO, "%s: %s", path, strerror(errno));
    struct stat st;
    int rc = 0;
    char *buf = NULL;
    if (fstat(fd, &st) != 0) {
        rc = gd_err_set(err, GD_EIO, "%s: %s", path, strerror(errno));
        goto done;
    }
    if (!S_ISREG(st.st_mode)) {
        rc = gd_err_set(err, GD_EINVAL, "%s: not a regular file", path);
        goto done;
    }
    /* A key others can read is a key others have. */
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        rc = gd_err_set(err, GD_EPERM, "%s: mode %03o lets others read it: chmod 600 it", path,
                        (unsigned)(st.st_mode & 0777));
        goto done;
    }
    if (st.st_size <= 0 || st.st_size > KEY_FILE_MAX) {
        rc = gd_err_set(err, GD_ERANGE, "%s: %lld bytes is not a key", path, (long long)st.st_size);
        goto done;
    }
    size_t n = (size_t)st.st_size, got = 0;
    if (!(buf = malloc(n + 1))) {
        rc = gd_err_set(err, GD_ENOMEM, "out of memory");
        goto done;
    }
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            rc = gd_err_set(err, GD_EIO, "%s: short read", path);
            goto done;
        }
        got += (size_t)r;
    }
    buf[n] = '\0';
    rc = kind == GD_SIGN_ED25519 ? gd_signer_ed25519_pem(buf, n, out, err) : gd_signer_hmac(buf, n, out, err);
    if (rc) {
        char why[sizeof err->msg];
        memcpy(why, err->msg, sizeof why);
        gd_err_set(err, rc, "%s: %s", path, why);
    }
done:
    if (buf) {
        OPENSSL_cleanse(buf, (size_t)st.st_size);
        free(buf);
    }
    close(fd);
    return rc;
}

int gd_sign(const gd_signer *s, const char *data, size_t len, char out[GD_SIGN_MAX], gd_err *err)
{
    if (s->kind == GD_SIGN_HMAC) {
        unsigned char mac[EVP_MAX_MD_SIZE];
        unsigned int ml = 0;
        if (!HMAC(EVP_sha256(), s->secret, (int)s->secret_len, (const unsigned char *)data, len, mac, &ml) ||
            ml != 32)
            return gd_err_set(err, GD_EIO, "HMAC-SHA256 failed");
        static const char hex[] = "0123456789abcdef";
        for (unsigned i = 0; i < ml; i++) {
            out[2 * i] = hex[mac[i] >> 4];
            out[2 * i + 1] = hex[mac[i] & 15];
        }
        out[2 * ml] = '\0';
        return (int)(2 * ml);
    }
    unsigned char sig[64];
    size_t sl = sizeof sig;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, s->pkey) == 1 &&
             EVP_DigestSign(ctx, sig, &sl, (const unsigned char *)data, len) == 1 && sl == 64;
    EVP_MD_CTX_free(ctx);
    if (!ok)
        return gd_err_set(err, GD_EIO, "Ed25519 signing failed");
    int n = EVP_EncodeBlock((unsigned char *)out, sig, (int)sl);
    if (n <= 0 || n >= GD_SIGN_MAX)
        return gd_err_set(err, GD_EIO, "base64 failed");
    out[n] = '\0';
    return n;
}
