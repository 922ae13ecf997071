/* venue/sign: Binance's signatures, against published vectors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "venue/sign.h"
#include "tmpdir.h"

/* Binance's own example (the spot API docs, the same scheme for futures). */
static void test_hmac_binance_example(void **state)
{
    (void)state;
    const char *secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
    const char *q = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000"
                    "&timestamp=1499827319559";
    gd_signer *s;
    gd_err err;
    char sig[GD_SIGN_MAX];
    assert_int_equal(gd_signer_hmac(secret, strlen(secret), &s, &err), 0);
    assert_int_equal(gd_sign(s, q, strlen(q), sig, &err), 64);
    assert_string_equal(sig, "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
    gd_signer_free(s);
}

static int hexval(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

static void unhex(const char *h, unsigned char *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = (unsigned char)(hexval(h[2 * i]) << 4 | hexval(h[2 * i + 1]));
}

/* RFC 8032 section 7.1, test 2 (one byte 0x72), through a PKCS#8 PEM. */
static char *rfc8032_pem(size_t *len)
{
    unsigned char sk[32];
    unhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", sk, 32);
    EVP_PKEY *k = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, sk, 32);
    assert_non_null(k);
    BIO *b = BIO_new(BIO_s_mem());
    assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL), 1);
    char *p;
    long n = BIO_get_mem_data(b, &p);
    char *copy = malloc((size_t)n + 1);
    memcpy(copy, p, (size_t)n);
    copy[n] = '\0';
    *len = (size_t)n;
    BIO_free(b);
    EVP_PKEY_free(k);
    return copy;
}

static void test_ed25519_rfc8032(void **state)
{
    (void)state;
    size_t len;
    char *pem = rfc8032_pem(&len);
    gd_signer *s;
    gd_err err;
    char sig[GD_SIGN_MAX];
    assert_int_equal(gd_signer_ed25519_pem(pem, len, &s, &err), 0);
    assert_int_equal(gd_signer_kind(s), GD_SIGN_ED25519);
    assert_int_equal(gd_sign(s, "\x72", 1, sig, &err), 88);
    /* the RFC's signature, base64 */
    unsigned char want[64];
    unhex("92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c"
          "387b2eaeb4302aeeb00d291612bb0c00", want, 64);
    char b64[100];
    int n = EVP_EncodeBlock((unsigned char *)b64, want, 64);
    b64[n] = '\0';
    assert_string_equal(sig, b64);
    gd_signer_free(s);
    free(pem);
}

static void test_key_files(void **state)
{
    (void)state;
    char dir[256], path[300];
    assert_int_equal(gd_test_tmpdir(dir, sizeof dir, NULL, "gd-sign"), 0);
    snprintf(path, sizeof path, "%s/secret", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j\n", f);
    assert_int_equal(fclose(f), 0);
    gd_signer *s = NULL;
    gd_err err;
    chmod(path, 0644);
    assert_int_equal(gd_signer_load_file(GD_SIGN_HMAC, path, &s, &err), GD_EPERM);
    assert_non_null(strstr(err.msg, "chmod 600"));
    assert_null(strstr(err.msg, "NhqP")); /* the secret is never in a message */
    chmod(path, 0600);
    assert_int_equal(gd_signer_load_file(GD_SIGN_HMAC, path, &s, &err), 0);
    char sig[GD_SIGN_MAX];
    const char *q = "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000"
                    "&timestamp=1499827319559";
    gd_sign(s, q, strlen(q), sig, &err);
    assert_string_equal(sig, "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
    gd_signer_free(s);
    /* not a PEM key */
    assert_int_equal(gd_signer_load_file(GD_SIGN_ED25519, path, &s, &err), GD_EINVAL);
    assert_non_null(strstr(err.msg, path));
    unlink(path);
    assert_int_equal(gd_signer_load_file(GD_SIGN_HMAC, path, &s, &err), GD_ENOENT);
    assert_int_equal(gd_test_rmtree(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmac_binance_example),
        cmocka_unit_test(test_ed25519_rfc8032),
        cmocka_unit_test(test_key_files),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
