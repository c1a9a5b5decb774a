// SPDX-License-Identifier: MIT
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "rec_util.h"
#include "vcpu_stats.h"

static bool read_at(int fd, void *p, size_t n, uint64_t off)
{
	return pread(fd, p, n, (off_t)off) == (ssize_t)n;
}

int vcpu_stats_open(struct vcpu_stats *st, struct kvm_vm *vm, struct xt_error *err)
{
	memset(st, 0, sizeof(*st));
	st->fd = ioctl(vm->vcpu_fd, KVM_GET_STATS_FD, 0);
	if (st->fd < 0)
		return rec_err(err, -errno, "--capture stats: KVM_GET_STATS_FD: %s", strerror(errno));
	struct kvm_stats_header h;
	if (!read_at(st->fd, &h, sizeof(h), 0) || h.num_desc > 4096 || h.name_size > 4096)
		return rec_err(err, -EIO, "--capture stats: cannot read the stats header");
	size_t dsize = sizeof(struct kvm_stats_desc) + h.name_size;
	uint8_t *descs = malloc(dsize * h.num_desc);
	st->names = calloc(h.num_desc + 1, sizeof(*st->names));
	st->offset = calloc(h.num_desc + 1, sizeof(*st->offset));
	if (!descs || !st->names || !st->offset) {
		free(descs);
		return rec_err(err, -ENOMEM, "out of memory");
	}
	if (!read_at(st->fd, descs, dsize * h.num_desc, h.desc_offset)) {
		free(descs);
		return rec_err(err, -EIO, "--capture stats: cannot read the descriptors");
	}
	uint64_t words = 0;
	for (uint32_t i = 0; i < h.num_desc; i++) {
		const struct kvm_stats_desc *d = (const void *)(descs + i * dsize);
		uint64_t end = (uint64_t)d->offset / 8 + d->size;
		if (end > words)
			words = end;
		if ((d->flags & KVM_STATS_TYPE_MASK) != KVM_STATS_TYPE_CUMULATIVE || d->size != 1)
			continue;
		st->names[st->n] = strndup(d->name, h.name_size);
		st->offset[st->n] = d->offset / 8;
		if (st->names[st->n])
			st->n++;
	}
	free(descs);
	st->data_offset = h.data_offset;
	st->data_words = words;
	st->data = calloc(words + 1, 8);
	st->last = calloc(words + 1, 8);
	st->idx = calloc(st->n + 1, sizeof(*st->idx));
	st->delta = calloc(st->n + 1, sizeof(*st->delta));
	if (!st->data || !st->last || !st->idx || !st->delta)
		return rec_err(err, -ENOMEM, "out of memory");
	if (!read_at(st->fd, st->last, words * 8, st->data_offset))
		return rec_err(err, -EIO, "--capture stats: cannot read the counters");
	return 0;
}

bool vcpu_stats_event(struct vcpu_stats *st, uint64_t step, struct xt_event *ev)
{
	if (!read_at(st->fd, st->data, st->data_words * 8, st->data_offset))
		return false;
	size_t k = 0;
	for (size_t i = 0; i < st->n; i++) {
		uint32_t o = st->offset[i];
		if (st->data[o] != st->last[o]) {
			st->idx[k] = (uint32_t)i;
			st->delta[k++] = (int64_t)(st->data[o] - st->last[o]);
		}
	}
	uint64_t *t = st->last;
	st->last = st->data;
	st->data = t;
	if (!k)
		return false;
	*ev = (struct xt_event){ .kind = XT_EV_STATS, .step = step };
	ev->stats.n = k;
	ev->stats.index = st->idx;
	ev->stats.delta = st->delta;
	return true;
}

void vcpu_stats_close(struct vcpu_stats *st)
{
	if (st->fd >= 0)
		close(st->fd);
	for (size_t i = 0; i < st->n; i++)
		free((char *)st->names[i]);
	free(st->names);
	free(st->offset);
	free(st->data);
	free(st->last);
	free(st->idx);
	free(st->delta);
	memset(st, 0, sizeof(*st));
	st->fd = -1;
}
