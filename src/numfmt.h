/* numfmt.h - a Lua number as the text of an item value: integers exact,
 * other floats in the shortest form that reads back the same. */
#ifndef LOGMASH_NUMFMT_H
#define LOGMASH_NUMFMT_H

#include <stddef.h>

/* Room for any double written whole: 309 digits, a sign, a NUL. */
#define NUMFMT_MAX 320

/* Writes v into out: an integer value in exact decimal (2^63 ->
 * 9223372036854775808, -0.0 -> 0), else the shortest %g form that strtod
 * reads back as v (1/3 -> 0.3333333333333333); inf, -inf and nan as such.
 * Returns the length. */
size_t numfmt_double(double v, char out[NUMFMT_MAX]);

#endif
