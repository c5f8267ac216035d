/**
 * The rough token count of a text of `length` characters (or UTF-8 bytes): about 4 a token, rounded up. What
 * stands in where tiktoken is not used: an upstream that reports no output usage, a tokenizer that failed to load,
 * and the prompt size classes of the first-byte timeout.
 */
export function roughTokens(length: number): number {
  return Math.ceil(length / 4)
}
