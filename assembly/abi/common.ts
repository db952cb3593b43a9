// Exports shared by every part of the ABI: the I/O region, the host region and the ABI version.
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

/**
 * Start of the host region (16-byte aligned): linear memory above the module's static data, which
 * the module never reads or writes on its own; the host may keep its own buffers there.
 */
export function tid_host_ptr(): usize {
  return (__heap_base + 15) & ~(<usize>15);
}

/** Size of the host region in bytes: from tid_host_ptr() to the end of linear memory. */
export function tid_host_cap(): u32 {
  return <u32>((<usize>memory.size() << 16) - tid_host_ptr());
}

/** ABI version of this module: bumps on any incompatible change of an export. */
export function tid_abi_version(): u32 {
  return 1;
}
