#!/bin/sh
# Build one test guest: KIND is flat64, flat32, flat16 (a raw binary), elf64 or elf32.
# The load address is the "# load: ADDR" line of the source.
# usage: build-guest.sh KIND SOURCE.S OUTPUT CC...
set -e
kind=$1 src=$2 out=$3
shift 3
case $kind in
flat16|flat32|elf32) arch=-m32 emu=elf_i386 ;;
*) arch=-m64 emu=elf_x86_64 ;;
esac
load=$(sed -n 's/^# *load: *//p' "$src")
"$@" $arch -c -o "$out.o" "$src"
ld -m $emu -static -nostdlib -z max-page-size=0x1000 -z noexecstack --build-id=none \
	-Ttext="$load" -e _start -o "$out.elf" "$out.o"
case $kind in
flat*) objcopy -O binary -j .text "$out.elf" "$out" && rm -f "$out.elf" ;;
elf*) mv "$out.elf" "$out" ;;
esac
rm -f "$out.o"
