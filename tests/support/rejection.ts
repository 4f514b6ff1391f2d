// The error a promise rejects with, for tests that assert on a failure's message or kind.

/** Awaits `p` and returns what it rejected with; throws when it resolves instead. */
export async function rejection<E = Error>(p: PromiseLike<unknown>): Promise<E> {
    try {
        await p;
    } catch (e) {
        return e as E;
    }
    throw new Error("expected the promise to reject");
}
