/**
 * Strings kept for the life of a state must not be views. V8 represents a longer substring
 * as a view of its parent, so a package name cut out of a git listing would keep the whole
 * listing (megabytes for a large index) in memory for as long as the name lives.
 */

/** A copy of `text` that shares no memory with the string it was cut from. */
export function detach(text: string): string {
  // shorter substrings are copied by V8 anyway; concatenating and cutting again makes a flat copy
  return text.length < 13 ? text : ` ${text}`.slice(1);
}
