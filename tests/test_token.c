/* Operator bearer tokens (host/token.c): generation, the documented hash,
 * header parsing, matching against several hashes, labels. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "base/hash.h"
#include "risk/token.h"

/* sha256("test") as printed by `printf %s test | sha256sum`. */
#define SHA_TEST "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

static void header(char *buf, size_t cap, const char *tok)
{
    snprintf(buf, cap, "Bearer %s", tok);
}

static void test_new_verifies(void **state)
{
    (void)state;
    char tok[65], hash[65], tok2[65], hash2[65], h[200];
    gd_err err = {{0}};
    assert_int_equal(gd_token_new(tok, hash, &err), 0);
    assert_int_equal(strlen(tok), 64);
    assert_true(gd_token_hash_valid(tok)); /* same alphabet: 64 lowercase hex */
    assert_true(gd_token_hash_valid(hash));
    assert_string_not_equal(tok, hash);

    /* Documented: the hash is SHA-256 of the 64 printed characters. */
    char want[65];
    gd_sha256_buf(tok, 64, want);
    assert_string_equal(hash, want);

    const char *hashes[] = {hash};
    header(h, sizeof h, tok);
    assert_int_equal(gd_token_check(h, hashes, 1), 0);

    /* Two tokens differ (32 random bytes). */
    assert_int_equal(gd_token_new(tok2, hash2, &err), 0);
    assert_string_not_equal(tok, tok2);
    header(h, sizeof h, tok2);
    assert_int_equal(gd_token_check(h, hashes, 1), GD_ENOENT);
}

static void test_known_vector(void **state)
{
    (void)state;
    const char *hashes[] = {SHA_TEST};
    assert_int_equal(gd_token_check("Bearer test", hashes, 1), 0);
    assert_int_equal(gd_token_check("Bearer tesT", hashes, 1), GD_ENOENT);
    assert_int_equal(gd_token_check("Bearer test1", hashes, 1), GD_ENOENT);
    assert_int_equal(gd_token_check("Bearer tes", hashes, 1), GD_ENOENT);
}

static void test_wrong_token(void **state)
{
    (void)state;
    char tok[65], hash[65], h[200];
    gd_err err = {{0}};
    assert_int_equal(gd_token_new(tok, hash, &err), 0);
    const char *hashes[] = {hash};
    tok[10] = tok[10] == 'a' ? 'b' : 'a';
    header(h, sizeof h, tok);
    assert_int_equal(gd_token_check(h, hashes, 1), GD_ENOENT);
    /* The hash itself is not a token. */
    header(h, sizeof h, hash);
    assert_int_equal(gd_token_check(h, hashes, 1), GD_ENOENT);
}

static void test_scheme_and_spaces(void **state)
{
    (void)state;
    const char *hashes[] = {SHA_TEST};
    assert_int_equal(gd_token_check("bearer test", hashes, 1), 0);
    assert_int_equal(gd_token_check("BEARER test", hashes, 1), 0);
    assert_int_equal(gd_token_check("BeArEr test", hashes, 1), 0);
    assert_int_equal(gd_token_check("Bearer    test", hashes, 1), 0);
    assert_int_equal(gd_token_check("Bearer \ttest", hashes, 1), 0);
    assert_int_equal(gd_token_check("Bearer test  ", hashes, 1), 0);
    assert_int_equal(gd_token_check("Bearer test\t\r\n", hashes, 1), 0);
    assert_int_equal(gd_token_check("  Bearer test", hashes, 1), 0);

    /* Missing or wrong scheme. */
    assert_int_equal(gd_token_check("test", hashes, 1), GD_ENOENT);
    assert_int_equal(gd_token_check("Basic test", hashes, 1), GD_ENOENT);
    assert_int_equal(gd_token_check("Bearertest", hashes, 1), GD_ENOENT);
    assert_int_equal(gd_token_check("Bearer", hashes, 1), GD_ENOENT);
    assert_int_equal(gd_token_check("Bearer ", hashes, 1), GD_ENOENT);
    assert_int_equal(gd_token_check("Bearer    ", hashes, 1), GD_ENOENT);
    assert_int_equal(gd_token_check("Token test", hashes, 1), GD_ENOENT);
    /* A space inside the token is not trimmed into a match. */
    assert_int_equal(gd_token_check("Bearer te st", hashes, 1), GD_ENOENT);
    assert_int_equal(gd_token_check("Bearer test x", hashes, 1), GD_ENOENT);

    assert_int_equal(gd_token_check(NULL, hashes, 1), GD_ENOENT);
    assert_int_equal(gd_token_check("", hashes, 1), GD_ENOENT);
    assert_int_equal(gd_token_check("Bearer test", hashes, 0), GD_ENOENT);
    assert_int_equal(gd_token_check("Bearer test", NULL, 1), GD_ENOENT);
}

static void test_several_hashes(void **state)
{
    (void)state;
    char t1[65], h1[65], t2[65], h2[65], t3[65], h3[65], h[200];
    gd_err err = {{0}};
    assert_int_equal(gd_token_new(t1, h1, &err), 0);
    assert_int_equal(gd_token_new(t2, h2, &err), 0);
    assert_int_equal(gd_token_new(t3, h3, &err), 0);
    const char *hashes[] = {h1, h2};
    header(h, sizeof h, t2);
    assert_int_equal(gd_token_check(h, hashes, 2), 1);
    header(h, sizeof h, t1);
    assert_int_equal(gd_token_check(h, hashes, 2), 0);
    header(h, sizeof h, t3);
    assert_int_equal(gd_token_check(h, hashes, 2), GD_ENOENT);

    /* The same hash configured twice: the first index wins. */
    const char *dup[] = {h3, h2, h2};
    header(h, sizeof h, t2);
    assert_int_equal(gd_token_check(h, dup, 3), 1);

    /* Malformed or NULL configured entries never match, and do not stop
     * the scan of the rest. */
    char upper[65];
    memcpy(upper, h2, 65);
    for (int i = 0; i < 64; i++)
        if (upper[i] >= 'a' && upper[i] <= 'f')
            upper[i] = (char)(upper[i] - 'a' + 'A');
    const char *bad[] = {NULL, "", "abc", upper, h2};
    assert_int_equal(gd_token_check(h, bad, 5), 4);
    assert_int_equal(gd_token_check(h, bad, 4), GD_ENOENT);
}

static void test_hash_valid(void **state)
{
    (void)state;
    assert_true(gd_token_hash_valid(SHA_TEST));
    assert_false(gd_token_hash_valid(NULL));
    assert_false(gd_token_hash_valid(""));
    assert_false(gd_token_hash_valid("9f86d081"));
    /* 63 and 65 characters */
    assert_false(gd_token_hash_valid("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0"));
    assert_false(gd_token_hash_valid("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a080"));
    /* uppercase, non-hex, trailing whitespace */
    assert_false(gd_token_hash_valid("9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"));
    assert_false(gd_token_hash_valid("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0g"));
    assert_false(gd_token_hash_valid("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n"));
}

static void test_label(void **state)
{
    (void)state;
    char out[9];
    memset(out, 'z', sizeof out);
    gd_token_label(SHA_TEST, out);
    assert_string_equal(out, "9f86d081");
    gd_token_label("abc", out);
    assert_string_equal(out, "abc");
    gd_token_label(NULL, out);
    assert_string_equal(out, "");
    /* Only hex is copied: a label never carries arbitrary bytes into logs. */
    gd_token_label("ab\"cd", out);
    assert_string_equal(out, "ab");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_verifies),
        cmocka_unit_test(test_known_vector),
        cmocka_unit_test(test_wrong_token),
        cmocka_unit_test(test_scheme_and_spaces),
        cmocka_unit_test(test_several_hashes),
        cmocka_unit_test(test_hash_valid),
        cmocka_unit_test(test_label),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
