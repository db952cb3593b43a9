// Exports shared by every part of the ABI: the I/O region and the ABI version.
// The I/O region is a fixed block of linear memory the host copies inputs into and outputs out of,
// so hot calls allocate nothing (docs/abi.md "Conventions"). Linear memory never grows after
// instantiation.

const IO_CAPACITY: u32 = 65536 + 1024;
const ioRegion: usize = memory.data(IO_CAPACITY as i32, 16);

/** Pointer to the I/O region (16-byte aligned). */
export function tid_io_ptr(): usize {
  return ioRegion;
}

/** Size of the I/O region in bytes. */
export function tid_io_cap(): u32 {
  return IO_CAPACITY;
}

/** ABI version of this module: bumps on any incompatible change of an export. */
export function tid_abi_version(): u32 {
  return 1;
}
