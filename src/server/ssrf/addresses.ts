/**
 * Which addresses a gateway may fetch client-supplied URLs from: public unicast only. The range
 * tables are ipaddr.js's (IANA special-purpose registries); this module only decides what they mean.
 */
import ipaddr from 'ipaddr.js';

export interface AddressClass {
  /** True only for globally routable unicast addresses. */
  public: boolean;
  /** A short human label for refusals: `private`, `loopback`, `link-local`… (`public` when public). */
  label: string;
}

/** ipaddr.js range names, in words a refusal message can use. Anything not listed is shown as-is. */
const LABELS: Record<string, string> = {
  unicast: 'public',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  multicast: 'multicast',
  linkLocal: 'link-local',
  loopback: 'loopback',
  carrierGradeNat: 'carrier-grade NAT',
  private: 'private',
  reserved: 'reserved',
  benchmarking: 'benchmarking',
  uniqueLocal: 'unique-local',
  deprecatedSiteLocal: 'site-local',
};

/** Global unicast space (RFC 4291 §2.4): every other IPv6 prefix is special-purpose or unassigned. */
const GLOBAL_UNICAST_V6 = ipaddr.parseCIDR('2000::/3');
/** The NAT64 well-known prefix: on DNS64 networks every IPv4-only site resolves into it. */
const NAT64_V6 = ipaddr.parseCIDR('64:ff9b::/96');
const METADATA_V4 = '169.254.169.254';

export function classifyAddress(address: string): AddressClass {
  if (!ipaddr.isValid(address)) return { public: false, label: 'unparseable' };
  const parsed = ipaddr.parse(address);
  if (parsed.kind() === 'ipv4') return classifyV4(parsed as ipaddr.IPv4);
  const v6 = parsed as ipaddr.IPv6;
  // An IPv4 address written as IPv6 is judged as the IPv4 address it reaches.
  if (v6.isIPv4MappedAddress()) return classifyV4(v6.toIPv4Address());
  if (v6.match(NAT64_V6)) return classifyV4(ipaddr.fromByteArray(v6.toByteArray().slice(12)) as ipaddr.IPv4);
  const range = v6.range();
  // Other transition prefixes (6to4, Teredo, IPv4-compatible ::a.b.c.d…) can tunnel to any IPv4
  // address, private ones included, so they are refused outright rather than decoded.
  if (range !== 'unicast') return { public: false, label: LABELS[range] ?? range };
  if (!v6.match(GLOBAL_UNICAST_V6)) return { public: false, label: 'non-global' };
  return { public: true, label: 'public' };
}

function classifyV4(v4: ipaddr.IPv4): AddressClass {
  if (v4.toString() === METADATA_V4) return { public: false, label: 'cloud metadata' };
  const range = v4.range();
  return { public: range === 'unicast', label: LABELS[range] ?? range };
}

export function isPublicAddress(address: string): boolean {
  return classifyAddress(address).public;
}
