// The "[measure]" lines tests print for the wall time of a step, in one format for every test file.

/** Prints a duration in milliseconds: `[measure] what: 1234 ms`. */
export function measure(what: string, ms: number): void {
    console.log(`      [measure] ${what}: ${ms} ms`);
}

/** Prints the seconds since `t0` (a Date.now()): `[measure] step: 12.3 s`. */
export function measureSince(step: string, t0: number): void {
    console.log(`      [measure] ${step}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
}
