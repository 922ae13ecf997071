/* Time as the host counts it: int64_t milliseconds since the epoch, UTC,
 * negative before 1970. Days are UTC days; calendar dates are proleptic
 * Gregorian (Howard Hinnant's civil-date algorithms). */
#ifndef GD_DATES_H
#define GD_DATES_H

#include <stdint.h>

#define GD_DAY_MS INT64_C(86400000)

/* floor(ms / GD_DAY_MS): the UTC day number, also for negative times. */
int64_t gd_day_index(int64_t ms);
/* The start (00:00 UTC) of the day containing ms. */
int64_t gd_day_floor(int64_t ms);
/* Days since 1970-01-01 of a calendar date (m 1..12, d 1..31). */
int64_t gd_days_from_civil(int64_t y, unsigned m, unsigned d);
void gd_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);
/* The wall clock (CLOCK_REALTIME) in ms. */
int64_t gd_wall_ms(void);
/* A clock for intervals and deadlines (CLOCK_MONOTONIC), in ms with the
 * sub-millisecond part. */
double gd_mono_ms(void);

#endif
