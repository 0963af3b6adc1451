// Counters a person running the service wants to see: exposed on /health and written to the log.
export const counters = {
  refreshes: 0,
  refreshFailures: 0,
  platformRateLimits: 0,
};
