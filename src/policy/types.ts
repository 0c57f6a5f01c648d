/**
 * The announcement model shared with the speaker.
 * src/speaker did not export `Announcement` yet when this was written; this is the same
 * shape as the contract in docs/architecture.md, so the two are structurally identical
 * and either can be passed where the other is expected.
 */
export interface Announcement {
  /** "172.16.1.1/32" or "2001:db8::1/128" */
  prefix: string;
  /** Extra copies of the local ASN (0 = just ours). */
  prepend: number;
  med?: number;
  /** "65001:100" */
  communities?: string[];
  /** "65001:1:2" */
  largeCommunities?: string[];
}
