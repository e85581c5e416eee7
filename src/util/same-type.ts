/**
 * `true` exactly when A and B are the same type (optional and readonly modifiers included).
 * `true satisfies Same<A, B>;` then stops the build when a hand-written type and the zod
 * schema that reads it back drift apart.
 */
export type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
