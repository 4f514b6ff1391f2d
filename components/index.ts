export * from "./errors";
export * from "./validation";
export * from "./managementCluster";
export * from "./dataStore";
export * from "./hostedControlPlane";
export * from "./workerPool";
