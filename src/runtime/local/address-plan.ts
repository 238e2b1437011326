/**
 * The address plan of app networks: a pool (default 10.89.0.0/16) cut into equal blocks (default
 * /26: 1024 apps of up to 61 instances), one block per app. The block an app gets is the first
 * free one at or after a hash of its id, so an app usually gets the same block again; which blocks
 * are taken is read from the host's interface addresses, so the kernel is the record (ADR 0012).
 * Pure.
 */
import { createHash } from "node:crypto";

/** The default pool of app addresses. */
export const DEFAULT_ADDRESS_POOL = "10.89.0.0/16";
/** The default size of one app's block. */
export const DEFAULT_BLOCK_PREFIX_LENGTH = 26;

/** One app's block of addresses. */
export interface AddressBlock {
  /** Index of the block within the pool. */
  index: number;
  /** Network address, e.g. `10.89.3.64`. */
  network: string;
  prefixLength: number;
  /** The bridge's address (first usable): the instances' gateway and the router's source. */
  gateway: string;
  /** Host numbers instances may use: `firstHost`..`lastHost` (the gateway is host 1). */
  firstHost: number;
  lastHost: number;
}

/** Parses a dotted IPv4 address to an unsigned 32-bit number; throws on anything else. */
export function parseIpv4(text: string): number {
  const parts = text.split(".");
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255))
    throw new Error(`not an IPv4 address: ${JSON.stringify(text)}`);
  return parts.reduce((n, p) => n * 256 + Number(p), 0);
}

/** Formats an unsigned 32-bit number as a dotted IPv4 address. */
export function formatIpv4(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

interface Pool {
  base: number;
  prefixLength: number;
  blockPrefixLength: number;
}

function parsePool(cidr: string, blockPrefixLength: number): Pool {
  const [address, length] = cidr.split("/");
  const prefixLength = Number(length);
  if (address === undefined || !Number.isInteger(prefixLength) || prefixLength < 8 || prefixLength > 30)
    throw new Error(
      `address pool must be a CIDR with a prefix length of 8 to 30, got ${JSON.stringify(cidr)}`,
    );
  if (!Number.isInteger(blockPrefixLength) || blockPrefixLength <= prefixLength || blockPrefixLength > 29)
    throw new Error(`block prefix length ${blockPrefixLength} must be longer than the pool's and at most 29`);
  const size = 2 ** (32 - prefixLength);
  const base = parseIpv4(address);
  if (base % size !== 0) throw new Error(`address pool ${cidr} is not aligned to its prefix length`);
  return { base, prefixLength, blockPrefixLength };
}

/** How many blocks the pool holds. */
export function blockCount(
  cidr = DEFAULT_ADDRESS_POOL,
  blockPrefixLength = DEFAULT_BLOCK_PREFIX_LENGTH,
): number {
  const pool = parsePool(cidr, blockPrefixLength);
  return 2 ** (pool.blockPrefixLength - pool.prefixLength);
}

/** Block `index` of the pool. */
export function blockAt(
  index: number,
  cidr = DEFAULT_ADDRESS_POOL,
  blockPrefixLength = DEFAULT_BLOCK_PREFIX_LENGTH,
): AddressBlock {
  const pool = parsePool(cidr, blockPrefixLength);
  const size = 2 ** (32 - blockPrefixLength);
  const count = 2 ** (blockPrefixLength - pool.prefixLength);
  if (!Number.isInteger(index) || index < 0 || index >= count)
    throw new Error(`block index ${index} is outside the pool ${cidr} (${count} blocks)`);
  const network = pool.base + index * size;
  return {
    index,
    network: formatIpv4(network),
    prefixLength: blockPrefixLength,
    gateway: formatIpv4(network + 1),
    firstHost: 2,
    lastHost: size - 2,
  };
}

/** The index of the block that holds `address`, or undefined when it is outside the pool. */
export function blockIndexOf(
  address: string,
  cidr = DEFAULT_ADDRESS_POOL,
  blockPrefixLength = DEFAULT_BLOCK_PREFIX_LENGTH,
): number | undefined {
  const pool = parsePool(cidr, blockPrefixLength);
  const offset = parseIpv4(address) - pool.base;
  if (offset < 0 || offset >= 2 ** (32 - pool.prefixLength)) return undefined;
  return Math.floor(offset / 2 ** (32 - blockPrefixLength));
}

/** The address of host number `host` in `block`. */
export function hostAddress(block: AddressBlock, host: number): string {
  if (!Number.isInteger(host) || host < 1 || host > block.lastHost)
    throw new Error(`host number ${host} is outside ${block.network}/${block.prefixLength}`);
  return formatIpv4(parseIpv4(block.network) + host);
}

/**
 * The block for app `key`: the first index not in `taken`, probing upwards (wrapping) from a hash
 * of the key. Throws when every block is taken.
 */
export function chooseBlock(
  key: string,
  taken: ReadonlySet<number>,
  cidr = DEFAULT_ADDRESS_POOL,
  blockPrefixLength = DEFAULT_BLOCK_PREFIX_LENGTH,
): AddressBlock {
  const count = blockCount(cidr, blockPrefixLength);
  const start = createHash("sha256").update(key).digest().readUInt32BE(0) % count;
  for (let i = 0; i < count; i++) {
    const index = (start + i) % count;
    if (!taken.has(index)) return blockAt(index, cidr, blockPrefixLength);
  }
  throw new Error(`every one of the ${count} address blocks of ${cidr} is in use; remove an app first`);
}

/** The lowest free host number of `block`, given the ones in use. Throws when the block is full. */
export function chooseHost(block: AddressBlock, used: ReadonlySet<number>): number {
  for (let host = block.firstHost; host <= block.lastHost; host++) if (!used.has(host)) return host;
  throw new Error(
    `the app network ${block.network}/${block.prefixLength} has no free address (${block.lastHost - 1} instances)`,
  );
}
