// SPDX-License-Identifier: MIT
/*
 * The VMM's answers.  An IN or an MMIO read exit is completed by the next
 * KVM_RUN, with the bytes the VMM put into the run page in between: those
 * are the guest's input, which replay must feed back, and they do not
 * exist yet when the exit is recorded.  So they are read from the run page
 * when the VMM calls KVM_RUN again, and written as an input event
 * (what "answer") before that vCPU's next step (SPEC 6, input).
 */
#include <string.h>

#include "attach.h"
#include "writer_thread.h"

void att_answer_take(struct att_vcpu *v)
{
	v->has_answer = false;
	const struct kvm_run *run = v->run;
	if (!run || !v->in_trace)
		return;
	if (v->last_exit == KVM_EXIT_IO && run->io.direction == KVM_EXIT_IO_IN) {
		uint64_t n;
		/* a run page that does not hold what it says is not read past its end */
		const uint8_t *data = kvm_run_io_data(v->run, v->kv.run_size, &n);
		if (!data || n > sizeof(v->answer))
			return;
		memcpy(v->answer, data, n);
		v->answer_len = n;
		v->has_answer = true;
	} else if (v->last_exit == KVM_EXIT_MMIO && !run->mmio.is_write) {
		uint32_t n = run->mmio.len <= sizeof(run->mmio.data) ? run->mmio.len : sizeof(run->mmio.data);
		memcpy(v->answer, run->mmio.data, n);
		v->answer_len = n;
		v->has_answer = true;
	}
}

void att_answer_emit(struct att_vcpu *v, uint64_t step)
{
	if (!v->has_answer)
		return;
	v->has_answer = false;
	struct xt_event ev = { .kind = XT_EV_INPUT, .step = step, .vcpu = v->index };
	ev.input.what = XT_INPUT_ANSWER;
	ev.input.data = v->answer;
	ev.input.data_len = v->answer_len;
	wthread_event(v->vm->wt, &ev);
}
