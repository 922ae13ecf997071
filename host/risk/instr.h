/* Exchange rounding: the one place quantities and prices meet step and tick
 * sizes. Risk rules never compare floating point for equality elsewhere. */
#ifndef GD_INSTR_H
#define GD_INSTR_H

/* Largest multiple of step that is <= x (x >= 0), with the result rounded to
 * step's decimals so that 0.3 with step 0.1 is 0.3, not 0.2 or 0.30000000000000004. */
double gd_round_down_step(double x, double step);

/* Round a price to the tick grid: dir < 0 rounds down, dir > 0 up, 0 nearest. */
double gd_round_tick(double price, double tick, int dir);

/* Number of decimals of a step like 0.001 (3); 0 for steps >= 1; at most 12. */
int gd_step_decimals(double step);

#endif
