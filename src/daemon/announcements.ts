/**
 * The daemon's announcement rules, pure: what `announce` means without a
 * health section, and how it supplies defaults to the policy's states.
 */
import type { AnnounceConfig } from '../config/types.js';
import type { Announcement } from '../policy/types.js';

/** No health section: every prefix announced as `announce` says. */
export function staticAnnouncements(prefixes: readonly string[], a: AnnounceConfig): Announcement[] {
  return prefixes.map((prefix) => ({
    prefix,
    prepend: a.prepend,
    ...(a.med !== undefined ? { med: a.med } : {}),
    ...(a.communities.length ? { communities: [...a.communities] } : {}),
    ...(a.largeCommunities.length ? { largeCommunities: [...a.largeCommunities] } : {}),
  }));
}

/** `announce` med and communities are the defaults of policy announcements that do not set their own (prepend is the policy's). */
export function withAnnounceDefaults(list: readonly Announcement[], a: AnnounceConfig): Announcement[] {
  return list.map((r) => ({
    ...r,
    ...(r.med === undefined && a.med !== undefined ? { med: a.med } : {}),
    ...(r.communities === undefined && a.communities.length ? { communities: [...a.communities] } : {}),
    ...(r.largeCommunities === undefined && a.largeCommunities.length ? { largeCommunities: [...a.largeCommunities] } : {}),
  }));
}
