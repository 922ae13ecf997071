/* Binance request signing: HMAC-SHA256 (hex, the classic API keys) or
 * Ed25519 (base64, Binance's recommended keys), over exactly the bytes sent
 * (the query string, or the form body). Keys come from the environment or
 * from a file that only its owner can read (mode 0600 or stricter); they
 * are never logged, and their memory is scrubbed when freed. */
#ifndef GD_VENUE_SIGN_H
#define GD_VENUE_SIGN_H

#include <stddef.h>

#include "base/err.h"

typedef enum gd_sign_kind { GD_SIGN_HMAC = 1, GD_SIGN_ED25519 = 2 } gd_sign_kind;

typedef struct gd_signer gd_signer;

/* An HMAC signer from the secret itself. */
int gd_signer_hmac(const char *secret, size_t len, gd_signer **out, gd_err *err);
/* An Ed25519 signer from a PEM private key (PKCS#8, as Binance's key
 * generator writes it). */
int gd_signer_ed25519_pem(const char *pem, size_t len, gd_signer **out, gd_err *err);
/* Loads the secret (HMAC) or PEM key (Ed25519) from path, refusing a file
 * that group or others may read or write, or that is not a regular file. */
int gd_signer_load_file(gd_sign_kind kind, const char *path, gd_signer **out, gd_err *err);

gd_sign_kind gd_signer_kind(const gd_signer *s);

/* The signature of data[0..len) as Binance wants it in `signature=`:
 * lowercase hex for HMAC (64 characters), base64 for Ed25519 (88), not yet
 * URL-encoded (base64 has '+' and '/'; the caller encodes). Returns its
 * length, or a negative GD_E* code. out must hold GD_SIGN_MAX bytes. */
#define GD_SIGN_MAX 100
int gd_sign(const gd_signer *s, const char *data, size_t len, char out[GD_SIGN_MAX], gd_err *err);

void gd_signer_free(gd_signer *s);

#endif
