/**
 * Facts about the API as a whole (docs/api-notes.md §1, §3.2), in one place. Facts about one endpoint live in
 * that endpoint's stream file.
 */
export const API = {
  /** §1.1 [official]: v2 and v4 paths share this host. */
  defaultUrl: 'https://api.tallos.com.br',
  /** §3.2 [observed live by a third party]: the sustained ceiling per account, whatever the concurrency. */
  requestsPerMinute: 48,
  /** §1.2 [observed live by a third party]: the token is a JWT whose `company` claim names the account. */
  accountClaim: 'company',
} as const;
