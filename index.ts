// pulumi-hosted-control-plane: components for Kubernetes hosted control planes, and the dynamic
// resources they are built from.
export * from "./components";
export { BootstrapToken, BootstrapTokenArgs } from "./provider/token/resource";
export { NodeJoin, NodeJoinArgs } from "./provider/kubeadm/resource";
export { PreparedHost, PreparedHostArgs } from "./provider/hostprep/resource";
export { HostConnection } from "./lib/ssh/inputs";
export { EtcdHealth, EtcdHealthArgs, checkEtcdHealth } from "./provider/etcd";
export { DataStoreRelease, DataStoreReleaseArgs } from "./provider/dataStoreRelease/resource";
export { TenantRelease, TenantReleaseArgs } from "./provider/tenantRelease/resource";
