/* luamem.c - the bounded Lua allocator (see luamem.h). */
#include "luamem.h"

#include <stdlib.h>

void *luamem_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
	struct luamem *m = ud;
	size_t old = ptr ? osize : 0; /* without ptr, osize says what is being made */
	if (nsize == 0) {
		free(ptr);
		m->used -= old;
		return NULL;
	}
	if (nsize > old && m->used + (nsize - old) > m->limit)
		return NULL;
	void *p = realloc(ptr, nsize);
	if (p)
		m->used = m->used - old + nsize;
	return p;
}
