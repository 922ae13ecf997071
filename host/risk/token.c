/* Operator bearer tokens.
 *
 * What is hashed: the token text exactly as printed and as sent in the
 * header, i.e. the 64 ASCII characters of lowercase hex, without a trailing
 * newline. The configured value is SHA-256 of those 64 bytes, in lowercase
 * hex; `printf %s "$TOKEN" | sha256sum` gives the same value. */
#include "risk/token.h"

#include <errno.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>

#include <openssl/crypto.h>

#include "base/hash.h"

#define TOKEN_BYTES 32
/* A presented token longer than this cannot be one of ours; it is still
 * rejected only after every hash has been compared. */
#define TOKEN_MAX_LEN 512

static int is_lower_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

static int is_ws(char c)
{
    return c == ' ' || c == '\t';
}

int gd_token_new(char token[65], char hash_hex[65], gd_err *err)
{
    static const char digits[] = "0123456789abcdef";
    unsigned char raw[TOKEN_BYTES];
    size_t got = 0;

    token[0] = '\0';
    hash_hex[0] = '\0';
    while (got < sizeof raw) {
        ssize_t r = getrandom(raw + got, sizeof raw - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            OPENSSL_cleanse(raw, sizeof raw);
            return gd_err_set(err, GD_EIO, "getrandom: %s", strerror(e));
        }
        got += (size_t)r; /* short reads are possible for large requests: loop */
    }
    for (size_t i = 0; i < sizeof raw; i++) {
        token[2 * i] = digits[raw[i] >> 4];
        token[2 * i + 1] = digits[raw[i] & 0x0f];
    }
    token[2 * sizeof raw] = '\0';
    OPENSSL_cleanse(raw, sizeof raw);

    gd_sha256_buf(token, 2 * TOKEN_BYTES, hash_hex);
    if (!gd_token_hash_valid(hash_hex)) {
        OPENSSL_cleanse(token, 65);
        hash_hex[0] = '\0';
        return gd_err_set(err, GD_EIO, "sha256: digest unavailable (OpenSSL provider?)");
    }
    return GD_OK;
}

int gd_token_check(const char *authorization_header, const char *const *hashes, size_t n)
{
    /* A digest no configured hash can equal: used in place of the
     * presented one when the header is malformed, so the loop below does
     * the same work either way. */
    char presented[65] = "----------------------------------------------------------------";
    const char *h = authorization_header;
    int usable = 0;

    if (!h || !*h || !hashes || n == 0)
        return GD_ENOENT;
    while (is_ws(*h))
        h++;
    if (strncasecmp(h, "bearer", 6) == 0 && is_ws(h[6])) {
        const char *tok = h + 6;
        while (is_ws(*tok))
            tok++;
        size_t len = strlen(tok);
        while (len > 0 && (is_ws(tok[len - 1]) || tok[len - 1] == '\r' || tok[len - 1] == '\n'))
            len--;
        if (len > 0 && len <= TOKEN_MAX_LEN && memchr(tok, ' ', len) == NULL &&
            memchr(tok, '\t', len) == NULL) {
            gd_sha256_buf(tok, len, presented);
            usable = gd_token_hash_valid(presented);
        }
    }

    /* Every configured hash is compared in full, in constant time, and the
     * loop never exits early: timing says nothing about which (or whether
     * one) matched. A malformed configured hash never matches. */
    static const char never[65] = "################################################################";
    int found = GD_ENOENT;
    for (size_t i = 0; i < n; i++) {
        int valid = hashes[i] && gd_token_hash_valid(hashes[i]);
        int diff = CRYPTO_memcmp(presented, valid ? hashes[i] : never, 64);
        int match = usable & valid & (diff == 0) & (found < 0);
        /* branch-free select: found = match ? i : found */
        int mask = -match;
        found = (found & ~mask) | ((int)i & mask);
    }
    OPENSSL_cleanse(presented, sizeof presented);
    return found;
}

void gd_token_label(const char *hash_hex, char out[9])
{
    size_t i = 0;
    if (hash_hex)
        for (; i < 8 && is_lower_hex(hash_hex[i]); i++)
            out[i] = hash_hex[i];
    out[i] = '\0';
}

int gd_token_hash_valid(const char *hex)
{
    if (!hex)
        return 0;
    for (size_t i = 0; i < 64; i++)
        if (!is_lower_hex(hex[i])) /* also stops at the NUL of a short string */
            return 0;
    return hex[64] == '\0';
}
