/* libFuzzer target for the venue's trading rules (venue/rules.c
 * gd_venue_rules_parse: each symbol of a GET /fapi/v1/exchangeInfo reply,
 * what every order is rounded to). Checked beyond "no crash": rules that
 * parse have a finite positive tick and step, a finite minimum and notional
 * >= 0, a maximum > 0, decimals 0..12; a quantity rounded down to the step
 * is never more than it was; a failure leaves the rules zeroed and says
 * which symbol. */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "risk/instr.h"
#include "venue/rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    cJSON *root = cJSON_ParseWithLength((const char *)data, size);
    const cJSON *syms = root ? cJSON_GetObjectItemCaseSensitive(root, "symbols") : NULL;
    int n = cJSON_IsArray(syms) ? cJSON_GetArraySize(syms) : 0;
    for (int k = 0; k < n && k < 16; k++) {
        const cJSON *it = cJSON_GetArrayItem(syms, k);
        gd_venue_rules r;
        char why[256];
        memset(&r, 0x5a, sizeof r);
        if (gd_venue_rules_parse(it, "FUZZ", &r, why, sizeof why) != 0) {
            if (r.tick != 0 || r.step != 0 || r.min_qty != 0 || !strstr(why, "FUZZ"))
                abort();
            continue;
        }
        if (!(r.tick > 0) || !isfinite(r.tick) || !(r.step > 0) || !isfinite(r.step) || !(r.min_qty >= 0) ||
            !isfinite(r.min_qty) || !(r.min_notional >= 0) || !isfinite(r.min_notional) || !(r.max_qty > 0) ||
            r.price_dec < 0 || r.price_dec > 12 || r.qty_dec < 0 || r.qty_dec > 12 || !(r.trigger_protect >= 0) ||
            !(r.trigger_protect < 1))
            abort();
        static const double qs[] = {0.0, 0.001, 1.0, 123.456, 1e6};
        for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
            double q = gd_round_down_step(qs[i], r.step);
            if (isfinite(q) && q > qs[i] * (1 + 1e-9) + 1e-12)
                abort();
        }
    }
    cJSON_Delete(root);
    return 0;
}
