// SPDX-License-Identifier: MIT
/*
 * A trace recorded by attaching to a VMM (loader "attach"), rebuilt for
 * replay.  Its header says whether the trace holds what replay needs
 * (attach.replay: the initial memory whole, nothing set up that it does
 * not record) and the VMM's memory slots (attach.slots), which are laid
 * out again at the same guest-physical addresses: an access between them
 * must stay an MMIO exit, as it was for the VMM.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "attached_vm.h"
#include "rec_util.h"

bool attached_trace(const struct xt_header *h)
{
	return h->vm.loader && !strcmp(h->vm.loader, "attach");
}

/* "0x0+0x10000, 0x20000+0x1000 ro": n slots into out; -1 where the text is not that. */
static int parse_slots(const char *s, struct attached_slot *out, size_t max)
{
	size_t n = 0;
	while (*s) {
		char *end;
		if (n == max || strncmp(s, "0x", 2))
			return -1;
		out[n].gpa = strtoull(s, &end, 16);
		if (end == s || *end != '+' || strncmp(end + 1, "0x", 2))
			return -1;
		s = end + 1;
		out[n].size = strtoull(s, &end, 16);
		if (end == s || !out[n].size || (out[n].gpa | out[n].size) & 0xfff ||
		    out[n].gpa + out[n].size < out[n].gpa)
			return -1;
		s = end;
		out[n].readonly = !strncmp(s, " ro", 3);
		if (out[n].readonly)
			s += 3;
		n++;
		if (!strncmp(s, ", ", 2))
			s += 2;
		else if (*s)
			return -1;
	}
	return (int)n;
}

int attached_check(const struct xt_header *h, struct attached_layout *l, struct xt_error *err)
{
	const char *replay = xt_header_extra(h, "attach.replay"), *slots = xt_header_extra(h, "attach.slots");
	if (!replay || !slots)
		return rec_err(err, -ENOTSUP, "the trace was recorded by attaching to a VMM with an exitrace "
			       "older than replay of such traces: it lacks the VMM's answers to reads and its slots");
	if (strcmp(replay, "yes"))
		return rec_err(err, -ENOTSUP, "the trace was recorded by attaching to a VMM and cannot be "
			       "replayed: %s", !strncmp(replay, "no: ", 4) ? replay + 4 : replay);
	if (h->vm.n_vcpus > 1)
		return rec_err(err, -ENOTSUP, "the trace was recorded by attaching to a VMM with %u vCPUs: "
			       "this exitrace replays attached traces of one vCPU", h->vm.n_vcpus);
	int n = parse_slots(slots, l->slots, ATTACHED_SLOTS_MAX);
	if (n <= 0)
		return rec_err(err, -EINVAL, "the trace's memory slots (attach.slots) are not a list of "
			       "page-aligned 0xGPA+0xSIZE: '%.80s'", slots);
	l->n = (size_t)n;
	uint64_t end = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (l->slots[i].gpa + l->slots[i].size > end)
			end = l->slots[i].gpa + l->slots[i].size;
		for (size_t j = 0; j < i; j++)
			if (l->slots[i].gpa < l->slots[j].gpa + l->slots[j].size &&
			    l->slots[j].gpa < l->slots[i].gpa + l->slots[i].size)
				return rec_err(err, -EINVAL, "the trace's memory slots at 0x%" PRIx64 " and 0x%" PRIx64
					       " overlap", l->slots[j].gpa, l->slots[i].gpa);
	}
	/* the replay VM's memory is one mapping from 0 with the slots carved out of it */
	l->mem_size = end < (1u << 20) ? (1u << 20) : end;
	if (l->mem_size > ATTACHED_MEM_MAX)
		return rec_err(err, -ENOTSUP, "the VMM's memory slots end at 0x%" PRIx64 ": this exitrace "
			       "replays guests whose memory ends below 3 GiB", end);
	for (size_t i = 0; i < h->vm.n_memory; i++) {
		const struct xt_mem_region *m = &h->vm.memory[i];
		bool inside = false;
		for (size_t k = 0; k < l->n && !inside; k++)
			inside = m->gpa >= l->slots[k].gpa && m->gpa + m->size <= l->slots[k].gpa + l->slots[k].size;
		if (!inside)
			return rec_err(err, -EINVAL, "initial memory at 0x%" PRIx64 " (%zu bytes) is in none of the "
				       "VMM's slots", m->gpa, m->size);
	}
	return 0;
}

int attached_slots(struct kvm_vm *vm, const struct attached_layout *l, struct xt_error *err)
{
	/* kvm_vm_open() made one slot of all the memory: its place goes to the VMM's layout */
	struct kvm_userspace_memory_region r = { .slot = 0, .memory_size = 0 };
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return rec_err(err, -errno, "deleting the memory slot: %s", strerror(errno));
	for (size_t i = 0; i < l->n; i++) {
		r = (struct kvm_userspace_memory_region){
			.slot = (uint32_t)i, .flags = l->slots[i].readonly ? KVM_MEM_READONLY : 0,
			.guest_phys_addr = l->slots[i].gpa, .memory_size = l->slots[i].size,
			.userspace_addr = (uint64_t)(uintptr_t)(vm->mem + l->slots[i].gpa),
		};
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			return rec_err(err, -errno, "KVM_SET_USER_MEMORY_REGION of the VMM's slot at 0x%" PRIx64
				       ": %s", l->slots[i].gpa, strerror(errno));
	}
	return 0;
}
