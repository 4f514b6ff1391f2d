// The components' public API: the four components, their argument types and the error they throw
// on bad input. Everything else in components/ is internal (tests import it from its own file).
export { ValidationError } from "./errors";
export type { PropertyError } from "../model/rules/propertyError";
export { ManagementCluster } from "./managementCluster";
export type { ManagementClusterArgs, PreflightResult, LoadBalancerSupport } from "./managementCluster";
export { DataStore } from "./dataStore";
export type { DataStoreArgs, DataStoreTlsArgs } from "./dataStoreArgs";
export { HostedControlPlane } from "./hostedControlPlane";
export type {
    HostedControlPlaneAddonsArgs,
    HostedControlPlaneArgs,
    HostedControlPlaneNetworkArgs,
    ImageAddonArgs,
    KonnectivityAddonArgs,
} from "./hostedControlPlaneArgs";
export { WorkerPool } from "./workerPool";
export type { WorkerBastionArgs, WorkerHostArgs, WorkerHostStatus, WorkerPoolArgs } from "./workerPoolArgs";
