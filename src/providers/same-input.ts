/**
 * Whether a job a vendor lists was made from the input easel sent: every field easel sent must
 * match (the vendor may add defaults of its own). Data URIs are skipped: vendors store uploads
 * under their own URLs, and the other fields (prompt, seed, sizes…) already tell jobs apart.
 */
export function sameInput(found: Record<string, unknown>, sent: Record<string, unknown>): boolean {
  return Object.entries(sent).every(([key, value]) =>
    typeof value === 'string' && value.startsWith('data:') ? true : JSON.stringify(found[key]) === JSON.stringify(value),
  );
}
