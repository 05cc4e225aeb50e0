/* numfmt.c - a number as an item value's text (numfmt.h). */
#include "numfmt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

size_t numfmt_double(double v, char out[NUMFMT_MAX])
{
	int len;
	if (isnan(v)) {
		len = snprintf(out, NUMFMT_MAX, "nan");
	} else if (isinf(v)) {
		len = snprintf(out, NUMFMT_MAX, v < 0 ? "-inf" : "inf");
	} else if (v == floor(v)) {
		/* glibc's %.0f is exact for every double; -0.0 is plain 0. */
		len = snprintf(out, NUMFMT_MAX, "%.0f", v == 0 ? 0.0 : v);
	} else {
		for (int prec = 1;; prec++) {
			len = snprintf(out, NUMFMT_MAX, "%.*g", prec, v);
			if (prec >= 17 || strtod(out, NULL) == v)
				break;
		}
	}
	return len < 0 ? 0 : (size_t)len;
}
