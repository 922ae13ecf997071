#include "risk/instr.h"

#include <math.h>

int gd_step_decimals(double step)
{
    int d = 0;
    double s = step;
    /* Count decimals until the step is (nearly) an integer at that scale. */
    while (d < 12 && fabs(s - nearbyint(s)) > 1e-9 * fmax(1.0, fabs(s))) {
        s *= 10.0;
        d++;
    }
    return d;
}

static double round_to_decimals(double x, int d)
{
    double scale = pow(10.0, d);
    return nearbyint(x * scale) / scale;
}

double gd_round_down_step(double x, double step)
{
    if (!(x > 0.0) || !(step > 0.0) || !isfinite(x) || !isfinite(step))
        return 0.0;
    /* x/step can land a hair below an integer (0.3/0.1 = 2.9999999999999996);
     * a relative nudge of 1e-9 steps absorbs that without rounding real
     * values up by anything an exchange would notice. */
    double n = floor(x / step + 1e-9);
    if (n <= 0.0)
        return 0.0;
    return round_to_decimals(n * step, gd_step_decimals(step));
}

double gd_round_tick(double price, double tick, int dir)
{
    if (!isfinite(price) || !(tick > 0.0))
        return price;
    double q = price / tick;
    double n;
    if (dir < 0)
        n = floor(q + 1e-9);
    else if (dir > 0)
        n = ceil(q - 1e-9);
    else
        n = nearbyint(q);
    return round_to_decimals(n * tick, gd_step_decimals(tick));
}
