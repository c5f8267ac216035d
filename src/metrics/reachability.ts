/**
 * What a finished request says about the upstream: true when it answered with a success, false when it could not
 * be connected to (the upstream client's 502 "Could not reach the upstream ..."), null when the outcome says
 * nothing either way (a validation error, a timeout, an error the upstream sent).
 */
export function upstreamReachability(status: number, error: string | undefined): boolean | null {
  if (status >= 200 && status < 300) return true
  if (status === 502 && error?.startsWith('Could not reach the upstream')) return false
  return null
}
