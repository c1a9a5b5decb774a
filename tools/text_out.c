// SPDX-License-Identifier: MIT
/* Hand-built text: the output buffer (see text_out.h). */
#include "text_out.h"

void text_out_init(struct text_out *o, FILE *f)
{
	o->f = f;
	o->p = o->buf;
}

void text_out_flush(struct text_out *o)
{
	if (o->p > o->buf)
		fwrite(o->buf, 1, (size_t)(o->p - o->buf), o->f);
	o->p = o->buf;
}
