/* The operator API's optional request body, {"reason": "...", "force": true}:
 * what a halt, resume, flatten or quarantine carries. */
#ifndef GD_API_BODY_H
#define GD_API_BODY_H

#include <stddef.h>

/* Parses body[0..len): one JSON object and nothing after it but white space,
 * "reason" a string (copied as valid UTF-8, at most cap - 1 bytes), "force"
 * a boolean; anything else in it is ignored. An empty body gives "no reason
 * given" and no force. 0, or GD_EPARSE with *why set to the 400 reply's
 * message. */
int gd_api_body_parse(const char *body, size_t len, char *reason, size_t cap, int *force, const char **why);

#endif
