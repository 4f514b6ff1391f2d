// What a failed etcd client call means: the raw gRPC/TLS error, classified, as the cause and the fix.

const TLS_CLIENT_REJECTED =
    /alert (unknown ca|bad certificate|certificate required|certificate unknown|unsupported certificate|access denied|decrypt error)/i;
const TLS_SERVER_UNTRUSTED =
    /unable to verify the first certificate|self[- ]signed certificate|unable to get (local )?issuer certificate|certificate signature failure|UNABLE_TO_VERIFY_LEAF_SIGNATURE|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN/i;

/**
 * A one-line explanation of a client error, naming the cause and the fix; the classified phrase of
 * the raw error is kept in brackets. `timeoutMs` is the deadline that applied.
 */
export function explainError(raw: string, timeoutMs: number): string {
    const m = (re: RegExp) => re.exec(raw)?.[0];
    let hit: string | undefined;
    if ((hit = m(TLS_CLIENT_REJECTED))) {
        return `TLS: the member rejected the client certificate [${hit}]: clientCertificate is not signed by a CA in the member's --trusted-ca-file, or is expired or not for client auth; use a client certificate issued by the DataStore CA`;
    }
    if ((hit = m(TLS_SERVER_UNTRUSTED))) {
        return `TLS: the member's server certificate is not signed by caCertificate [${hit}]; pass the CA that issued the etcd server certificates`;
    }
    if ((hit = m(/Hostname\/IP does not match certificate's altnames/) ?? m(/ERR_TLS_CERT_ALTNAME_INVALID/))) {
        return `TLS: the member's server certificate does not name this address [${hit}]; use an endpoint listed in the certificate's subjectAltName, or reissue it with this name`;
    }
    if ((hit = m(/certificate has expired|CERT_HAS_EXPIRED/))) {
        return `TLS: the member's server certificate has expired [${hit}]; renew the etcd server certificates`;
    }
    if ((hit = m(/wrong version number|packet length too long|unknown protocol|http_request/i))) {
        return `TLS: the endpoint does not speak TLS [${hit}]; is etcd serving plain http on it? The DataStore must use https with --client-cert-auth`;
    }
    if ((hit = m(/ECONNREFUSED[^.\s]*/)))
        return `connection refused [${hit}]: the member is not running or not listening on this address`;
    if ((hit = m(/ENOTFOUND \S+|EAI_AGAIN \S+/)))
        return `name does not resolve [${hit}]; check the endpoint's host name`;
    if ((hit = m(/EHOSTUNREACH|ENETUNREACH|ETIMEDOUT/)))
        return `unreachable [${hit}]; check routing and firewalls to the member`;
    if ((hit = m(/ECONNRESET|socket hang up|Connection dropped|ended by the other party/i))) {
        return `connection reset [${hit}]: the member closed the connection (restarting, or a TLS/proxy problem)`;
    }
    if ((hit = m(/etcdserver: no leader|etcdserver: leader changed/)))
        return `no raft leader [${hit}]: the member cannot reach a quorum of its peers`;
    if ((hit = m(/DEADLINE_EXCEEDED|deadline exceeded|request timed out|timed out/i))) {
        return `no answer within ${timeoutMs} ms [${hit}]: the member is partitioned from its peers, has no leader, or is overloaded`;
    }
    if ((hit = m(/permission denied|PERMISSION_DENIED/))) {
        return `permission denied [${hit}]: the client certificate's CN is not an etcd user with the needed role; use the root client certificate`;
    }
    if ((hit = m(/user name is empty|user name not found|invalid auth token/i))) {
        return `authentication failed [${hit}]: etcd auth is enabled and the client certificate's CN is not a known user; use the root client certificate`;
    }
    // Unknown: keep the first line, without gRPC's timestamp and resolution-note noise.
    const first = raw
        .split("\n")[0]
        .replace(/\s*Resolution note:.*$/, "")
        .trim();
    return first || "unknown error";
}
