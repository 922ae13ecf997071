/* Operator bearer tokens. Configured as SHA-256 hashes, never in clear;
 * compared in constant time. */
#ifndef GD_TOKEN_H
#define GD_TOKEN_H

#include <stddef.h>

#include "base/err.h"

/* A new token: 32 random bytes (getrandom) as 64 hex chars, and its SHA-256
 * in hex for the config. The hash is SHA-256 of the 64 token characters as
 * printed (no newline): `printf %s "$TOKEN" | sha256sum`. */
int gd_token_new(char token[65], char hash_hex[65], gd_err *err);

/* Index of the configured hash matching "Bearer <token>" in header, or
 * GD_ENOENT (no token, a malformed header, or no match).
 * Every hash is compared in full (constant time), whatever matches.
 * The scheme is case-insensitive; spaces/tabs around the token are skipped;
 * NULL or malformed entries in hashes never match; the first match wins. */
int gd_token_check(const char *authorization_header, const char *const *hashes, size_t n);

/* A short, non-secret label for logs: the first 8 hex chars of the hash. */
void gd_token_label(const char *hash_hex, char out[9]);

int gd_token_hash_valid(const char *hex); /* 64 lowercase hex chars */

#endif
